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
 * The timers wait in a binary heap ordered by (due time, id): setting and running one costs
 * O(log n), so a thousand devices on one clock do not pay a scan and a splice per timer.
 * A cleared timer is only marked and left for the heap to drop when it reaches the top.
 *
 * `block(ms)` is the exception, on purpose: a CPU stuck in a synchronous loop. Time moves on and
 * nothing runs; the timers that fell due meanwhile run afterwards, late, in due-time order, and
 * time never goes back for them (what a hardware watchdog is there to catch).
 */
import type { Clock } from "../types.js";

interface Timer {
  id: number;
  due: number;
  /** Null once cleared. */
  fn: (() => void) | null;
}

/** Whether `a` runs before `b`. */
function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  /** A binary heap: the next timer to run is always at index 0. */
  private heap: Timer[] = [];
  /** The timers not yet run nor cleared, by id (an object: the trace bundle has no Map). */
  private live: Record<number, Timer> = {};
  private liveCount = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer: Timer = { id: this.nextId++, due: this.time + Math.max(0, ms || 0), fn };
    this.live[timer.id] = timer;
    this.liveCount++;
    this.push(timer);
    return timer.id;
  }

  clearTimeout(id: unknown): void {
    if (typeof id !== "number") return;
    const timer = this.live[id];
    if (timer === undefined) return;
    timer.fn = null;
    delete this.live[id];
    this.liveCount--;
  }

  /** Timers waiting to run. */
  pending(): number {
    return this.liveCount;
  }

  /** When the next timer is due; null when none waits. */
  nextDue(): number | null {
    const next = this.top();
    return next === undefined ? null : next.due;
  }

  /** Runs every timer due up to `now() + ms`, then leaves the time there. */
  advance(ms: number): void {
    this.runUntil(this.time + ms);
  }

  runUntil(end: number): void {
    for (;;) {
      const next = this.top();
      if (next === undefined || next.due > end) break;
      this.runTop();
    }
    if (end > this.time) this.time = end;
  }

  /** Runs the next timer alone (a replay steps through them one at a time); false when none waits. */
  runNext(): boolean {
    if (this.top() === undefined) return false;
    this.runTop();
    return true;
  }

  /**
   * Busy for `ms` without yielding, as code that never returns to the event loop: the time moves
   * on and no timer runs, not even those falling due (they run late, at the next `advance`).
   * Called from inside a timer, the `advance` under way then goes on with them.
   */
  block(ms: number): void {
    this.time += Math.max(0, ms);
  }

  /** The earliest timer still to run, dropping cleared ones off the top. */
  private top(): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0].fn === null) this.pop();
    return this.heap[0];
  }

  private runTop(): void {
    const timer = this.pop();
    const fn = timer.fn as () => void;
    timer.fn = null;
    delete this.live[timer.id];
    this.liveCount--;
    // Later than its due time only after a `block`.
    if (timer.due > this.time) this.time = timer.due;
    fn();
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): Timer {
    const heap = this.heap;
    const first = heap[0];
    const last = heap.pop() as Timer;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return first;
  }
}
