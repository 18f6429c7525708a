/**
 * The TimeSyncManager's entry in the device: syncs the device's wall clock once the network is
 * up; its `ready` tag follows `requireSync` (unsynced is ready unless sync is required).
 */
import type { ManagerFactory } from "../manager.js";
import { timeSyncEffects } from "./effects.js";
import { createTimeSyncMachine } from "./machine.js";

export const timesync: ManagerFactory = (d) => ({
  id: "timesync",
  logic: createTimeSyncMachine(timeSyncEffects(d.board, d.wallClock)),
  input: { seed: d.setup.seed + 4, settings: d.setup.timesync },
  dependsOn: ["network"],
  requiredForReadiness: true,
  configKey: "timesync",
  subscribes: ["NETWORK_UP"],
});
