/**
 * `AbortController` and `AbortSignal` for Espruino, which has neither.
 *
 * Who needs it: xstate's `fromPromise` does `new AbortController()` for every invocation, hands
 * `controller.signal` to the promise creator and calls `controller.abort()` when the actor stops.
 * Without it every promise actor rejects at once and silently takes its `onError` path.
 *
 * Guarantees, as Node's built-ins (checked against them in test/runtime/shims/abort.test.ts):
 * - `signal.aborted`, `signal.reason` (read-only getters), `signal.throwIfAborted()`;
 * - `controller.abort(reason)`: only the first call counts; no reason (or undefined) gives an
 *   Error named "AbortError", message "This operation was aborted", code 20 (Node's is a
 *   DOMException with the same name, message and code);
 * - `addEventListener("abort", listener, options)` with a function (called with `this` the signal)
 *   or an object with `handleEvent`; a listener added twice is called once; `removeEventListener`;
 *   listeners run in the order they were added, each once, with an event `{ type: "abort",
 *   target, currentTarget }`; TypeError for a listener that is neither an object nor a function
 *   (null and undefined are ignored);
 * - changes made by a listener during the dispatch take effect as in Node (whose EventTarget walks
 *   a linked list, taking each listener's successor before calling it, which is not quite the DOM
 *   rule): a listener removed before its turn is not called; one added is called if it lands
 *   after a listener still to come; a `{ once: true }` listener is removed before it is called;
 * - `onabort`: called (if a function) among the listeners at the place where `onabort` was first
 *   assigned, whatever was assigned then, as Node orders it;
 * - a listener that throws does not stop the others nor `abort()`: its error is thrown again from a
 *   `setTimeout` callback, so it is reported as uncaught, as Node reports it;
 * - `new AbortSignal()` throws TypeError; `AbortSignal.abort(reason)` gives an aborted signal.
 *
 * Not matched: the `capture` flag (a listener added with and without capture is one listener here,
 * two in Node), the `signal` option (ignored), `dispatchEvent`, `AbortSignal.timeout` and
 * `AbortSignal.any`; nor a Node 20 bug: once `onabort` holds a non-function and the last other
 * listener is removed, Node loses the `onabort` slot (a handler assigned later is never called, or
 * the assignment throws), while here it keeps its place. Listeners are dropped once the signal is
 * aborted, so an aborted signal holds no closures.
 */
import { defineAccessor, defineHidden, defineMethods, hiddenName } from "./hidden";

export interface ShimAbortEvent {
  readonly type: "abort";
  readonly target: ShimAbortSignal;
  readonly currentTarget: ShimAbortSignal;
}

export type ShimAbortListener =
  | ((this: ShimAbortSignal, event: ShimAbortEvent) => unknown)
  | { handleEvent(event: ShimAbortEvent): unknown };

export interface ShimAbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  onabort: ((this: ShimAbortSignal, event: ShimAbortEvent) => unknown) | null;
  addEventListener(type: string, listener: ShimAbortListener | null, options?: unknown): void;
  removeEventListener(type: string, listener: ShimAbortListener | null, options?: unknown): void;
  throwIfAborted(): void;
}

export interface ShimAbortController {
  readonly signal: ShimAbortSignal;
  abort(reason?: unknown): void;
}

export interface ShimAbortSignalConstructor {
  readonly prototype: ShimAbortSignal;
  abort(reason?: unknown): ShimAbortSignal;
}

export interface ShimAbortControllerConstructor {
  new (): ShimAbortController;
  readonly prototype: ShimAbortController;
}

/** What a signal keeps, under a hidden property. */
interface SignalState {
  aborted: boolean;
  reason: unknown;
  /** The value last assigned to `onabort`. */
  handler: unknown;
  /** Listeners in order, HANDLER at onabort's place; null before the first and after abort. */
  listeners: unknown[] | null;
  /** The listeners added with `{ once: true }`, if any. */
  once: unknown[] | null;
  /** While the abort event is dispatched: the index of the next listener to call, -1 for none. */
  next: number;
  dispatching: boolean;
}

const STATE = hiddenName("s");

/** Marks the place of `onabort` among the listeners. */
const HANDLER = {};

/** Passed by the controller: any other caller of the AbortSignal constructor gets a TypeError. */
const CREATE = {};

function stateOf(signal: any): SignalState {
  return signal[STATE];
}

function abortError(): Error {
  const error = new Error("This operation was aborted");
  error.name = "AbortError";
  (error as any).code = 20;
  return error;
}

function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}

function append(state: SignalState, entry: unknown): void {
  if (state.listeners === null) state.listeners = [entry];
  else state.listeners.push(entry);
}

/**
 * Removes the listener at `index`. During a dispatch this moves the next listener to call as
 * Node's linked list does: Node has already taken the removed listener's successor as the next
 * one when the removed listener is that successor, it skips it and goes on with the listener that
 * followed it (or stops, if none did, whatever is added later).
 */
function removeAt(state: SignalState, index: number): void {
  const listeners = state.listeners as unknown[];
  const entry = listeners[index];
  listeners.splice(index, 1);
  if (state.once !== null) {
    const onceIndex = state.once.indexOf(entry);
    if (onceIndex !== -1) state.once.splice(onceIndex, 1);
  }
  if (!state.dispatching || state.next === -1) return;
  if (index < state.next) state.next--;
  else if (index === state.next && state.next >= listeners.length) state.next = -1;
}

function callListener(signal: ShimAbortSignal, state: SignalState, entry: any, event: object) {
  if (entry === HANDLER) {
    const handler = state.handler;
    if (typeof handler === "function") handler.call(signal, event);
  } else if (typeof entry === "function") {
    entry.call(signal, event);
  } else if (typeof entry.handleEvent === "function") {
    entry.handleEvent(event);
  }
}

/**
 * Aborts the signal and calls its listeners in order. As in Node (whose order this follows, see
 * removeAt), a listener added during the dispatch is called if it lands after a listener still
 * to come; a `once` listener is removed before it is called.
 */
function abortSignal(signal: ShimAbortSignal, reason: unknown): void {
  const state = stateOf(signal);
  if (state.aborted) return;
  state.aborted = true;
  state.reason = reason;
  const listeners = state.listeners;
  if (listeners === null) return;
  const event = { type: "abort", target: signal, currentTarget: signal };
  state.dispatching = true;
  let index = listeners.length > 0 ? 0 : -1;
  while (index !== -1) {
    const entry = listeners[index];
    state.next = index + 1 < listeners.length ? index + 1 : -1;
    if (state.once !== null && state.once.indexOf(entry) !== -1) removeAt(state, index);
    try {
      callListener(signal, state, entry, event);
    } catch (error) {
      rethrowLater(error);
    }
    index = state.next;
  }
  state.dispatching = false;
  state.listeners = null;
  state.once = null;
}

export const AbortSignalShim = function (this: any, token?: unknown) {
  if (token !== CREATE) throw new TypeError("Illegal constructor");
  const state: SignalState = {
    aborted: false,
    reason: undefined,
    handler: null,
    listeners: null,
    once: null,
    next: -1,
    dispatching: false,
  };
  defineHidden(this, STATE, state);
} as unknown as ShimAbortSignalConstructor;

const Signal = AbortSignalShim as unknown as new (token: unknown) => ShimAbortSignal;

defineAccessor(AbortSignalShim.prototype, "aborted", function aborted(this: any) {
  return stateOf(this).aborted;
});
defineAccessor(AbortSignalShim.prototype, "reason", function reason(this: any) {
  return stateOf(this).reason;
});
defineAccessor(
  AbortSignalShim.prototype,
  "onabort",
  function getOnabort(this: any) {
    const handler = stateOf(this).handler;
    return handler === undefined ? null : handler;
  },
  function setOnabort(this: any, value: unknown) {
    const state = stateOf(this);
    state.handler = value;
    if (state.aborted && !state.dispatching) return;
    if (state.listeners === null || state.listeners.indexOf(HANDLER) === -1) append(state, HANDLER);
  },
);

defineMethods(AbortSignalShim.prototype, {
  addEventListener: function addEventListener(
    this: any,
    type: unknown,
    listener: unknown,
    options?: any,
  ) {
    if (listener == null) return;
    if (typeof listener !== "function" && typeof listener !== "object") {
      throw new TypeError("The listener must be a function or an object");
    }
    const state = stateOf(this);
    if (String(type) !== "abort" || (state.aborted && !state.dispatching)) return;
    if (state.listeners !== null && state.listeners.indexOf(listener) !== -1) return;
    append(state, listener);
    if (options !== null && typeof options === "object" && options.once) {
      if (state.once === null) state.once = [listener];
      else state.once.push(listener);
    }
  },
  removeEventListener: function removeEventListener(this: any, type: unknown, listener: unknown) {
    const state = stateOf(this);
    if (String(type) !== "abort" || state.listeners === null || listener == null) return;
    const index = state.listeners.indexOf(listener);
    if (index !== -1) removeAt(state, index);
  },
  throwIfAborted: function throwIfAborted(this: any) {
    const state = stateOf(this);
    if (state.aborted) throw state.reason;
  },
});

defineMethods(AbortSignalShim, {
  abort: function abort(reason?: unknown) {
    const signal = new Signal(CREATE);
    abortSignal(signal, reason === undefined ? abortError() : reason);
    return signal;
  },
});

export const AbortControllerShim = function (this: any) {
  if (!(this instanceof AbortControllerShim)) {
    throw new TypeError("Constructor AbortController requires 'new'");
  }
  defineHidden(this, "signal", new Signal(CREATE));
} as unknown as ShimAbortControllerConstructor;

defineMethods(AbortControllerShim.prototype, {
  abort: function abort(this: ShimAbortController, reason?: unknown) {
    abortSignal(this.signal, reason === undefined ? abortError() : reason);
  },
});
