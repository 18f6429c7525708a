/**
 * The AlarmManager's entry in the device: takes every `ALARM` (queued while it restarts), the
 * token and the `alarms` section; its key prefix is drawn at every boot from the board's unseeded
 * entropy.
 */
import type { ManagerFactory } from "../manager.js";
import { alarmEffects } from "./effects.js";
import { keyPrefix } from "./ledger.js";
import { createAlarmMachine } from "./machine.js";

export const alarms: ManagerFactory = (d) => ({
  id: "alarms",
  logic: createAlarmMachine(alarmEffects(d.board, d.wallClock.now)),
  input: {
    alarmsUrl: d.setup.services.alarmsUrl ?? "http://alarms.invalid",
    seed: d.setup.seed + 3,
    keyPrefix: keyPrefix(d.board.entropy()),
  },
  dependsOn: ["logger"],
  requiredForReadiness: true,
  configKey: "alarms",
  subscribes: ["ALARM", "TOKEN", "TOKEN_LOST"],
  queues: ["ALARM"],
});
