/**
 * Tests generated from each manager's statechart (`simulations/paths`): every shortest, simple
 * and per-transition path, run on the virtual clock under XState with the manager's own
 * machine, must go where XState's pure `transition` says, step by step (delayed steps fire on
 * the clock, each at its due time); and together the paths must reach every state and every
 * reachable transition of every manager (`npm run coverage:charts` prints the table).
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { chartElements, measureCoverage } from "../../../simulations/paths/coverage.js";
import { PATH_MODELS } from "../../../simulations/paths/models.js";
import { generatePaths, type PathKind } from "../../../simulations/paths/paths.js";
import { runSteps } from "../../../simulations/paths/run.js";

const KINDS: PathKind[] = ["shortest", "simple", "transition"];

describe("generated paths run on the virtual clock as the statechart says", () => {
  for (const model of PATH_MODELS) {
    for (const kind of KINDS) {
      it(`${model.id}: ${kind} paths`, () => {
        for (const path of generatePaths(model, [kind])) {
          const run = runSteps(model, path.events);
          const where = `${model.id}: ${path.name}`;
          expect(run.taken.indexOf(false), `${where}: a step did not happen`).toBe(-1);
          expect(run.values, where).toEqual(path.values);
        }
      });
    }
  }

  it("delayed steps fire at their due time on the clock", () => {
    const network = PATH_MODELS.find((m) => m.id === "network")!;
    const path = generatePaths(network, ["shortest"]).find((p) =>
      p.events.some((e) => e.type === "xstate.after.probeInterval.network.connected.idle"),
    )!;
    const run = runSteps(network, path.events);
    expect(run.clock.now()).toBe(10_000);
  });

  it("a delayed step another timer pre-empts is reported as not taken", () => {
    const network = PATH_MODELS.find((m) => m.id === "network")!;
    // Connecting, the probe timer of `connected.idle` never runs: the connect times out first.
    const run = runSteps(network, [{ type: "xstate.after.probeInterval.network.connected.idle" }]);
    expect(run.taken).toEqual([false]);
  });
});

describe("the generated paths cover every manager's statechart", () => {
  for (const model of PATH_MODELS) {
    it(`${model.id}: every state and every reachable transition`, () => {
      const c = measureCoverage(model);
      expect(c.states.filter((s) => !c.reachedStates.has(s))).toEqual([]);
      const reachable = c.transitions.filter((t) => !(t in c.unreachable));
      expect(reachable.filter((t) => !c.reachedTransitions.has(t))).toEqual([]);
      // A declaration names a transition of the chart, and one that is indeed never taken.
      for (const t of Object.keys(c.unreachable)) {
        expect(c.transitions).toContain(t);
        expect(c.reachedTransitions.has(t), t).toBe(false);
      }
    });
  }

  it("names each guarded alternative apart, and misses one whose payload is not sampled", () => {
    const network = PATH_MODELS.find((m) => m.id === "network")!;
    const { machine } = network.build(new VirtualClock());
    expect(chartElements(machine).transitions).toEqual(
      expect.arrayContaining([
        "network.connecting WIFI_FAILED[0]",
        "network.connecting WIFI_FAILED[1]",
      ]),
    );
    const withoutNoRadio = {
      ...network,
      samples: {
        ...network.samples,
        WIFI_FAILED: network.samples.WIFI_FAILED.filter((e) => e.error !== "no-radio"),
      },
    };
    const c = measureCoverage(withoutNoRadio);
    expect(c.reachedTransitions.has("network.connecting WIFI_FAILED[1]")).toBe(true);
    expect(c.reachedTransitions.has("network.connecting WIFI_FAILED[0]")).toBe(false);
  });
});
