/**
 * A hardware watchdog in software, on the board's clock: `enable` arms it, `kick` re-arms it,
 * and when a timeout passes without a kick it bites: the bite is recorded and `bite` (the
 * board's reset with `hardware-watchdog`) is called, once. A reset leaves it disarmed (a chip
 * restarts with its watchdog off until the firmware enables it again; the simulated board does
 * not restart, so it stays off).
 *
 * Hardware counts while the CPU is busy. A kick that arrives after the deadline (the loop was
 * blocked: `VirtualClock.block`, and the kicking tick ran late) therefore bites rather than
 * re-arms. On a device the bite interrupts the busy loop; a simulation can only act once the loop
 * returns, so the bite is stamped then, with how long the device had gone without a kick.
 * Bundled with the simulated board: no Node API.
 */
import type { Clock, Watchdog } from "../types.js";

export interface Bite {
  /** When it bit: at the deadline, or when a blocked loop gave the CPU back. */
  at: number;
  /** Time since the last kick (or the enabling): the timeout, or more after a blocked loop. */
  sinceKickMs: number;
}

export class SimulatedWatchdog implements Watchdog {
  readonly bites: Bite[] = [];
  /** The timeout in force, null while disarmed. */
  timeoutMs: number | null = null;
  /** The last kick, or the enabling when none came since. */
  lastKickAt: number | null = null;
  private timer: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly bite: () => void,
  ) {}

  enable(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    this.arm();
  }

  kick(): void {
    if (this.timeoutMs === null || this.lastKickAt === null) return;
    if (this.clock.now() >= this.lastKickAt + this.timeoutMs) this.expire();
    else this.arm();
  }

  /** The board was reset: the watchdog is off until enabled again. */
  disarm(): void {
    this.clock.clearTimeout(this.timer);
    this.timeoutMs = null;
  }

  private arm(): void {
    this.clock.clearTimeout(this.timer);
    this.lastKickAt = this.clock.now();
    this.timer = this.clock.setTimeout(() => this.expire(), this.timeoutMs ?? 0);
  }

  private expire(): void {
    if (this.timeoutMs === null || this.lastKickAt === null) return;
    const at = this.clock.now();
    this.bites.push({ at, sinceKickMs: at - this.lastKickAt });
    this.disarm();
    this.bite();
  }
}
