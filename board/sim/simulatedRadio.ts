/**
 * A WiFi radio in software, on any `Clock`: real time for `npm start`, virtual time for tests.
 * It behaves as a station does (association takes time, links drop, a link can stay associated
 * while carrying no traffic) and takes faults: fail the next N connects, hang the next N until
 * abandoned, drop the link at a time, stall traffic, outages, and a seeded flapping pattern.
 *
 * It also watches its user: it counts connects in flight, so a test can prove a manager never
 * runs two at once. Bundled into `dist/espruino-trace.js`, so no Node API here.
 */
import { seededRandom } from "../../runtime/random.js";
import type { Clock, Wifi, WifiCredentials, WifiError } from "../types.js";

export interface RadioOptions {
  ssid?: string;
  password?: string;
  connectLatencyMs?: number;
  probeLatencyMs?: number;
}

export interface FlapPattern {
  seed: number;
  /** Healthy spells last between these many milliseconds. */
  upMs: [number, number];
  /** Outages last between these many milliseconds. */
  downMs: [number, number];
  /** Absolute time after which the radio stays healthy; flaps forever when absent. */
  until?: number;
}

export interface RadioStats {
  connectsStarted: number;
  connectsInFlight: number;
  maxConnectsInFlight: number;
  drops: number;
}

export class SimulatedRadio implements Wifi {
  readonly connectLatencyMs: number;
  readonly stats: RadioStats = {
    connectsStarted: 0,
    connectsInFlight: 0,
    maxConnectsInFlight: 0,
    drops: 0,
  };
  private readonly probeLatencyMs: number;
  private readonly ssid: string;
  private readonly password: string;
  private associated = false;
  private outage = false;
  private stalled = false;
  private failNext = 0;
  private failWith: WifiError = "no-ap";
  private hangNext = 0;
  private listeners: Array<(reason: string) => void> = [];
  /** Bumped by `heal()`: fault timers of an older generation do nothing when they fire. */
  private generation = 0;

  constructor(
    private readonly clock: Clock,
    options: RadioOptions = {},
  ) {
    this.ssid = options.ssid ?? "sim-ap";
    this.password = options.password ?? "sim-password";
    this.connectLatencyMs = options.connectLatencyMs ?? 300;
    this.probeLatencyMs = options.probeLatencyMs ?? 40;
  }

  connect(creds: WifiCredentials, done: (error: WifiError | null) => void): () => void {
    const stats = this.stats;
    stats.connectsStarted++;
    stats.connectsInFlight++;
    if (stats.connectsInFlight > stats.maxConnectsInFlight) {
      stats.maxConnectsInFlight = stats.connectsInFlight;
    }
    let open = true;
    const finish = () => {
      if (!open) return;
      open = false;
      stats.connectsInFlight--;
    };
    if (this.hangNext > 0) {
      this.hangNext--;
      return finish;
    }
    const error = this.nextConnectError(creds);
    const timer = this.clock.setTimeout(() => {
      finish();
      if (error === null) this.associated = true;
      done(error);
    }, this.connectLatencyMs);
    return () => {
      if (!open) return;
      finish();
      this.clock.clearTimeout(timer);
    };
  }

  disconnect(): void {
    this.associated = false;
  }

  probe(done: (error: string | null) => void): () => void {
    const timer = this.clock.setTimeout(() => {
      if (!this.associated) done("not associated");
      else if (this.stalled || this.outage) done("no traffic");
      else done(null);
    }, this.probeLatencyMs);
    return () => this.clock.clearTimeout(timer);
  }

  onLinkLost(listener: (reason: string) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  isAssociated(): boolean {
    return this.associated;
  }

  /** The next `n` connects fail after the usual latency with `error`. */
  failNextConnects(n: number, error: WifiError = "auth-failed"): void {
    this.failNext = n;
    this.failWith = error;
  }

  /** The next `n` connects never answer, as a radio wedged mid-association does. */
  hangNextConnects(n: number): void {
    this.hangNext = n;
  }

  /** Drops the link now: the access point went away. */
  drop(reason = "beacon timeout"): void {
    if (!this.associated) return;
    this.associated = false;
    this.stats.drops++;
    const listeners = this.listeners.slice();
    for (let i = 0; i < listeners.length; i++) listeners[i](reason);
  }

  dropAt(time: number, reason?: string): void {
    this.schedule(time, () => this.drop(reason));
  }

  /** The link stays associated but carries nothing for `ms`: only a probe can notice. */
  stall(ms: number): void {
    this.stalled = true;
    this.schedule(this.clock.now() + ms, () => {
      this.stalled = false;
    });
  }

  /** The access point is gone for `ms`: the link drops and connects fail until it returns. */
  outageFor(ms: number): void {
    this.outage = true;
    this.drop("access point gone");
    this.schedule(this.clock.now() + ms, () => {
      this.outage = false;
    });
  }

  /** Alternates healthy spells and outages with seeded durations. */
  flap(pattern: FlapPattern): void {
    const random = seededRandom(pattern.seed);
    const span = (range: [number, number]) =>
      range[0] + Math.floor(random() * (range[1] - range[0] + 1));
    const healthySpell = () => {
      const at = this.clock.now() + span(pattern.upMs);
      if (pattern.until !== undefined && at >= pattern.until) return;
      this.schedule(at, () => {
        const down = span(pattern.downMs);
        this.outageFor(down);
        this.schedule(this.clock.now() + down, healthySpell);
      });
    };
    healthySpell();
  }

  /** Ends every fault, pending or scheduled: from now on the radio is healthy for good. */
  heal(): void {
    this.generation++;
    this.outage = false;
    this.stalled = false;
    this.failNext = 0;
    this.hangNext = 0;
  }

  private nextConnectError(creds: WifiCredentials): WifiError | null {
    if (this.outage) return "no-ap";
    if (this.failNext > 0) {
      this.failNext--;
      return this.failWith;
    }
    if (creds.ssid !== this.ssid) return "no-ap";
    if (creds.password !== this.password) return "auth-failed";
    return null;
  }

  private schedule(time: number, fn: () => void): void {
    const generation = this.generation;
    this.clock.setTimeout(() => {
      if (generation === this.generation) fn();
    }, time - this.clock.now());
  }
}
