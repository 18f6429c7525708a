/**
 * managers/timesync/wallClock.ts: a step moves the time at once; a slew reaches its target at 500 ppm,
 * without a jump and without ever running backwards.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { createWallClock, SLEW_RATE } from "../../../managers/timesync/wallClock.js";

describe("the wall clock", () => {
  it("reads the board clock until corrected, then steps at once", () => {
    const clock = new VirtualClock(5_000);
    const wall = createWallClock(clock);
    expect(wall.now()).toBe(5_000);
    wall.adjust(1_000_000, true);
    expect(wall.now()).toBe(1_005_000);
    wall.adjust(-2_000, true);
    expect(wall.now()).toBe(3_000);
  });

  it("slews at 500 ppm: 100 ms takes 200 s, and it is half-way after 100 s", () => {
    const clock = new VirtualClock();
    const wall = createWallClock(clock);
    wall.adjust(1_000_000, true);
    wall.adjust(1_000_100, false);
    expect(wall.offsetMs()).toBe(1_000_000);
    clock.advance(100_000);
    expect(wall.offsetMs()).toBeCloseTo(1_000_050, 6);
    clock.advance(100_000);
    expect(wall.offsetMs()).toBe(1_000_100);
    clock.advance(100_000);
    expect(wall.now()).toBe(300_000 + 1_000_100);
  });

  it("starts a new slew from where the last one had got to", () => {
    const clock = new VirtualClock();
    const wall = createWallClock(clock);
    wall.adjust(-100, false);
    clock.advance(100_000); // half-way: -50
    wall.adjust(0, false);
    expect(wall.offsetMs()).toBeCloseTo(-50, 6);
    clock.advance(100_000);
    expect(wall.offsetMs()).toBe(0);
  });

  it("never runs backwards nor faster than 1 + 500 ppm while slewing", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            target: fc.integer({ min: -10_000, max: 10_000 }),
            steps: fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 8 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (corrections) => {
          const clock = new VirtualClock();
          const wall = createWallClock(clock);
          for (const c of corrections) {
            wall.adjust(c.target, false);
            for (const dt of c.steps) {
              const before = wall.now();
              clock.advance(dt);
              const moved = wall.now() - before;
              expect(moved).toBeGreaterThanOrEqual(dt * (1 - SLEW_RATE) - 1e-6);
              expect(moved).toBeLessThanOrEqual(dt * (1 + SLEW_RATE) + 1e-6);
            }
          }
        },
      ),
    );
  });
});
