/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog, 2015; what AWS IoT and
 * NervesHub use): the wait before retry n is uniform in [0, min(cap, base * 2^n)). Spreading
 * retries over the whole window keeps a fleet that lost the same access point from returning
 * in lockstep, and the cap bounds how long a healed network goes unnoticed.
 */
import { nextSeed, unitOf } from "./random.js";

/** The largest exponent worth computing: 2^30 s is already beyond any sensible cap. */
const MAX_EXPONENT = 30;

/** The ceiling of the wait window before retry `attempt` (0 for the first retry). */
export function backoffCeiling(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, MAX_EXPONENT));
}

/** The wait before retry `attempt`, given a uniform `unit` in [0, 1). Whole milliseconds. */
export function fullJitter(attempt: number, baseMs: number, capMs: number, unit: number): number {
  return Math.floor(unit * backoffCeiling(attempt, baseMs, capMs));
}

/** What a machine keeps to back off: its generator's state and the retries since its last success. */
export interface BackoffState {
  seed: number;
  retry: number;
  backoffMs: number;
}

/** The next wait: drawn from the machine's own seeded generator, so the machine stays pure. */
export function nextBackoff(state: BackoffState, baseMs: number, capMs: number): BackoffState {
  const seed = nextSeed(state.seed);
  return {
    seed,
    retry: state.retry + 1,
    backoffMs: fullJitter(state.retry, baseMs, capMs, unitOf(seed)),
  };
}
