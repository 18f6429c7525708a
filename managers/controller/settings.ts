/**
 * The `supervisor` section, the controller's own: restart intensity and backoff, and the ping
 * round, with their bounds and defaults written once (see `runtime/settings.ts`).
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { SupervisorSettings } from "./machine.js";

export const supervisorSettings: SettingsSpec<SupervisorSettings> = {
  schema: () =>
    section({
      maxRestarts: int(1, 100, 5),
      windowMs: int(1_000, 3_600_000, 60_000),
      restartBaseMs: int(10, 60_000, 1_000),
      restartCapMs: int(100, 600_000, 30_000),
      pingIntervalMs: int(1_000, 600_000, 10_000),
    }),
  relations: (s) =>
    s.restartCapMs >= s.restartBaseMs ? null : "restartCapMs: must not be below restartBaseMs",
};
