/**
 * The device configuration's schema: what a ConfigurationServer document may hold, the bounds
 * the device accepts, and the defaults it runs on when it has no document at all.
 *
 * Each top-level section is one manager's settings (`configKey` in the controller's table), and
 * `supervisor` is the controller's own. A section is written once, in its manager's folder
 * (`managers/<id>/settings.ts`), and the manager checks its `CONFIGURE` against the same schema,
 * so the document's bounds and the manager's cannot drift apart. WiFi credentials are
 * deliberately absent: they stay in the device's flash, so a bad document cannot take the device
 * off its network for good.
 */
import type { Schema } from "../../runtime/schema.js";
import { alarmSettings } from "../alarms/settings.js";
import { apiSettings } from "../api/settings.js";
import { supervisorSettings } from "../controller/settings.js";
import { loggerSettings } from "../logger/settings.js";
import { networkSection } from "../network/settings.js";
import { stateSettings } from "../state/settings.js";
import { timeSyncSettings } from "../timesync/settings.js";
import { watchdogSettings } from "../watchdog/settings.js";
import { configSettings } from "./settings.js";

/**
 * Built on each call rather than kept: about 650 JsVars on the device, needed only while a
 * document is checked (at boot and when a new version arrives).
 */
export function deviceConfigSchema(): Schema {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      network: networkSection(),
      logger: loggerSettings.schema(),
      supervisor: supervisorSettings.schema(),
      config: configSettings.schema(),
      api: apiSettings.schema(),
      alarms: alarmSettings.schema(),
      watchdog: watchdogSettings.schema(),
      timesync: timeSyncSettings.schema(),
      state: stateSettings.schema(),
    },
  };
}
