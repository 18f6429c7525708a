/**
 * Every manager the device can run, one line each, in the order the table lists them (the start
 * order follows each one's `dependsOn`). Adding a manager is one folder under `managers/` and one
 * line here; a board runs those its `managers.json` names, or all of these.
 */
import { alarms } from "./alarms/manager.js";
import { api } from "./api/manager.js";
import { auth } from "./auth/manager.js";
import { config } from "./config/manager.js";
import { logger } from "./logger/manager.js";
import type { ManagerFactory } from "./manager.js";
import { network } from "./network/manager.js";
import { ota } from "./ota/manager.js";
import { state } from "./state/manager.js";
import { timesync } from "./timesync/manager.js";
import { watchdog } from "./watchdog/manager.js";

export const MANAGERS: Record<string, ManagerFactory> = {
  logger,
  network,
  auth,
  config,
  api,
  alarms,
  watchdog,
  timesync,
  state,
  ota,
};
