/**
 * The WatchdogManager's entry in the device: beats with the token while the network is up,
 * summarising every manager of the table.
 */
import type { ManagerFactory } from "../manager.js";
import { watchdogEffects } from "./effects.js";
import { createWatchdogMachine } from "./machine.js";

export const watchdog: ManagerFactory = (d) => ({
  id: "watchdog",
  logic: createWatchdogMachine(watchdogEffects(d.board)),
  input: {
    deviceId: d.deviceId,
    discoveryUrl: d.setup.services.discoveryUrl,
    managers: d.managerIds,
  },
  dependsOn: ["auth"],
  requiredForReadiness: false,
  configKey: "watchdog",
  subscribes: ["TOKEN", "TOKEN_LOST", "NETWORK_UP", "NETWORK_DOWN"],
});
