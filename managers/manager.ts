/**
 * What a manager's folder gives the device: a factory that, from the parts every manager of one
 * device shares (the board, what the device was told at boot, its identity and its one wall
 * clock), builds the manager's table entry, its pure machine joined to its effects on that board.
 * The factories are listed, one line each, in `managers/list.ts`; a factory is called only when
 * the board runs its manager, so a machine that is never built costs no RAM.
 */
import type { Board } from "../board/types.js";
import type { DeviceSetup } from "./controller/device.js";
import type { ManagerSpec } from "./controller/spec.js";
import type { Identity } from "./logger/machine.js";
import type { WallClock } from "./timesync/wallClock.js";

export interface DeviceParts {
  board: Board;
  setup: DeviceSetup;
  deviceId: string;
  /** Until a token names the tenant and namespace, `unassigned`. */
  identity: Identity;
  /** The device's one wall clock: time sync corrects it, everything that stamps time reads it. */
  wallClock: WallClock;
  /** Every manager of the table, filled in once the table is built (the summaries read them). */
  managerIds: readonly string[];
  /** Those of them required for readiness, likewise. */
  requiredIds: readonly string[];
}

export type ManagerFactory = (device: DeviceParts) => ManagerSpec;
