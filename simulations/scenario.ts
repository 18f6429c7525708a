/**
 * What a scenario file (`simulations/scenarios/*.ts`) says, as plain typed data: the device's
 * settings, a timeline of what the world does (radio faults, service faults, operator pushes,
 * alarm floods, power cuts, clock jumps), and what must hold at the end. `runScenario.ts` plays
 * it on the virtual clock for one device or a fleet; `npm run simulate -- <name>` prints the
 * result, and `test/simulations/scenarios.test.ts` fails on any expectation that does not hold.
 */
import type { SupervisorSettings } from "../managers/controller/machine.js";
import type { NetworkSettings } from "../managers/network/machine.js";
import type { TimeSyncSettings } from "../managers/timesync/machine.js";

/** The HTTP services of the world. */
export type ServiceName = "discovery" | "config" | "state" | "alarms";

export type Severity = "info" | "warning" | "error" | "critical";

/** What the world does at a moment; radio actions hit every device of a fleet. */
export type WorldAction =
  | { do: "radio-drop" }
  /** The access point is gone for `ms`: the link drops and joins fail. */
  | { do: "radio-outage"; ms: number }
  /** Healthy spells and outages of seeded lengths (each device of a fleet its own), until `untilMs`. */
  | { do: "radio-flap"; upMs: [number, number]; downMs: [number, number]; untilMs?: number }
  /** Associated but carrying nothing for `ms`: only probes notice. */
  | { do: "radio-stall"; ms: number }
  | { do: "radio-fail-joins"; n: number }
  | { do: "radio-hang-joins"; n: number }
  /** The next `n` requests answered `status` (503 by default). */
  | { do: "service-fail"; service: ServiceName; n: number; status?: number }
  /** The next `n` requests never answered. */
  | { do: "service-hang"; service: ServiceName; n: number }
  /** The next `n` answers cut short: 200 with a body that is not JSON. */
  | { do: "service-malform"; service: ServiceName; n: number }
  /** Every request held `ms` before the service sees it (0 ends it). */
  | { do: "service-latency"; service: ServiceName; ms: number }
  /** Every request answered 503 until `service-up`. */
  | { do: "service-down"; service: ServiceName }
  | { do: "service-up"; service: ServiceName }
  /** The NTP server's time jumps by `ms` (negative: back). */
  | { do: "clock-jump"; ms: number }
  /** An operator publishes a new configuration document for the device(s). */
  | { do: "config"; config: Record<string, unknown> }
  /** An operator edits the desired part of the state document. */
  | { do: "desired"; desired: Record<string, unknown> }
  /** A sensor raises `count` alarms, round robin over `sources` sources (1 by default). */
  | { do: "alarms"; type: string; severity: Severity; count: number; sources?: number }
  /** The power goes for `offMs`; the device boots again on the flash it had. */
  | { do: "power-cut"; offMs: number }
  /** The device restarts at once (as `/reboot` or a watchdog reset does). */
  | { do: "reboot" };

export interface TimedAction {
  /** Milliseconds of virtual time from the start. */
  at: number;
  action: WorldAction;
}

/** What must hold when the scenario ends (`reached` and `never` look at the whole run). */
export type Expectation =
  /** Every manager required for readiness is ready. */
  | { expect: "ready" }
  /** The actor's state (as `connected.idle`) starts with `state`. */
  | { expect: "state"; actor: string; state: string }
  /** The actor entered a state starting with `state` at least `times` times (1 by default). */
  | { expect: "reached"; actor: string; state: string; times?: number }
  /** The actor never entered a state starting with `state`. */
  | { expect: "never"; actor: string; state: string }
  /** The AlarmServer holds at least `count` distinct alarms from the device. */
  | { expect: "alarms-delivered"; count: number }
  /**
   * Every alarm the scenario raised reached the AlarmServer, each repeat counted (the sum of the
   * server's counts per type and source equals what was raised), and nothing waits or was dropped.
   */
  | { expect: "nothing-lost" }
  /** The configuration version the device applied. */
  | { expect: "config-version"; version: number }
  /** The desired part the device applied holds these values. */
  | { expect: "desired"; desired: Record<string, unknown> }
  /** The last correction the clock took (a step or a slew) was `ms`, within `within`. */
  | { expect: "clock-corrected"; ms: number; within: number }
  /** The board was reset for exactly these reasons, in order. */
  | { expect: "resets"; reasons: string[] }
  /** The supervisor restarted managers between `min` and `max` times in all. */
  | { expect: "restarts"; min: number; max: number };

export interface Scenario {
  /** The file name, as `npm run simulate -- <name>` takes it. */
  name: string;
  /** One sentence: what the world does and what the device must show. */
  description: string;
  seed: number;
  durationMs: number;
  /** Settings the device boots with (beyond the simulated world's). */
  device?: {
    network?: Partial<NetworkSettings>;
    supervisor?: Partial<SupervisorSettings>;
    timesync?: Partial<TimeSyncSettings>;
    managers?: string[];
  };
  /** One-way latency of the in-memory network (20 ms by default). */
  latencyMs?: number;
  tokenLifetimeMs?: number;
  timeline: TimedAction[];
  expect: Expectation[];
}

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
