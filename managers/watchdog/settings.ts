/**
 * The `watchdog` section: the heartbeat and its escalation thresholds, with their bounds and
 * defaults written once (see `runtime/settings.ts`). `hardwareTimeoutMs` is in the section but is
 * the controller's (it arms the hardware watchdog and must exceed `supervisor.pingIntervalMs`):
 * the WatchdogManager passes over it.
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { WatchdogSettings } from "./machine.js";

export const watchdogSettings: SettingsSpec<WatchdogSettings> = {
  schema: () =>
    section({
      heartbeatIntervalMs: int(1_000, 86_400_000, 30_000),
      requestTimeoutMs: int(100, 120_000, 5_000),
      reconnectAfterMisses: int(1, 1_000, 3),
      resetAfterMisses: int(2, 1_000, 6),
      hardwareTimeoutMs: int(2_000, 3_600_000, 60_000),
    }),
  relations: (s) =>
    s.resetAfterMisses > s.reconnectAfterMisses
      ? null
      : `resetAfterMisses: must be above reconnectAfterMisses (${s.reconnectAfterMisses})`,
  passOver: "hardwareTimeoutMs",
};
