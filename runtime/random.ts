/**
 * A seeded pseudo-random sequence (xorshift32, Marsaglia 2003) held as one integer, so a machine
 * can keep its generator in context and stay pure: the same seed gives the same jitter on Node,
 * in a replay and on the device. Only shifts and xors on 32-bit integers: exact on Espruino,
 * which has no `Math.imul`. Not for cryptography.
 */

/** The state after `state`; never 0 (xorshift's one fixed point), whatever seed it started from. */
export function nextSeed(state: number): number {
  let x = state | 0 || 0x9e3779b9 | 0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x | 0;
}

/**
 * A well-mixed first state from any seed: xorshift needs a few rounds before small seeds
 * (0, 1, 7...) stop giving tiny first numbers.
 */
export function seedFrom(seed: number): number {
  let state = (seed ^ 0x5bd1e995) | 0;
  for (let i = 0; i < 8; i++) state = nextSeed(state);
  return state;
}

/** Maps a state to a uniform number in [0, 1). */
export function unitOf(state: number): number {
  return (state >>> 0) / 4294967296;
}

/** A `random()` function over a seeded sequence, for simulated boards and radios. */
export function seededRandom(seed: number): () => number {
  let state = seedFrom(seed);
  return () => {
    state = nextSeed(state);
    return unitOf(state);
  };
}
