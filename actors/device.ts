/**
 * The composition root: the table of managers the controller supervises, each manager's pure
 * machine joined to its effects on a given board. The firmware, the simulator and the tests all
 * build the device here, so what runs on the board is what was simulated. A new manager joins
 * by one entry in `managerTable`.
 */
import type { Board, WifiCredentials } from "../board/types.js";
import { createAlarmMachine, keyPrefix } from "../machines/alarms.js";
import { type ApiSettings, createApiMachine } from "../machines/api.js";
import { createAuthMachine } from "../machines/auth.js";
import { createConfigMachine } from "../machines/config.js";
import { createControllerMachine, type ManagerSpec } from "../machines/controller.js";
import { createLoggerMachine, type Identity, type LoggerSettings } from "../machines/logger.js";
import { createNetworkMachine, type NetworkSettings } from "../machines/network.js";
import { createStateMachine } from "../machines/state.js";
import { createTimeSyncMachine, type TimeSyncSettings } from "../machines/timeSync.js";
import { createWatchdogMachine } from "../machines/watchdog.js";
import { alarmEffects } from "./alarms.js";
import { apiEffects } from "./api.js";
import { authEffects } from "./auth.js";
import { configEffects } from "./config.js";
import { loggerEffects, type SinkNotice } from "./logger.js";
import { networkEffects } from "./network.js";
import { stateEffects } from "./state.js";
import { timeSyncEffects } from "./timeSync.js";
import { createWallClock } from "./wallClock.js";
import { watchdogEffects } from "./watchdog.js";

/** Where the reason for a supervisor escalation is kept across the reset it causes. */
export const ESCALATION_FILE = "supervisor.escalation";

/** Where the device's services answer. */
export interface ServiceUrls {
  discoveryUrl: string;
  configUrl: string;
  /** Where alarms are delivered; without it they wait in flash, undelivered. */
  alarmsUrl?: string;
  /** The StateServer; absent, the StateManager asks `http://state.invalid` and backs off. */
  stateUrl?: string;
}

export interface DeviceOptions {
  /** Sees every line the logger writes, expires or drops (the console view, tests). */
  observeLog?: (notice: SinkNotice) => void;
}

/** What one device is told at boot, from its flash on the board or by the simulation. */
export interface DeviceSetup extends DeviceOptions {
  /** Seeds every manager's jitter: from the board's random source, or fixed in a replay. */
  seed: number;
  /** Until a token names the tenant and namespace, the logger stamps `unassigned`. */
  identity?: Partial<Identity>;
  /** The access point, and any network settings that differ from the defaults. */
  network: WifiCredentials & Partial<NetworkSettings>;
  services: ServiceUrls;
  logger?: Partial<LoggerSettings>;
  /** The device API's settings until the configuration says otherwise (port 0: any free port). */
  api?: Partial<ApiSettings>;
  /** NTP servers and sync settings that differ from the defaults (`pool.ntp.org`...). */
  timesync?: Partial<TimeSyncSettings>;
  /**
   * The managers this board runs, each with those it depends on; all of them when absent. A
   * board with little RAM leaves some out (`managers.json` on the device).
   */
  managers?: readonly string[];
}

export function managerTable(board: Board, setup: DeviceSetup): ManagerSpec[] {
  const deviceId = board.info.deviceId;
  const identity: Identity = Object.assign(
    { device: deviceId, tenant: "unassigned", ns: "unassigned" },
    setup.identity,
  );
  // The device's one wall clock: time sync corrects it, everything that stamps time reads it.
  const wallClock = createWallClock(board.clock);
  // The heartbeat summarises every manager of the table: filled in once the table is built.
  const managerIds: string[] = [];
  // Built only when the board runs it: a machine that is never built costs no RAM.
  const builders: Record<string, () => ManagerSpec> = {
    logger: () => ({
      id: "logger",
      logic: createLoggerMachine(loggerEffects(board, wallClock, setup.observeLog)),
      input: { identity, settings: setup.logger },
      dependsOn: [],
      requiredForReadiness: true,
      configKey: "logger",
      subscribes: ["TOKEN", "SET_LEVEL"],
    }),
    network: () => ({
      id: "network",
      logic: createNetworkMachine(networkEffects(board)),
      input: { seed: setup.seed, settings: setup.network },
      dependsOn: ["logger"],
      requiredForReadiness: true,
      configKey: "network",
      subscribes: ["RECONNECT"],
    }),
    auth: () => ({
      id: "auth",
      logic: createAuthMachine(authEffects(board)),
      input: { deviceId, discoveryUrl: setup.services.discoveryUrl, seed: setup.seed + 1 },
      dependsOn: ["network"],
      requiredForReadiness: true,
      subscribes: ["NETWORK_UP", "TOKEN_REJECTED"],
    }),
    config: () => ({
      id: "config",
      logic: createConfigMachine(configEffects(board)),
      input: { deviceId, configUrl: setup.services.configUrl },
      dependsOn: ["auth"],
      requiredForReadiness: true,
      subscribes: ["TOKEN", "TOKEN_LOST"],
    }),
    api: () => ({
      id: "api",
      logic: createApiMachine(apiEffects(board, wallClock.now)),
      input: { seed: setup.seed + 2, settings: setup.api },
      dependsOn: ["logger"],
      requiredForReadiness: false,
      configKey: "api",
    }),
    alarms: () => ({
      id: "alarms",
      logic: createAlarmMachine(alarmEffects(board, wallClock.now)),
      input: {
        alarmsUrl: setup.services.alarmsUrl ?? "http://alarms.invalid",
        seed: setup.seed + 3,
        keyPrefix: keyPrefix(board.entropy()),
      },
      dependsOn: ["logger"],
      requiredForReadiness: true,
      configKey: "alarms",
      subscribes: ["ALARM", "TOKEN", "TOKEN_LOST"],
      queues: ["ALARM"],
    }),
    watchdog: () => ({
      id: "watchdog",
      logic: createWatchdogMachine(watchdogEffects(board)),
      input: { deviceId, discoveryUrl: setup.services.discoveryUrl, managers: managerIds },
      dependsOn: ["auth"],
      requiredForReadiness: false,
      configKey: "watchdog",
      subscribes: ["TOKEN", "TOKEN_LOST", "NETWORK_UP", "NETWORK_DOWN"],
    }),
    timesync: () => ({
      id: "timesync",
      logic: createTimeSyncMachine(timeSyncEffects(board, wallClock)),
      input: { seed: setup.seed + 4, settings: setup.timesync },
      dependsOn: ["network"],
      // Its `ready` tag follows `requireSync`: unsynced is ready unless sync is required.
      requiredForReadiness: true,
      configKey: "timesync",
      subscribes: ["NETWORK_UP"],
    }),
    state: () => ({
      id: "state",
      // The summary it reports reads every other manager of this table.
      logic: createStateMachine(
        stateEffects(board, () => managerIds.filter((id) => id !== "state")),
      ),
      input: {
        deviceId,
        stateUrl: setup.services.stateUrl ?? "http://state.invalid",
        seed: setup.seed + 5,
      },
      dependsOn: ["auth"],
      requiredForReadiness: false,
      configKey: "state",
      subscribes: ["NETWORK_UP", "NETWORK_DOWN", "TOKEN", "TOKEN_LOST", "CONFIG_UPDATED"],
    }),
  };
  const table: ManagerSpec[] = [];
  for (const id of setup.managers ?? Object.keys(builders)) {
    const build = builders[id];
    if (!build) {
      throw new Error(`no manager called ${id}: there are ${Object.keys(builders).join(", ")}`);
    }
    table.push(build());
    managerIds.push(id);
  }
  return table;
}

export function createDeviceMachine(board: Board, specs: ManagerSpec[]) {
  return createControllerMachine(specs, {
    persistEscalation: (reason) => {
      board.storage.write(ESCALATION_FILE, JSON.stringify({ reason, at: board.clock.now() }));
    },
    reset: (reason) => board.reset(reason),
    enableWatchdog: (timeoutMs) => board.watchdog.enable(timeoutMs),
    kickWatchdog: () => board.watchdog.kick(),
  });
}
