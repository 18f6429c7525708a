/**
 * The AbortController/AbortSignal shims against Node's own: random sequences of listener
 * additions and removals, `onabort` assignments and aborts (listeners that remove, add or
 * reassign during the dispatch), comparing every call with its `this`, its event and what the
 * signal said at that moment, and the state after every step.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AbortControllerShim, AbortSignalShim } from "../../../runtime/shims/abort";

const REASON_OBJECT = { why: "object reason" };
const REASONS: unknown[] = [undefined, "why", null, 0, REASON_OBJECT];

type SideEffect =
  | { kind: "none" }
  | { kind: "remove" | "add"; target: number }
  | { kind: "onabort"; handler: number }
  | { kind: "abortAgain" };

type Op =
  | { op: "add"; listener: number; options: number }
  | { op: "remove"; listener: number }
  | { op: "onabort"; handler: number }
  | { op: "readOnabort" }
  | { op: "abort"; reason: number }
  | { op: "state" }
  | { op: "throwIfAborted" };

/** Listeners 0-2 are functions, 3 is an object with handleEvent, 4 an object without one. */
const LISTENER_COUNT = 5;
/** onabort values: 0-1 functions, then null, undefined, a number, an object. */
const HANDLER_COUNT = 6;
const OPTIONS: unknown[] = [undefined, false, { once: true }, {}];

const sideEffect: fc.Arbitrary<SideEffect> = fc.oneof(
  { arbitrary: fc.constant({ kind: "none" as const }), weight: 4 },
  fc.record({
    kind: fc.constantFrom("remove" as const, "add" as const),
    target: fc.nat(LISTENER_COUNT - 1),
  }),
  fc.record({ kind: fc.constant("onabort" as const), handler: fc.nat(HANDLER_COUNT - 1) }),
  fc.constant({ kind: "abortAgain" as const }),
);

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      listener: fc.nat(LISTENER_COUNT - 1),
      options: fc.nat(OPTIONS.length - 1),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("remove" as const),
      listener: fc.nat(LISTENER_COUNT - 1),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("onabort" as const),
      handler: fc.nat(HANDLER_COUNT - 1),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("readOnabort" as const) }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant("abort" as const), reason: fc.nat(REASONS.length - 1) }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("state" as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("throwIfAborted" as const) }), weight: 1 },
);

function reasonLabel(reason: unknown): unknown {
  if (reason === REASON_OBJECT) return "reason-object";
  if (reason instanceof Error) {
    return [reason.name, reason.message, (reason as any).code, reason instanceof Error];
  }
  return reason;
}

interface Controller {
  signal: any;
  abort(reason?: unknown): void;
}

interface Run {
  log: unknown[];
  /** The run went where Node 20's EventTarget loses onabort (see NodeQuirk): not comparable. */
  nodeQuirk: boolean;
}

/**
 * Node 20's EventTarget keeps a listener count per event type that counts the onabort slot from
 * its first assignment, then only while it holds a function, and it deletes the whole listener
 * list (the onabort slot with it) when a removal brings the count to 0. From then on a handler
 * assigned to onabort is never called, or the assignment throws. This follows the count from the
 * operations alone, the same for both runs, to tell when a run went there.
 */
class NodeQuirk {
  hit = false;
  private readonly registered = new Set<unknown>();
  private readonly once = new Set<unknown>();
  private slot = false;
  private slotCount = 0;
  private handlerIsFunction = false;

  add(listener: unknown, options: unknown): void {
    if (listener == null || this.registered.has(listener)) return;
    this.registered.add(listener);
    if ((options as { once?: boolean } | undefined)?.once) this.once.add(listener);
  }

  remove(listener: unknown): void {
    if (!this.registered.delete(listener)) return;
    this.once.delete(listener);
    if (this.slot && this.registered.size + this.slotCount === 0) this.hit = true;
  }

  /** A listener was called: Node removes a `once` listener as it calls it. */
  called(listener: unknown): void {
    if (this.once.has(listener)) this.remove(listener);
  }

  onabort(value: unknown): void {
    const isFunction = typeof value === "function";
    if (!this.slot) {
      this.slot = true;
      this.slotCount = 1;
    } else {
      if (this.handlerIsFunction) this.slotCount--;
      if (isFunction) this.slotCount++;
    }
    this.handlerIsFunction = isFunction;
  }
}

function run(makeController: () => Controller, effects: SideEffect[][], ops: Op[]): Run {
  const controller = makeController();
  const signal = controller.signal;
  const log: unknown[] = [];
  const listeners: unknown[] = [];
  const handlers: unknown[] = [];
  const quirk = new NodeQuirk();

  function addListener(listener: unknown, options?: unknown) {
    quirk.add(listener, options);
    signal.addEventListener("abort", listener, options);
  }
  function removeListener(listener: unknown) {
    quirk.remove(listener);
    signal.removeEventListener("abort", listener);
  }
  /** False if the assignment threw (Node, after losing the slot). */
  function setOnabort(value: unknown): boolean {
    quirk.onabort(value);
    try {
      signal.onabort = value;
      return true;
    } catch (error) {
      log.push(["onabort threw", (error as Error).message]);
      quirk.hit = true;
      return false;
    }
  }

  function called(id: string, listener: unknown, self: unknown, event: any, effects: SideEffect[]) {
    quirk.called(listener);
    const selfLabel = self === signal ? "signal" : self === listeners[3] ? "object" : typeof self;
    log.push([
      "call",
      id,
      selfLabel,
      event.type,
      event.target === signal,
      signal.aborted,
      reasonLabel(signal.reason),
    ]);
    for (const effect of effects) {
      if (effect.kind === "remove") removeListener(listeners[effect.target]);
      if (effect.kind === "add") addListener(listeners[effect.target]);
      if (effect.kind === "onabort" && !setOnabort(handlers[effect.handler])) return;
      if (effect.kind === "abortAgain") controller.abort("again");
    }
  }

  for (let i = 0; i < 3; i++) {
    listeners.push(function (this: unknown, event: unknown) {
      called(`listener${i}`, listeners[i], this, event, effects[i]);
    });
  }
  listeners.push({
    handleEvent(this: unknown, event: unknown) {
      called("handleEvent", listeners[3], this, event, effects[3]);
    },
  });
  listeners.push({ noHandleEvent: true });
  for (let i = 0; i < 2; i++) {
    handlers.push(function (this: unknown, event: unknown) {
      called(`onabort${i}`, null, this, event, effects[4 + i]);
    });
  }
  handlers.push(null, undefined, 5, { notCallable: true });

  for (const op of ops) {
    switch (op.op) {
      case "add":
        addListener(listeners[op.listener], OPTIONS[op.options]);
        break;
      case "remove":
        removeListener(listeners[op.listener]);
        break;
      case "onabort":
        if (!setOnabort(handlers[op.handler])) return { log, nodeQuirk: true };
        break;
      case "readOnabort": {
        const value = signal.onabort;
        log.push(["onabort", handlers.indexOf(value), value === null]);
        break;
      }
      case "abort":
        controller.abort(REASONS[op.reason]);
        log.push(["aborted", signal.aborted, reasonLabel(signal.reason)]);
        break;
      case "state":
        log.push(["state", signal.aborted, reasonLabel(signal.reason)]);
        break;
      case "throwIfAborted":
        try {
          signal.throwIfAborted();
          log.push(["throwIfAborted", "returned"]);
        } catch (error) {
          log.push(["throwIfAborted", "threw", reasonLabel(error), error === signal.reason]);
        }
        break;
    }
  }
  controller.abort("final");
  log.push(["end", signal.aborted, reasonLabel(signal.reason)]);
  return { log, nodeQuirk: quirk.hit };
}

describe("AbortController shim against Node's", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("calls the same listeners, in the same order, seeing the same state", () => {
    // Fake timers: a listener error would be rethrown from a timer, and none may be.
    vi.useFakeTimers();
    fc.assert(
      fc.property(
        // What each listener (0-3) and onabort function (4-5) does when called.
        fc.array(fc.array(sideEffect, { maxLength: 2 }), { minLength: 6, maxLength: 6 }),
        fc.array(opArbitrary, { maxLength: 30, size: "max" }),
        (effects, ops) => {
          const shim = run(() => new AbortControllerShim(), effects, ops);
          expect(shim.log.some((entry: any) => entry[0] === "onabort threw")).toBe(false);
          expect(vi.getTimerCount()).toBe(0);
          const native = run(() => new AbortController(), effects, ops);
          // Where Node's own EventTarget loses onabort (see NodeQuirk), there is no reference.
          fc.pre(!native.nodeQuirk);
          expect(shim.log).toEqual(native.log);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("default reason: an AbortError like Node's DOMException", () => {
    const native = new AbortController();
    const shim = new AbortControllerShim();
    native.abort();
    shim.abort();
    expect(reasonLabel(shim.signal.reason)).toEqual(reasonLabel(native.signal.reason));
    expect(reasonLabel(shim.signal.reason)).toEqual([
      "AbortError",
      "This operation was aborted",
      20,
      true,
    ]);
    // abort(undefined) is the same as abort(); a second abort changes nothing.
    const again = new AbortControllerShim();
    again.abort(undefined);
    again.abort("later");
    expect((again.signal.reason as Error).name).toBe("AbortError");
  });

  it("has Node's surface: no enumerable state, illegal signal constructor, static abort", () => {
    const shim = new AbortControllerShim();
    const native = new AbortController();
    expect(Object.keys(shim)).toEqual(Object.keys(native));
    expect(Object.keys(shim.signal)).toEqual(Object.keys(native.signal));
    expect(JSON.stringify(shim.signal)).toBe(JSON.stringify(native.signal));
    expect(shim.signal instanceof (AbortSignalShim as any)).toBe(true);
    expect(() => new (AbortSignalShim as any)()).toThrow(TypeError);
    expect(() => new (AbortSignal as any)()).toThrow(TypeError);
    expect(() => (AbortControllerShim as any)()).toThrow(TypeError);
    const aborted = AbortSignalShim.abort("r");
    expect([aborted.aborted, aborted.reason]).toEqual([true, "r"]);
    expect((AbortSignalShim.abort().reason as Error).name).toBe("AbortError");
    for (const bad of [5, "x", true]) {
      expect(() => shim.signal.addEventListener("abort", bad as any)).toThrow(TypeError);
      expect(() => native.signal.addEventListener("abort", bad as any)).toThrow(TypeError);
    }
    let calls = 0;
    shim.signal.addEventListener("ABORT", () => calls++);
    shim.signal.addEventListener("abort", null);
    shim.abort();
    expect(calls).toBe(0);
  });

  describe("a throwing listener", () => {
    it("neither stops the others nor abort(); its error is thrown again from a timer", () => {
      vi.useFakeTimers();
      const controller = new AbortControllerShim();
      const calls: string[] = [];
      const failure = new Error("listener failed");
      controller.signal.addEventListener("abort", () => {
        calls.push("first");
        throw failure;
      });
      controller.signal.addEventListener("abort", () => {
        calls.push("second");
      });
      expect(() => controller.abort()).not.toThrow();
      expect(calls).toEqual(["first", "second"]);
      expect(() => vi.runAllTimers()).toThrow(failure);
    });
  });

  it("serves xstate's fromPromise pattern: a pending promise rejects on abort", async () => {
    const controller = new AbortControllerShim();
    const pending = new Promise((_resolve, reject) => {
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason));
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});
