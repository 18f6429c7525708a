/**
 * A whole simulated device: the controller and its managers, built exactly as the firmware
 * builds them (`managers/controller/device.ts`), on a simulated board. Tests and fleet runs put it on a
 * `VirtualClock`; `npm start` puts it on the real clock. Every state change of every actor is
 * handed to `onTransition`, which is what traces, the console view and tests observe.
 */
import { type AnyActorRef, createActor, type InspectionEvent } from "xstate";
import type { FlashStorage } from "../board/sim/flashStorage.js";
import { createSimulatedBoard, type SimulatedBoard } from "../board/sim/simulatedBoard.js";
import type { RadioOptions } from "../board/sim/simulatedRadio.js";
import type { Clock, Http, Udp } from "../board/types.js";
import { API_KEY_FILE } from "../managers/api/effects.js";
import type { ApiSettings } from "../managers/api/machine.js";
import { DEVICE_KEY_FILE } from "../managers/auth/effects.js";
import {
  createDeviceMachine,
  type DeviceOptions,
  managerTable,
  type ServiceUrls,
} from "../managers/controller/device.js";
import { liveness, readiness } from "../managers/controller/health.js";
import type { ControllerContext, SupervisorSettings } from "../managers/controller/machine.js";
import type { ManagerSpec } from "../managers/controller/spec.js";
import type { Identity, LoggerSettings } from "../managers/logger/machine.js";
import type { NetworkContext, NetworkSettings } from "../managers/network/machine.js";
import type { OtaSettings } from "../managers/ota/machine.js";
import type { TimeSyncSettings } from "../managers/timesync/machine.js";
import type { BootChoice } from "../runtime/bootSlots.js";
import { stateName } from "../runtime/stateName.js";

export { stateName };

export interface Transition {
  at: number;
  actor: string;
  /** Flattened state value, e.g. `connected.probing`. */
  state: string;
  event: string;
  snapshot: { value: unknown; context: unknown };
}

export interface SimulatedDeviceOptions extends DeviceOptions {
  clock: Clock;
  seed: number;
  network?: Partial<NetworkSettings>;
  logger?: Partial<LoggerSettings>;
  supervisor?: Partial<SupervisorSettings>;
  /** The board profile's hardware watchdog range. */
  watchdogLimits?: { maxMs: number; stepMs: number };
  timesync?: Partial<TimeSyncSettings>;
  /** The managers this device runs (each with its dependencies); all of them when absent. */
  managers?: readonly string[];
  identity?: Partial<Identity>;
  radio?: RadioOptions;
  /** What the boot stub chose (`chooseBoot` over the flash); absent: slot `a`, committed. */
  boot?: BootChoice;
  /** Update settings that differ from the defaults. */
  ota?: Partial<OtaSettings>;
  /** The flash; pass the one of a previous run to simulate a reboot. */
  storage?: FlashStorage;
  /** Where the services are and how to reach them; nothing answers when absent. */
  services?: ServiceAccess;
  /** The key provisioned in the device's flash at first boot. */
  deviceKey?: string;
  /** The device API's settings at boot, e.g. `{ port: 0 }` on loopback. */
  api?: Partial<ApiSettings>;
  /** Replaces the manager table, e.g. to add a manager a test controls. */
  specs?: (board: SimulatedBoard, table: ManagerSpec[]) => ManagerSpec[];
  onTransition?: (transition: Transition) => void;
  /** Forwarded to XState, e.g. the Stately inspector's `inspect`. */
  inspect?: (event: InspectionEvent) => void;
  /**
   * The runtime the machines run on: XState's `createActor` by default, or the compiled-chart
   * runtime the device runs (`scripts/charts/adapt.ts`), to compare the two.
   */
  createActor?: (logic: any, options: any) => AnyActorRef;
  /** What the board reports as free memory; the host's by default (not reproducible). */
  freeMemory?: () => number;
  /** The board's unseeded random source (alarm key prefixes); `Math.random` by default. */
  entropy?: () => number;
  /** The board's device id; the simulated device's (`SIMULATED_DEVICE`) when absent. */
  deviceId?: string;
  /**
   * Wraps or replaces parts of the board before the managers are built on it: a recording
   * watches the seam (`recording/recorder.ts`), a replay answers from a recording.
   */
  adaptBoard?: (board: SimulatedBoard) => SimulatedBoard;
}

/** How long a reading of the host's free memory is reused (`process.memoryUsage()` is not cheap). */
const HOST_MEMORY_SAMPLE_MS = 1_000;
let hostMemory = { at: Number.NEGATIVE_INFINITY, free: 0 };

/**
 * What the host has free: JsVars inside the interpreter, heap bytes on Node (read at most once a
 * second of host time: on every heartbeat and API request it cost 6 % of a simulated day and 20 %
 * of the API's CPU), 0 in a bare `vm`.
 */
function hostFreeMemory(): number {
  const host = (globalThis as unknown as { process?: Record<string, unknown> }).process;
  if (typeof host?.memory === "function") return (host.memory as () => { free: number })().free;
  if (typeof host?.memoryUsage === "function") {
    const now = typeof performance === "undefined" ? 0 : performance.now();
    if (now - hostMemory.at < HOST_MEMORY_SAMPLE_MS) return hostMemory.free;
    const heap = (host.memoryUsage as () => { heapTotal: number; heapUsed: number })();
    hostMemory = { at: now, free: heap.heapTotal - heap.heapUsed };
    return hostMemory.free;
  }
  return 0;
}

/** The secret the simulated device's API tokens are signed with, provisioned in its flash. */
export const SIMULATED_API_KEY = "sim-api-key-0001";

/** The settings that join the simulated radio's access point. */
export const SIMULATED_AP = { ssid: "sim-ap", password: "sim-password" };

/** The simulated device's identity, as its services know it. */
export const SIMULATED_DEVICE = {
  deviceId: "sim-0001",
  key: "sim-device-key-0001",
  tenant: "sim-tenant",
  ns: "sim-ns",
};

export interface ServiceAccess extends ServiceUrls {
  /** The board's HTTP, given whether the radio's link is up. */
  http: (isLinkUp: () => boolean) => Http;
  /** The board's UDP, likewise; nothing answers when absent. */
  udp?: (isLinkUp: () => boolean) => Udp;
}

export function simulateDevice(options: SimulatedDeviceOptions) {
  const built: SimulatedBoard = createSimulatedBoard({
    clock: options.clock,
    seed: options.seed,
    radio: options.radio,
    storage: options.storage,
    http: options.services?.http,
    udp: options.services?.udp,
    deviceId: options.deviceId ?? SIMULATED_DEVICE.deviceId,
    freeMemory: options.freeMemory ?? hostFreeMemory,
    entropy: options.entropy,
    log: () => {},
  });
  const board = options.adaptBoard ? options.adaptBoard(built) : built;
  // Provisioning: a new device leaves the factory with its key in flash.
  if (board.storage.read(DEVICE_KEY_FILE) === undefined) {
    board.storage.write(DEVICE_KEY_FILE, options.deviceKey ?? SIMULATED_DEVICE.key);
  }
  if (board.storage.read(API_KEY_FILE) === undefined) {
    board.storage.write(API_KEY_FILE, SIMULATED_API_KEY);
  }
  const table = managerTable(board, {
    seed: options.seed,
    identity: options.identity,
    network: Object.assign({}, SIMULATED_AP, options.network),
    services: options.services ?? {
      discoveryUrl: "http://discovery.invalid",
      configUrl: "http://config.invalid",
    },
    logger: options.logger,
    api: options.api,
    timesync: options.timesync,
    managers: options.managers,
    boot: options.boot,
    ota: options.ota,
    observeLog: options.observeLog,
  });
  const specs = options.specs ? options.specs(board, table) : table;
  const lastState: Record<string, string> = {};
  const inspect = (event: InspectionEvent) => {
    options.inspect?.(event);
    if (event.type !== "@xstate.snapshot" || !options.onTransition) return;
    const ref = event.actorRef as AnyActorRef;
    const snapshot = event.snapshot as { value?: unknown; context?: unknown };
    if (snapshot.value === undefined) return;
    const state = stateName(snapshot.value);
    if (lastState[ref.id] === state) return;
    lastState[ref.id] = state;
    options.onTransition({
      at: board.clock.now(),
      actor: ref.id,
      state,
      event: event.event.type,
      snapshot: { value: snapshot.value, context: snapshot.context },
    });
  };
  const actor = (options.createActor ?? createActor)(createDeviceMachine(board, specs), {
    id: "controller",
    clock: board.clock,
    input: { supervisor: options.supervisor, watchdogLimits: options.watchdogLimits },
    // XState builds an inspection event for every action and microstep once anything inspects:
    // only pay for that when someone watches.
    inspect: options.onTransition || options.inspect ? inspect : undefined,
  });
  const controller = () =>
    actor.getSnapshot() as unknown as {
      value: unknown;
      context: ControllerContext;
      children: Record<string, AnyActorRef | undefined>;
    };
  const child = (id: string) => controller().children[id];
  const network = () => {
    const ref = child("network");
    if (!ref) throw new Error("the network manager is not running");
    return ref.getSnapshot() as { value: unknown; context: NetworkContext };
  };
  return {
    board,
    actor,
    specs,
    child,
    network,
    readiness: () => readiness(controller(), specs),
    liveness: () => liveness(controller()),
  };
}
