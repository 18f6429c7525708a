/**
 * The device's actor runtime: runs compiled statecharts (`chart.ts`) and callback actors with
 * XState v5's semantics, step for step, in a few hundred bytes of state per actor.
 *
 * What it keeps of XState, because the machines and the traces depend on it: one mailbox per
 * actor, processed at once unless that actor is already busy; a macrostep takes the event's
 * transition (deepest active node first, guards in order, exact descriptors before wildcards,
 * longer wildcards first), then eventless transitions and raised events until none is left;
 * exits deepest first, then the transition's actions, then entries; `assign` is seen by the
 * actions after it; plain actions run as they are met while built-ins that reach other actors
 * (send, emit, spawn's start, stop, delayed raise, cancel) wait until the step is over; actions
 * of the initial state wait until `start()`; an error thrown by an action or guard fails the actor
 * and its parent gets `xstate.error.actor.<id>`; an error event nothing handles fails the machine.
 * Delayed events run on the clock given to `createActor` and are keyed by the sender's session
 * and id, as XState keys them. Snapshots have XState's shape (`value`, `context`, `children`,
 * `status`, `hasTag`, `matches`) and inspection sends `@xstate.actor`, `@xstate.event` and
 * `@xstate.snapshot` (not microsteps or actions).
 *
 * What it leaves out, and the compiler refuses: parallel, history and final states, `onDone`,
 * `onError`, `onSnapshot`, promise and observable actors, persisted snapshots, `spawn` inside
 * `assign`.
 */
import {
  assign,
  cancel,
  emit,
  isBuiltin,
  PARENT,
  raise,
  sendParent,
  sendTo,
  spawnChild,
  stopChild,
} from "./actions.js";
import { type Chart, type ChartHost, hasTag, parentOf, stateValue } from "./chart.js";

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** `setup`'s implementations, as written. */
export interface Implementations {
  actions?: Record<string, any>;
  guards?: Record<string, any>;
  delays?: Record<string, any>;
  actors?: Record<string, any>;
}

export type ImplementationKind = keyof Implementations;

/**
 * A machine as this runtime runs it: its chart, the leaf numbered `i` of its definition, and the
 * implementation `setup` names `name`. Functions rather than an array and objects: the device
 * build makes them from the definition's source (`scripts/charts/lazyDefinitions.ts`), so a leaf
 * exists in RAM only while it runs.
 */
export interface MachineLogic {
  id: string;
  chart: Chart;
  L: (i: number) => unknown;
  I: (kind: ImplementationKind, name: string) => unknown;
}

export interface CallbackArgs {
  input: any;
  system: System;
  self: Actor;
  sendBack: (event: any) => void;
  receive: (listener: (event: any) => void) => void;
  emit: (event: any) => void;
}

/** A callback actor's logic, as `fromCallback` makes it. */
export interface CallbackLogic {
  cb: (args: CallbackArgs) => (() => void) | undefined | undefined;
}

export type Logic = MachineLogic | CallbackLogic;

export interface Observer {
  next?: (value: any) => void;
  error?: (error: unknown) => void;
  complete?: () => void;
}

export interface ActorOptions {
  id?: string;
  systemId?: string;
  input?: unknown;
  clock?: Clock;
  inspect?: Observer | ((event: any) => void);
  /** Turns logic this runtime does not run itself (XState's, on the laptop) into a `Logic`. */
  adapt?: (logic: unknown) => Logic;
}

interface Scheduled {
  source: Actor;
  target: Actor;
  event: any;
  id: string | number;
}

const NOT_STARTED = 0;
const RUNNING = 1;
const STOPPED = 2;

const INIT = "xstate.init";
const STOP = "xstate.stop";
const ERROR_ACTOR = "xstate.error.actor";

function toObserver(o: Observer | ((value: any) => void)): Observer {
  return typeof o === "function" ? { next: o } : o;
}

/** Thrown in a task of its own, as XState does, so it reaches the host's handler. */
function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}

/** The actors of one tree: system ids, delayed events, inspection. */
export class System {
  keyed: Record<string, Actor> = {};
  scheduled: Record<string, Scheduled> = {};
  timers: Record<string, unknown> = {};
  observers: Observer[] = [];
  sessions = 0;
  root: Actor | undefined;
  constructor(
    public clock: Clock,
    public adapt: ((logic: unknown) => Logic) | undefined,
  ) {}

  get(systemId: string): Actor | undefined {
    return this.keyed[systemId];
  }

  getAll(): Record<string, Actor> {
    return Object.assign({}, this.keyed);
  }

  _set(systemId: string, actor: Actor): void {
    const existing = this.keyed[systemId];
    if (existing && existing !== actor) {
      throw new Error(`Actor with system ID '${systemId}' already exists.`);
    }
    this.keyed[systemId] = actor;
  }

  _unregister(actor: Actor): void {
    if (actor.systemId !== undefined && this.keyed[actor.systemId] === actor) {
      delete this.keyed[actor.systemId];
    }
  }

  inspect(observer: Observer | ((event: any) => void)): { unsubscribe(): void } {
    const o = toObserver(observer);
    this.observers.push(o);
    return {
      unsubscribe: () => {
        const i = this.observers.indexOf(o);
        if (i >= 0) this.observers.splice(i, 1);
      },
    };
  }

  _inspect(event: Record<string, unknown>): void {
    if (this.observers.length === 0) return;
    event.rootId = (this.root as Actor).sessionId;
    for (let i = 0; i < this.observers.length; i++) {
      const next = this.observers[i].next;
      if (next) next(event);
    }
  }

  _relay(source: Actor | undefined, target: Actor, event: any): void {
    this._inspect({ type: "@xstate.event", sourceRef: source, actorRef: target, event });
    target._send(event);
  }

  schedule(source: Actor, target: Actor, event: any, delay: number, id: string | number): void {
    const key = `${source.sessionId}.${id}`;
    this.scheduled[key] = { source, target, event, id };
    // As XState: a second schedule under the same id leaves the first timer running.
    this.timers[key] = this.clock.setTimeout(() => {
      delete this.timers[key];
      delete this.scheduled[key];
      this._relay(source, target, event);
    }, delay);
  }

  cancel(source: Actor, id: string | number): void {
    const key = `${source.sessionId}.${id}`;
    const timer = this.timers[key];
    delete this.timers[key];
    delete this.scheduled[key];
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  cancelAll(source: Actor): void {
    const keys = Object.keys(this.scheduled);
    for (let i = 0; i < keys.length; i++) {
      const s = this.scheduled[keys[i]];
      if (s && s.source === source) this.cancel(source, s.id);
    }
  }
}

/**
 * A machine's snapshot, shaped as XState's; methods on the prototype cost no memory, and `error`
 * is a property only when there is one (reading it gives `undefined` either way).
 */
export class MachineSnapshot {
  status: string;
  value: unknown;
  context: any;
  children: Record<string, Actor>;
  // Fields, not constructor parameter properties: the build renames `_` members (mangleProps),
  // and parameter properties came out as string keys it does not rename, so `hasTag` read
  // `undefined` on the device and every manager looked unready.
  _chart: Chart;
  _leaf: number;
  declare error: unknown;
  constructor(
    status: string,
    value: unknown,
    context: any,
    children: Record<string, Actor>,
    error: unknown,
    chart: Chart,
    leaf: number,
  ) {
    this.status = status;
    this.value = value;
    this.context = context;
    this.children = children;
    if (error !== undefined) this.error = error;
    this._chart = chart;
    this._leaf = leaf;
  }

  hasTag(tag: string): boolean {
    return this._leaf >= 0 && hasTag(this._chart, this._leaf, tag);
  }

  matches(value: unknown): boolean {
    return matchesValue(value, this.value);
  }
}

function matchesValue(parent: unknown, child: unknown): boolean {
  if (typeof parent === "string") {
    return typeof child === "string" ? parent === child : parent in (child as object);
  }
  if (typeof child === "string") return false;
  const keys = Object.keys(parent as object);
  for (let i = 0; i < keys.length; i++) {
    const c = (child as Record<string, unknown>)[keys[i]];
    if (c === undefined || !matchesValue((parent as any)[keys[i]], c)) return false;
  }
  return true;
}

/**
 * A callback actor's snapshot: XState's has `output` and `error` too, always `undefined` but
 * for the error of a failed actor; here they are properties only when they hold something.
 */
function callbackSnapshot(status: string, input: unknown, error: unknown): any {
  const snapshot: any = { status };
  if (input !== undefined) snapshot.input = input;
  if (error !== undefined) snapshot.error = error;
  return snapshot;
}

function errorSnapshot(previous: any, error: unknown): any {
  if (previous instanceof MachineSnapshot) {
    return new MachineSnapshot(
      "error",
      previous.value,
      previous.context,
      previous.children,
      error,
      previous._chart,
      previous._leaf,
    );
  }
  return callbackSnapshot("error", previous.input, error);
}

/**
 * An actor holds as few properties as it can: on a board each costs a variable or more, for as
 * long as the actor lives. So the fields below are declared only, and exist while they have
 * something to hold: an empty mailbox, no observers, a step's working state at rest, a system id
 * or an input never given are no properties at all; flags are numbers (a boolean is a variable
 * more); the session id is made from its number when read; and `send` is the prototype's, not a
 * bound copy per actor.
 */
export class Actor implements ChartHost {
  id: string;
  system: System;
  logic: Logic;
  _processingStatus = NOT_STARTED;
  _snapshot: any;
  /** The session's number (`sessionId` is made of it). */
  private _n: number;
  declare systemId: string | undefined;
  declare _parent: Actor | undefined;
  declare private _input: unknown;
  /** The mailbox (while events wait), whether it is open, the actions waiting for the step's end. */
  declare private _mq: any[] | undefined;
  declare private _ma: 1 | undefined;
  declare private _deferred: Array<() => void> | undefined;
  declare private _observers: Observer[] | undefined;
  declare private _listeners: Record<string, Array<(event: any) => void>> | undefined;
  /** A machine's context, active leaf, children; its status when no longer active, its error. */
  declare private _c: any;
  declare private _l: number;
  declare private _ch: Record<string, Actor>;
  declare private _st: string | undefined;
  declare private _err: unknown;
  /** A macrostep's event, raised events and whether it changed the snapshot: only during one. */
  declare private _e: any;
  declare private _q: any[] | undefined;
  declare private _dirty: 1 | undefined;
  /** A callback actor's receivers and the function that disposes of it. */
  declare private _recv: Array<(event: any) => void> | undefined;
  declare private _dispose: (() => void) | undefined;
  /** Children named by sends in the entry actions of the node being entered (see `n`). */
  declare private _en: string[] | undefined;

  constructor(logic: unknown, options: ActorOptions & { parent?: Actor } = {}) {
    const parent = options.parent;
    this.system = parent ? parent.system : new System(options.clock as Clock, options.adapt);
    if (!parent) this.system.root = this;
    const adapt = this.system.adapt;
    this.logic = adapt ? adapt(logic) : (logic as Logic);
    if (options.inspect && !parent) this.system.inspect(options.inspect);
    this._n = this.system.sessions++;
    this.id = options.id === undefined ? this.sessionId : options.id;
    if (parent) this._parent = parent;
    if (options.input !== undefined) this._input = options.input;
    this.system._inspect({ type: "@xstate.actor", actorRef: this });
    if (options.systemId !== undefined) {
      this.systemId = options.systemId;
      this.system._set(options.systemId, this);
    }
    try {
      this._snapshot = (this.logic as MachineLogic).chart
        ? this._initialSnapshot()
        : callbackSnapshot("active", this._input, undefined);
    } catch (error) {
      this._rest();
      this._snapshot = callbackSnapshot("error", undefined, error);
    }
    if (this.systemId !== undefined && this._snapshot.status !== "active") {
      this.system._unregister(this);
    }
  }

  get sessionId(): string {
    return `x:${this._n}`;
  }

  getSnapshot(): any {
    return this._snapshot;
  }

  toJSON() {
    return { xstate$$type: 1, id: this.id };
  }

  send(event: any): void {
    this.system._relay(undefined, this, event);
  }

  subscribe(next: Observer | ((snapshot: any) => void)): { unsubscribe(): void } {
    const observer = toObserver(next);
    if (this._processingStatus !== STOPPED) {
      if (!this._observers) this._observers = [];
      this._observers.push(observer);
    } else if (this._snapshot.status === "error") {
      if (observer.error) observer.error(this._snapshot.error);
      else reportUnhandled(this._snapshot.error);
    }
    return {
      unsubscribe: () => {
        const observers = this._observers;
        const i = observers ? observers.indexOf(observer) : -1;
        if (i >= 0) (observers as Observer[]).splice(i, 1);
      },
    };
  }

  /** Listens to events the actor emits (`emit`); `*` hears them all. */
  on(type: string, handler: (event: any) => void): { unsubscribe(): void } {
    if (!this._listeners) this._listeners = {};
    if (!this._listeners[type]) this._listeners[type] = [];
    const list = this._listeners[type];
    const wrapped = (event: any) => handler(event);
    list.push(wrapped);
    return {
      unsubscribe: () => {
        const i = list.indexOf(wrapped);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  start(): this {
    if (this._processingStatus === RUNNING) return this;
    if (this.systemId !== undefined) this.system._set(this.systemId, this);
    this._processingStatus = RUNNING;
    const init = { type: INIT, input: this._input };
    this.system._inspect({
      type: "@xstate.event",
      sourceRef: this._parent,
      actorRef: this,
      event: init,
    });
    if (this._snapshot.status === "error") {
      this._error(this._snapshot.error);
      return this;
    }
    try {
      this._startLogic();
    } catch (error) {
      this._snapshot = errorSnapshot(this._snapshot, error);
      this._error(error);
      return this;
    }
    this._update(this._snapshot, init);
    this._ma = 1;
    this._flush();
    return this;
  }

  stop(): this {
    if (this._parent) throw new Error("A non-root actor cannot be stopped directly.");
    return this._stop();
  }

  _stop(): this {
    if (this._processingStatus === STOPPED) return this;
    this._clearMailbox();
    if (this._processingStatus === NOT_STARTED) {
      this._processingStatus = STOPPED;
      return this;
    }
    this._enqueue({ type: STOP });
    return this;
  }

  _send(event: any): void {
    if (this._processingStatus !== STOPPED) this._enqueue(event);
  }

  // The mailbox, as XState's: processed at once when open and idle, in order otherwise.

  private _enqueue(event: any): void {
    // Events already waiting: the actor is busy with the first, or not open yet.
    if (this._mq) this._mq.push(event);
    else {
      this._mq = [event];
      if (this._ma) this._flush();
    }
  }

  private _flush(): void {
    const queue = this._mq;
    if (!queue) return;
    while (queue.length > 0) {
      this._process(queue[0]);
      queue.shift();
    }
    if (this._mq === queue) delete this._mq;
  }

  /** Keeps only the event being processed, as XState's `Mailbox.clear`. */
  private _clearMailbox(): void {
    if (this._mq && this._mq.length > 1) this._mq.length = 1;
  }

  private _process(event: any): void {
    let next: any;
    try {
      next = this._transition(event);
    } catch (error) {
      this._rest();
      this._snapshot = errorSnapshot(this._snapshot, error);
      this._error(error);
      return;
    }
    this._update(next, event);
    if (event.type === STOP) {
      this._stopProcedure();
      this._complete();
    }
  }

  private _update(snapshot: any, event: any): void {
    this._snapshot = snapshot;
    const deferred = this._deferred;
    if (deferred) {
      for (;;) {
        const fn = deferred.shift();
        if (!fn) break;
        try {
          fn();
        } catch (error) {
          deferred.length = 0;
          this._snapshot = errorSnapshot(snapshot, error);
        }
      }
      if (this._deferred === deferred) delete this._deferred;
    }
    const observers = this._observers;
    if (this._snapshot.status === "active" && observers) {
      for (let i = 0; i < observers.length; i++) {
        const next = observers[i].next;
        if (next) next(snapshot);
      }
    } else if (this._snapshot.status === "error") {
      this._error(this._snapshot.error);
    }
    this.system._inspect({ type: "@xstate.snapshot", actorRef: this, event, snapshot });
  }

  private _error(error: unknown): void {
    this._stopProcedure();
    const observers = this._observers || [];
    delete this._observers;
    delete this._listeners;
    let reported = false;
    for (let i = 0; i < observers.length; i++) {
      const onError = observers[i].error;
      if (onError) onError(error);
      else reported = true;
    }
    if ((observers.length === 0 && !this._parent) || reported) reportUnhandled(error);
    if (this._parent) {
      this.system._relay(this, this._parent, {
        type: `${ERROR_ACTOR}.${this.id}`,
        error,
        actorId: this.id,
      });
    }
  }

  private _stopProcedure(): void {
    if (this._processingStatus !== RUNNING) return;
    this.system.cancelAll(this);
    this._clearMailbox();
    delete this._mq;
    delete this._ma;
    this._processingStatus = STOPPED;
    this.system._unregister(this);
  }

  private _complete(): void {
    const observers = this._observers || [];
    for (let i = 0; i < observers.length; i++) {
      const complete = observers[i].complete;
      if (complete) complete();
    }
    delete this._observers;
    delete this._listeners;
  }

  private _emit(event: any): void {
    const listeners = this._listeners;
    if (!listeners) return;
    const handlers = (listeners[event.type] || []).concat(listeners["*"] || []);
    for (let i = 0; i < handlers.length; i++) {
      try {
        handlers[i](event);
      } catch (error) {
        reportUnhandled(error);
      }
    }
  }

  private _startLogic(): void {
    const machine = this.logic as MachineLogic;
    if (machine.chart) {
      const children = this._snapshot.children;
      const ids = Object.keys(children);
      for (let i = 0; i < ids.length; i++) {
        const child = children[ids[i]];
        if (child && child.getSnapshot().status === "active") child.start();
      }
      return;
    }
    const disposer = (this.logic as CallbackLogic).cb({
      input: this._input,
      system: this.system,
      self: this,
      sendBack: (event) => {
        if (this._snapshot.status === "stopped") return;
        if (this._parent) this.system._relay(this, this._parent, event);
      },
      receive: (listener) => {
        if (!this._recv) this._recv = [];
        this._recv.push(listener);
      },
      emit: (event) => this._emit(event),
    });
    if (typeof disposer === "function") this._dispose = disposer as () => void;
  }

  // ---- Transitions -------------------------------------------------------------------------

  private _transition(event: any): any {
    if (!(this.logic as MachineLogic).chart) return this._callbackTransition(event);
    this._q = [];
    if (event.type === STOP) {
      this._stopChildren(event);
      this._st = "stopped";
      return this._commit();
    }
    const k = this._select(event);
    if (k < 0 && event.type.slice(0, ERROR_ACTOR.length) === ERROR_ACTOR) {
      this._stopChildren(event);
      this._st = "error";
      this._err = event.error;
      return this._commit();
    }
    this._micro(k, event);
    this._settle(event);
    return this._commit();
  }

  private _callbackTransition(event: any): any {
    if (event.type === STOP) {
      const dispose = this._dispose;
      delete this._recv;
      delete this._dispose;
      if (dispose) dispose();
      return callbackSnapshot("stopped", this._snapshot.input, undefined);
    }
    const receivers = this._recv;
    if (receivers) for (let i = 0; i < receivers.length; i++) receivers[i](event);
    return this._snapshot;
  }

  private _initialSnapshot(): MachineSnapshot {
    const machine = this.logic as MachineLogic;
    const chart = machine.chart;
    const init = { type: INIT, input: this._input };
    let context: any = {};
    if (chart.c >= 0) {
      const c = machine.L(chart.c) as any;
      context =
        typeof c === "function"
          ? Object.assign({}, c({ spawn: undefined, input: this._input, self: this }))
          : c;
    }
    this._c = context;
    this._l = -1;
    this._ch = {};
    this._q = [];
    this._micro(0, init);
    this._settle(init);
    return this._commit();
  }

  /** Eventless transitions and raised events, until the machine rests (XState's macrostep). */
  private _settle(event: any): void {
    let eventless = true;
    let current = event;
    const raised = this._q as any[];
    while (this._st === undefined) {
      let k: number = eventless ? this._select(current, true) : -1;
      const took = k >= 0;
      if (!took) {
        if (raised.length === 0) break;
        current = raised.shift();
        k = this._select(current);
      }
      const changed = this._micro(k, current);
      eventless = took ? changed : true;
    }
    if (this._st !== undefined) this._stopChildren(current);
  }

  /** The transition the event (or, `always`, no event) takes, deepest active node first. */
  private _select(event: any, always?: boolean): number {
    const chart = (this.logic as MachineLogic).chart;
    this._e = event;
    const type = always ? null : event.type;
    for (let n = this._l; n >= 0; n = parentOf(chart, n)) {
      const k = chart.o(n, type, this);
      if (k >= 0) return k;
    }
    return -1;
  }

  /** Takes transition k; whether the snapshot changed (context, children or active state). */
  private _micro(k: number, event: any): boolean {
    if (k < 0) return false;
    const chart = (this.logic as MachineLogic).chart;
    const leaf = this._l;
    delete this._dirty;
    this._e = event;
    chart.r(2 * chart.p.length + k, this);
    return this._dirty === 1 || leaf !== this._l;
  }

  /** Drops a step's working state, once the step is over. */
  private _rest(): void {
    delete this._e;
    delete this._q;
    delete this._dirty;
  }

  private _commit(): MachineSnapshot {
    const chart = (this.logic as MachineLogic).chart;
    this._rest();
    return new MachineSnapshot(
      this._st || "active",
      this._l >= 0 ? stateValue(chart, this._l) : {},
      this._c,
      this._ch,
      this._err,
      chart,
      this._l,
    );
  }

  private _stopChildren(event: any): void {
    this._e = event;
    const ids = Object.keys(this._ch);
    for (let i = 0; i < ids.length; i++) this._stopChild(this._ch[ids[i]]);
  }

  // ---- The chart's host calls (see `ChartHost`) ---------------------------------------------

  x(stop: number): void {
    const chart = (this.logic as MachineLogic).chart;
    const n = chart.p.length;
    while (this._l !== stop && this._l >= 0) {
      const leaving = this._l;
      chart.r(n + leaving, this);
      this._l = parentOf(chart, leaving);
    }
  }

  n(i: number): void {
    this._l = i;
    const outer = this._en;
    const named: string[] = [];
    this._en = named;
    try {
      (this.logic as MachineLogic).chart.r(i, this);
    } finally {
      if (outer) this._en = outer;
      else delete this._en;
    }
    // The node's invokes are up now: a name its entry sent to must be one of them, or the
    // transition fails here, as XState's fails when it resolves the send.
    for (let k = 0; k < named.length; k++) {
      if (!this._ch[named[k]]) throw this._unreachable(named[k]);
    }
  }

  a(ref: string | number): void {
    this._act(typeof ref === "number" ? (this.logic as MachineLogic).L(ref) : ref);
  }

  g(ref: string | number): boolean {
    const guard = typeof ref === "number" ? (this.logic as MachineLogic).L(ref) : ref;
    try {
      return this._guard(guard);
    } catch (error) {
      const name = typeof guard === "string" ? guard : (guard as { type?: string }).type;
      throw new Error(
        `Unable to evaluate guard ${name ? `'${name}' ` : ""}in transition for event '${this._e.type}':\n${(error as Error).message}`,
      );
    }
  }

  d(delay: string | number, type: string, id: number): void {
    this._raise({ type }, delay, id, undefined);
  }

  c(id: number): void {
    this._exec(() => this._defer(() => this.system.cancel(this, id)));
  }

  v(src: string | number, id: string, input: number): void {
    const L = (this.logic as MachineLogic).L;
    this._spawn(
      typeof src === "number" ? L(src) : src,
      id,
      undefined,
      input >= 0 ? L(input) : undefined,
    );
  }

  s(id: string): void {
    this._stopChild(this._ch[id]);
  }

  // ---- Actions -------------------------------------------------------------------------------

  private _args(): any {
    return { context: this._c, event: this._e, self: this, system: this.system };
  }

  /** Runs `fn` now when started, else when `start()` runs the initial state's actions. */
  private _exec(fn: () => void): void {
    if (this._processingStatus === RUNNING) fn();
    else this._defer(fn);
  }

  private _defer(fn: () => void): void {
    if (!this._deferred) this._deferred = [];
    this._deferred.push(fn);
  }

  private _act(action: any): void {
    const impl = (this.logic as MachineLogic).I;
    let resolved = action;
    let params: unknown;
    if (typeof action === "string") resolved = impl("actions", action);
    else if (typeof action !== "function" && !isBuiltin(action)) {
      resolved = impl("actions", action.type);
      params =
        typeof action.params === "function"
          ? action.params({ context: this._c, event: this._e })
          : action.params;
    }
    if (!resolved) return;
    if (isBuiltin(resolved)) {
      this._builtin(resolved as any, params);
      return;
    }
    const args = this._args();
    this._exec(() => resolved(args, params));
  }

  private _value(expr: any, params: unknown): any {
    return typeof expr === "function" ? expr(this._args(), params) : expr;
  }

  private _builtin(action: any, params: unknown): void {
    switch (action.type) {
      case "xstate.assign": {
        const assignment = action.assignment;
        let partial: any = {};
        if (typeof assignment === "function") {
          partial = assignment(this._args(), params);
        } else {
          const keys = Object.keys(assignment);
          for (let i = 0; i < keys.length; i++) {
            partial[keys[i]] = this._value(assignment[keys[i]], params);
          }
        }
        this._c = Object.assign({}, this._c, partial);
        this._dirty = 1;
        return;
      }
      case "xstate.raise":
        this._raise(this._value(action.event, params), action.delay, action.id, params);
        return;
      case "xstate.sendTo":
        this._sendTo(action, params);
        return;
      case "xstate.emit": {
        const event = this._value(action.event, params);
        this._exec(() => this._defer(() => this._emit(event)));
        return;
      }
      case "xstate.cancel": {
        const id = this._value(action.sendId, params);
        this._exec(() => this._defer(() => this.system.cancel(this, id)));
        return;
      }
      case "xstate.spawnChild": {
        const id = typeof action.id === "function" ? action.id(this._args()) : action.id;
        this._spawn(action.src, id, action.systemId, action.input);
        return;
      }
      case "xstate.stopChild": {
        const ref = this._value(action.actorRef, params);
        this._stopChild(typeof ref === "string" ? this._ch[ref] : ref);
        return;
      }
      case "xstate.enqueueActions": {
        const outer = queue;
        const queued: unknown[] = [];
        queue = queued;
        try {
          action.collect(
            {
              context: this._c,
              event: this._e,
              enqueue: ENQUEUE,
              check: (guard: unknown) => this._guard(guard),
              self: this,
              system: this.system,
            },
            params,
          );
        } finally {
          queue = outer;
        }
        for (let i = 0; i < queued.length; i++) this._act(queued[i]);
        return;
      }
      default:
        throw new Error(`${action.type} is not supported on the device`);
    }
  }

  private _raise(
    event: any,
    delayRef: unknown,
    id: string | number | undefined,
    params: unknown,
  ): void {
    let delay: unknown;
    if (typeof delayRef === "string") {
      const named = (this.logic as MachineLogic).I("delays", delayRef);
      delay = typeof named === "function" ? named(this._args(), params) : named;
    } else delay = this._value(delayRef, params);
    if (typeof delay !== "number") {
      (this._q as any[]).push(event);
      return;
    }
    const key = id === undefined ? `r${this.system.sessions++}` : id;
    this._exec(() => this._defer(() => this.system.schedule(this, this, event, delay, key)));
  }

  private _sendTo(action: any, params: unknown): void {
    const event = this._value(action.event, params);
    let delay: unknown;
    if (typeof action.delay === "string") {
      const named = (this.logic as MachineLogic).I("delays", action.delay);
      delay = typeof named === "function" ? named(this._args(), params) : named;
    } else delay = this._value(action.delay, params);
    const to = this._value(action.to, params);
    let target: Actor | string | undefined;
    if (typeof to === "string") {
      if (to === PARENT) target = this._parent;
      else if (to === "#_internal") target = this;
      else if (to.slice(0, 2) === "#_") target = this._ch[to.slice(2)];
      else if (this._ch[to]) target = this._ch[to];
      // A child of the state being entered is invoked after its entry actions: named, it is
      // looked up when the send goes out (XState's `deferredActorIds`).
      else if (this._en) {
        this._en.push(to);
        target = to;
      }
      // As XState: a send to no one fails the transition, before anything of it is kept.
      if (!target) throw this._unreachable(to);
    } else target = to || this;
    const id = action.id === undefined ? `s${this.system.sessions++}` : action.id;
    this._exec(() =>
      this._defer(() => {
        const ref = typeof target === "string" ? this._ch[target] : (target as Actor);
        if (!ref) throw this._unreachable(to);
        if (typeof delay === "number") this.system.schedule(this, ref, event, delay, id);
        else this.system._relay(this, ref, event);
      }),
    );
  }

  private _unreachable(to: unknown): Error {
    return new Error(
      `Unable to send event to actor '${to}' from machine '${(this.logic as MachineLogic).id}'.`,
    );
  }

  private _spawn(src: unknown, id: string, systemId: string | undefined, input: unknown): void {
    const logic = typeof src === "string" ? (this.logic as MachineLogic).I("actors", src) : src;
    let child: Actor | undefined;
    if (logic) {
      child = new Actor(logic, {
        id,
        systemId,
        parent: this,
        input:
          typeof input === "function"
            ? input({ context: this._c, event: this._e, self: this })
            : input,
      });
    }
    const children = Object.assign({}, this._ch);
    children[id] = child as Actor;
    this._ch = children;
    this._dirty = 1;
    if (!child) return;
    const started = child;
    this._exec(() =>
      this._defer(() => {
        if (started._processingStatus !== STOPPED) started.start();
      }),
    );
  }

  private _stopChild(child: Actor | undefined): void {
    if (!child) return;
    const children = Object.assign({}, this._ch);
    delete children[child.id];
    this._ch = children;
    this._dirty = 1;
    this._exec(() => {
      unregisterTree(this.system, child);
      if (child._processingStatus !== RUNNING) child._stop();
      else this._defer(() => child._stop());
    });
  }

  private _guard(guard: any): boolean {
    if (typeof guard === "string") {
      const named = (this.logic as MachineLogic).I("guards", guard);
      if (!named) throw new Error(`Guard '${guard}' is not implemented.'.`);
      return this._guard(named);
    }
    if (guard.guards) return !this._guard(guard.guards[0]);
    if (typeof guard === "function") return guard({ context: this._c, event: this._e });
    return this._guard(guard.type);
  }
}

function unregisterTree(system: System, actor: Actor): void {
  const snapshot = actor.getSnapshot();
  if (snapshot?.children) {
    const ids = Object.keys(snapshot.children);
    for (let i = 0; i < ids.length; i++) unregisterTree(system, snapshot.children[ids[i]]);
  }
  system._unregister(actor);
}

/** The actions an `enqueueActions` collector is queueing (one collector runs at a time). */
let queue: unknown[] = [];

/**
 * The `enqueue` every collector gets: one function object for the whole device rather than one
 * with eight closures per call. `enqueue.x(...)` queues what `x(...)` makes. Written out, not made
 * in a loop over the makers: a function made at run time keeps its scope, and the eight cost 169
 * JsVars made so, 66 written out (code run from Storage costs less still).
 */
const ENQUEUE: any = (action: unknown) => queue.push(action);
ENQUEUE.assign = (a: unknown) => queue.push(assign(a));
ENQUEUE.cancel = (a: any) => queue.push(cancel(a));
ENQUEUE.emit = (a: unknown) => queue.push(emit(a));
ENQUEUE.raise = (a: unknown, b: any) => queue.push(raise(a, b));
ENQUEUE.sendParent = (a: unknown, b: any) => queue.push(sendParent(a, b));
ENQUEUE.sendTo = (a: unknown, b: unknown, c: any) => queue.push(sendTo(a, b, c));
ENQUEUE.spawnChild = (a: unknown, b: any) => queue.push(spawnChild(a, b));
ENQUEUE.stopChild = (a: unknown) => queue.push(stopChild(a));

export function createActor(logic: unknown, options?: ActorOptions): Actor {
  return new Actor(logic, options || {});
}
