/**
 * The composition root: the table of managers the controller supervises, each manager's pure
 * machine joined to its effects on a given board. The firmware, the simulator and the tests all
 * build the device here, so what runs on the board is what was simulated. A new manager joins
 * by one folder under `managers/` and one line in `managers/list.ts`.
 */
import type { Board, WifiCredentials } from "../../board/types.js";
import type { BootChoice } from "../../runtime/bootSlots.js";
import type { ApiSettings } from "../api/machine.js";
import { MANAGERS } from "../list.js";
import type { SinkNotice } from "../logger/effects.js";
import type { Identity, LoggerSettings } from "../logger/machine.js";
import type { DeviceParts } from "../manager.js";
import type { NetworkSettings } from "../network/machine.js";
import type { OtaSettings } from "../ota/machine.js";
import type { TimeSyncSettings } from "../timesync/machine.js";
import { createWallClock } from "../timesync/wallClock.js";
import { createControllerMachine } from "./machine.js";
import type { ManagerSpec } from "./spec.js";

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
  /** The update service; absent, the OtaManager asks `http://updates.invalid` and finds nothing. */
  updatesUrl?: string;
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
  /** What the boot stub chose (`BOOT` on the device); absent without a stub (slot `a`, committed). */
  boot?: BootChoice;
  /** Update settings that differ from the defaults. */
  ota?: Partial<OtaSettings>;
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
  const requiredIds: string[] = [];
  const parts: DeviceParts = {
    board,
    setup,
    deviceId,
    identity,
    wallClock,
    managerIds,
    requiredIds,
  };
  const table: ManagerSpec[] = [];
  for (const id of setup.managers ?? Object.keys(MANAGERS)) {
    const build = MANAGERS[id];
    if (!build) {
      throw new Error(`no manager called ${id}: there are ${Object.keys(MANAGERS).join(", ")}`);
    }
    const spec = build(parts);
    table.push(spec);
    managerIds.push(id);
    if (spec.requiredForReadiness) requiredIds.push(id);
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
