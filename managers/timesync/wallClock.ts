/**
 * The device's wall clock: Unix time in milliseconds, read as the board clock plus an offset
 * that time sync sets.
 *
 * A correction either steps (the offset jumps to its target at once: for a clock that is far
 * off, as at boot, when the board clock counts from 0) or slews (the offset moves towards its
 * target at `slewRate`, 500 ppm by default, as Linux's `adjtime` does). While slewing, the wall
 * clock runs at 1 ± 0.0005 times the board clock's rate: it never jumps and never runs
 * backwards, so time stamps taken one after another stay in order. Until the first
 * correction the offset is 0, so the wall clock reads what the board clock reads.
 * Bundle-safe: plain numbers, no host API.
 */
import type { Clock } from "../../board/types.js";

/** 500 ppm: the most Linux's `adjtime` slews, and what NTP assumes a clock can be off by. */
export const SLEW_RATE = 0.0005;

export interface WallClock {
  /** Unix milliseconds (or milliseconds since boot, until the first correction). */
  now(): number;
  /** What is added to the board clock now. */
  offsetMs(): number;
  /** Moves the offset to `targetMs`: at once when `step`, else by slewing from where it is. */
  adjust(targetMs: number, step: boolean): void;
}

export function createWallClock(clock: Pick<Clock, "now">, slewRate = SLEW_RATE): WallClock {
  // The offset is `from` at board time `since`, and moves towards `to` at `slewRate`.
  let from = 0;
  let to = 0;
  let since = clock.now();

  const offsetAt = (t: number): number => {
    const gap = to - from;
    const moved = (t - since) * slewRate;
    if (moved >= Math.abs(gap)) return to;
    return gap > 0 ? from + moved : from - moved;
  };

  return {
    now: () => {
      const t = clock.now();
      return t + offsetAt(t);
    },
    offsetMs: () => offsetAt(clock.now()),
    adjust: (targetMs, step) => {
      const t = clock.now();
      from = step ? targetMs : offsetAt(t);
      to = targetMs;
      since = t;
    },
  };
}
