/**
 * The device's protocol: every report a manager sends its parent, and so every event the
 * controller routes, is one member of `Report`. A table entry's `subscribes` and `queues` name
 * members of it (checked by the compiler), and `RECEIVERS` says, for every report type, either
 * which managers take it or that it is observation-only, on purpose and why. The test
 * `test/managers/protocol.test.ts` fails when a type has no subscriber in the full table and is
 * not declared observation-only, and when a manager sends its parent an event outside the union.
 *
 * The machines import only types from here: `RECEIVERS` is for the tests, never in the firmware.
 */

import type { LogLevel } from "../runtime/log.js";
import type { AuthReport } from "./auth/machine.js";
import type { ConfigUpdated } from "./controller/machine.js";
import type { NetworkReport } from "./network/machine.js";
import type { AlarmEvent, PongEvent, SettingsRefusedReport } from "./supervision.js";
import type { TimeSyncedReport } from "./timesync/machine.js";
import type { ReconnectRequest } from "./watchdog/machine.js";

/** A service refused the token a manager holds: the AuthManager registers again. */
export interface TokenRejectedReport {
  type: "TOKEN_REJECTED";
  token: string;
}

/** The log level the StateManager took from the desired document (`logLevel`). */
export interface SetLevelReport {
  type: "SET_LEVEL";
  level: unknown;
}

/**
 * An operator's level (`PUT /log-level`), above the desired and the configured ones until
 * `until` (board time); `level: null` lifts it. Sent through the controller, which retains it for
 * a restarted logger.
 */
export interface LogLevelOverride {
  type: "LOG_LEVEL_OVERRIDE";
  level: LogLevel | null;
  until: number;
}

/** The level the logger now runs (after any of its three writers changed it): reported anew. */
export interface LogLevelReport {
  type: "LOG_LEVEL";
  level: LogLevel;
}

/** The firmware the desired state asks for (`firmware: {version}`), for the OtaManager. */
export interface FirmwareDesiredReport {
  type: "FIRMWARE_DESIRED";
  firmware: unknown;
}

export type Report =
  | PongEvent
  | AlarmEvent
  | AuthReport
  | TokenRejectedReport
  | NetworkReport
  | ConfigUpdated
  | ReconnectRequest
  | SetLevelReport
  | LogLevelOverride
  | LogLevelReport
  | FirmwareDesiredReport
  | TimeSyncedReport
  | SettingsRefusedReport;

export type ReportType = Report["type"];

/**
 * Who takes each report: `routed` (the controller hands it to the managers whose entry subscribes
 * to it; the test checks that one does), `controller` (the controller's own), or the reason it is
 * observation-only (seen by the inspector and the trace, acted on by nobody).
 */
export const RECEIVERS: Record<ReportType, "routed" | "controller" | { observedOnly: string }> = {
  PONG: "controller",
  ALARM: "routed",
  TOKEN: "routed",
  TOKEN_LOST: "routed",
  TOKEN_REJECTED: "routed",
  NETWORK_UP: "routed",
  NETWORK_DOWN: "routed",
  CONFIG_UPDATED: "controller",
  SETTINGS_REFUSED: "controller",
  RECONNECT: "routed",
  SET_LEVEL: "routed",
  LOG_LEVEL_OVERRIDE: "routed",
  LOG_LEVEL: "routed",
  FIRMWARE_DESIRED: "routed",
  TIME_SYNCED: {
    observedOnly:
      "the time sync's effects correct the device's one wall clock themselves, so no manager needs telling: the report is each round's record (offset, delay, server) for the inspector and the trace",
  },
};
