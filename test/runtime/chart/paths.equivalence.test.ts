/**
 * The compiled-chart runtime against XState, one machine at a time: every generated path of
 * every manager (`simulations/paths`: shortest, simple and one per transition of the graph,
 * delayed transitions run on the clock) and random sequences of sampled events and clock
 * advances (fast-check) must give the same trace under both: every snapshot (value, context,
 * status), every event relayed (to the machine, to its children, to its parent, `LOG` to the
 * logger), every emitted event, stamped with the clock, in order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { createCompiledActor } from "../../../scripts/charts/adapt.js";
import type { PathModel } from "../../../simulations/paths/model.js";
import { PATH_MODELS } from "../../../simulations/paths/models.js";
import { generatePaths, type PathKind } from "../../../simulations/paths/paths.js";
import { type CreateActor, runSteps, type Step } from "../../../simulations/paths/run.js";
import { traceDifference, traceRecorder } from "../../support/traces.js";

function trace(model: PathModel, steps: readonly Step[], createActor?: CreateActor): string[] {
  const clock = new VirtualClock();
  const recorder = traceRecorder(clock);
  runSteps(model, steps, {
    clock,
    createActor,
    inspect: recorder.inspect,
    emitted: recorder.emitted,
  });
  return recorder.lines;
}

/** Where the two runtimes part on `steps`, or null. */
function divergence(model: PathModel, steps: readonly Step[]): string | null {
  const expected = trace(model, steps);
  const actual = trace(model, steps, createCompiledActor as unknown as CreateActor);
  return traceDifference(expected, actual);
}

const KINDS: PathKind[] = ["shortest", "simple", "transition"];

describe("every generated path gives the same trace under XState and compiled", () => {
  for (const model of PATH_MODELS) {
    for (const kind of KINDS) {
      it(`${model.id}: ${kind} paths`, () => {
        const paths = generatePaths(model, [kind]);
        expect(paths.length).toBeGreaterThan(0);
        for (const path of paths) {
          const difference = divergence(model, path.events);
          expect(difference, `${model.id}: ${path.name}`).toBeNull();
        }
      });
    }
  }
});

/** Any sampled event of the model, or time passing (up to two minutes: every delay fires). */
function stepOf(model: PathModel): fc.Arbitrary<Step> {
  const events = Object.values(model.samples).flat();
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...events) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((ms) => ({ advance: ms })) },
  );
}

describe("random event sequences with the clock advancing give the same trace", () => {
  for (const model of PATH_MODELS) {
    it(model.id, () => {
      fc.assert(
        fc.property(fc.array(stepOf(model), { maxLength: 40 }), (steps) => {
          expect(divergence(model, steps)).toBeNull();
        }),
        { numRuns: 40 },
      );
    });
  }
});
