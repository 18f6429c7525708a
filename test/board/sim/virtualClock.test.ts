/**
 * The virtual clock's binary heap fires timers in exactly the order the earlier sorted list did
 * (due time, then the order set), whatever is set, cleared, blocked and advanced, including
 * timers set and cleared from inside timers: traces recorded before it stay identical.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { ListClock } from "../../../scripts/bench/listClock.js";

type Op =
  | { op: "set"; ms: number; nested: number }
  | { op: "clear"; pick: number }
  | { op: "advance"; ms: number }
  | { op: "block"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    ms: fc.integer({ min: -5, max: 200 }),
    nested: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ op: fc.constant("clear" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 150 }) }),
  fc.record({ op: fc.constant("block" as const), ms: fc.integer({ min: 0, max: 50 }) }),
);

/** What a clock does under `ops`: each firing as `label@time`, and what stays pending. */
function play(clock: VirtualClock | ListClock, ops: Op[]): string[] {
  const fired: string[] = [];
  const ids: unknown[] = [];
  let label = 0;
  const set = (ms: number, nested: number) => {
    const mine = label++;
    ids.push(
      clock.setTimeout(() => {
        fired.push(`${mine}@${clock.now()}`);
        // A timer that sets another, and clears the oldest still known: what actors do.
        if (nested > 0) set(ms % 7, nested - 1);
        if (nested === 2 && ids.length > 0) clock.clearTimeout(ids[0]);
      }, ms),
    );
  };
  for (const o of ops) {
    if (o.op === "set") set(o.ms, o.nested);
    else if (o.op === "clear" && ids.length > 0) clock.clearTimeout(ids[o.pick % ids.length]);
    else if (o.op === "advance") clock.advance(o.ms);
    else if (o.op === "block") clock.block(o.ms);
  }
  clock.advance(1_000);
  fired.push(`pending ${clock.pending()} at ${clock.now()}`);
  return fired;
}

describe("the virtual clock's heap", () => {
  it("fires exactly as the sorted list did", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        expect(play(new VirtualClock(), ops)).toEqual(play(new ListClock(), ops));
      }),
      { numRuns: 300 },
    );
  });

  it("counts cleared timers out of pending at once, and ignores unknown ids", () => {
    const clock = new VirtualClock();
    const a = clock.setTimeout(() => {}, 10);
    clock.setTimeout(() => {}, 20);
    clock.clearTimeout(a);
    clock.clearTimeout(a);
    clock.clearTimeout(undefined);
    clock.clearTimeout("7");
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(20);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(20);
    expect(clock.runNext()).toBe(false);
  });
});
