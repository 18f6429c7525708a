/**
 * The statechart compiler refuses what the device runtime does not run, and says where: the
 * machine, the state node and the feature, in one message the build prints. And what it does
 * compile runs as XState runs it, down to the corner cases found by the generated paths.
 */
import { describe, expect, it } from "vitest";
import { type AnyStateMachine, and, assign, createActor, log, sendTo, setup } from "xstate";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { createCompiledActor } from "../../../scripts/charts/adapt.js";
import { chartsModule, compileChart, UnsupportedFeature } from "../../../scripts/charts/compile.js";
import { traceDifference, traceRecorder } from "../../support/traces.js";

const machine = (config: Record<string, unknown>) =>
  setup({
    guards: { a: () => true, b: () => true },
  }).createMachine({ id: "m", ...config } as never) as unknown as AnyStateMachine;

/** The message `compileChart` refuses `config` with (it must refuse it as `UnsupportedFeature`). */
function refusal(config: Record<string, unknown>): string {
  try {
    compileChart(machine(config));
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedFeature);
    return (error as Error).message;
  }
  throw new Error("compiled without complaint");
}

const said = (state: string, feature: string) =>
  `machine "m", state "${state}": ${feature} is not supported by the device's statechart compiler`;

describe("the compiler refuses what the device cannot run, naming machine, state and feature", () => {
  it("parallel states", () => {
    const config = {
      initial: "p",
      states: { p: { type: "parallel", states: { x: {}, y: {} } } },
    };
    expect(refusal(config)).toBe(said("m.p", "a parallel state"));
  });

  it("history states", () => {
    const config = { initial: "a", states: { a: {}, h: { type: "history" } } };
    expect(refusal(config)).toBe(said("m.h", "a history state"));
  });

  it("final states", () => {
    const config = { initial: "a", states: { a: { on: { GO: "done" } }, done: { type: "final" } } };
    expect(refusal(config)).toBe(said("m.done", "a final state"));
  });

  it("onDone on a compound state", () => {
    const config = {
      initial: "a",
      states: { a: { initial: "x", onDone: "b", states: { x: {} } }, b: {} },
    };
    expect(refusal(config)).toBe(said("m.a", '"onDone"'));
  });

  it("an invoke's onError and systemId, and a string as its input", () => {
    const invoking = (invoke: Record<string, unknown>) => ({
      initial: "a",
      states: { a: { invoke: { src: "child", ...invoke } } },
    });
    const child = setup({}).createMachine({ id: "child" });
    const refuse = (invoke: Record<string, unknown>) => {
      const m = setup({ actors: { child } }).createMachine({
        id: "m",
        ...invoking(invoke),
      } as never) as unknown as AnyStateMachine;
      try {
        compileChart(m);
      } catch (error) {
        expect(error).toBeInstanceOf(UnsupportedFeature);
        return (error as Error).message;
      }
      throw new Error("compiled without complaint");
    };
    expect(refuse({ onError: "a" })).toBe(said("m.a", 'invoke "onError"'));
    expect(refuse({ systemId: "kid" })).toBe(said("m.a", 'invoke "systemId"'));
    expect(refuse({ input: "text" })).toBe(said("m.a", "a string as invoke input"));
  });

  it("an initial transition with actions", () => {
    const config = { initial: { target: "a", actions: () => undefined }, states: { a: {} } };
    expect(refusal(config)).toBe(said("m", "an initial transition with actions"));
  });

  it("built-in actions the runtime lacks", () => {
    const config = { initial: "a", states: { a: { entry: log("hello") } } };
    expect(refusal(config)).toBe(said("m.a", "the built-in action xstate.log"));
  });

  it("guard combinators other than not", () => {
    const config = { initial: "a", states: { a: { on: { GO: { guard: and(["a", "b"]) } } } } };
    expect(refusal(config)).toBe(said("m.a", "the guard combinator and"));
  });

  it("partial wildcards", () => {
    const config = { initial: "a", states: { a: { on: { "GO*": {} } } } };
    expect(refusal(config)).toBe(said("m.a", 'the event descriptor "GO*"'));
  });

  it("a state key holding the separator of packed keys", () => {
    const config = { initial: "a|b", states: { "a|b": {} } };
    expect(refusal(config)).toBe(said("m.a|b", 'a "|" in a state key'));
  });

  it("more state nodes than a packed code holds", () => {
    const states = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`s${i}`, {}]));
    expect(refusal({ initial: "s0", states })).toBe(said("m", "more than 90 state nodes"));
  });

  it("two machines under one id", () => {
    expect(() => chartsModule([machine({}), machine({})])).toThrow(
      new UnsupportedFeature('two machines have the id "m"'),
    );
  });
});

describe("compiled corner cases, each found by the generated paths", () => {
  it("a machine without states has XState's value {}", () => {
    const stateless = setup({}).createMachine({ id: "host", context: { n: 1 } });
    const values = [createActor, createCompiledActor].map((create) => {
      const actor = (create as typeof createActor)(stateless, { clock: new VirtualClock() });
      actor.start();
      return actor.getSnapshot().value;
    });
    expect(values).toEqual([{}, {}]);
  });

  it("a send to a child that is not there fails the transition, keeping the context before it", () => {
    const sender = setup({}).createMachine({
      id: "sender",
      context: { n: 0 },
      on: { GO: { actions: [assign({ n: 1 }), sendTo("gone", { type: "HELLO" })] } },
    });
    const traces = [createActor, createCompiledActor].map((create) => {
      const clock = new VirtualClock();
      const trace = traceRecorder(clock);
      const actor = (create as typeof createActor)(sender, {
        id: "sender",
        clock,
        inspect: trace.inspect,
      });
      actor.subscribe({ error: () => undefined });
      actor.start();
      actor.send({ type: "GO" });
      expect(actor.getSnapshot()).toMatchObject({ status: "error", context: { n: 0 } });
      return trace.lines;
    });
    expect(traceDifference(traces[0], traces[1])).toBeNull();
  });
});
