/** The host's own time and timers, for running a simulation in real time (`npm start`). */
import type { Clock } from "../types.js";

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout> | undefined),
};
