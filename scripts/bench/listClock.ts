/**
 * The virtual clock as it was before its timers moved into a binary heap: a list kept sorted by
 * inserting with a backward scan and a splice, and a forward scan and splice to clear. Kept as the
 * baseline `npm run bench` measures the heap against, and that
 * `test/board/sim/virtualClock.test.ts` requires to fire timers in exactly the same order (so
 * traces stay identical).
 */
import type { Clock } from "../../board/types.js";

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class ListClock implements Clock {
  private time: number;
  private nextId = 1;
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

  pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    this.runUntil(this.time + ms);
  }

  runUntil(end: number): void {
    while (this.timers.length > 0 && this.timers[0].due <= end) {
      const timer = this.timers.shift() as Timer;
      if (timer.due > this.time) this.time = timer.due;
      timer.fn();
    }
    if (end > this.time) this.time = end;
  }

  block(ms: number): void {
    this.time += Math.max(0, ms);
  }
}
