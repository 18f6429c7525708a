/**
 * A clock whose time moves only when told to: `advance(ms)` runs every timer that falls due,
 * each at its own due time, in due-time order (ties in the order they were set), and timers set
 * while running are honoured in the same pass. A day of device time takes milliseconds, and the
 * same calls give the same trace every run, on Node and inside the Espruino interpreter alike
 * (this file is bundled into `dist/espruino-trace.js`, so it uses no Node API and no Map).
 *
 * XState's own SimulatedClock fires everything due at the new time instead, so a timer due at
 * 1 s fired by a jump to 5 s would see `now() === 5000`: wrong for traces that record times.
 *
 * `block(ms)` is the exception, on purpose: a CPU stuck in a synchronous loop. Time moves on and
 * nothing runs; the timers that fell due meanwhile run afterwards, late, in due-time order, and
 * time never goes back for them (what a hardware watchdog is there to catch).
 */
import type { Clock } from "../types.js";

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  /** Sorted by due time, then by id: the next timer to run is always at index 0. */
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer = { id: this.nextId++, due: this.time + Math.max(0, ms || 0), fn };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimeout(id: unknown): void {
    for (let i = 0; i < this.timers.length; i++) {
      if (this.timers[i].id === id) {
        this.timers.splice(i, 1);
        return;
      }
    }
  }

  /** Timers waiting to run. */
  pending(): number {
    return this.timers.length;
  }

  /** When the next timer falls due (a test steps the clock timer by timer), or null if none waits. */
  nextDue(): number | null {
    return this.timers.length > 0 ? this.timers[0].due : null;
  }

  /** Runs every timer due up to `now() + ms`, then leaves the time there. */
  advance(ms: number): void {
    this.runUntil(this.time + ms);
  }

  runUntil(end: number): void {
    while (this.timers.length > 0 && this.timers[0].due <= end) {
      const timer = this.timers.shift()!;
      // Later than its due time only after a `block`.
      if (timer.due > this.time) this.time = timer.due;
      timer.fn();
    }
    if (end > this.time) this.time = end;
  }

  /**
   * Busy for `ms` without yielding, as code that never returns to the event loop: the time moves
   * on and no timer runs, not even those falling due (they run late, at the next `advance`).
   * Called from inside a timer, the `advance` under way then goes on with them.
   */
  block(ms: number): void {
    this.time += Math.max(0, ms);
  }
}
