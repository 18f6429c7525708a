/**
 * The `state` section: the reported part's debounce, the change poll and the retries, with their
 * bounds and defaults written once (see `runtime/settings.ts`).
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { StateSettings } from "./machine.js";

export const stateSettings: SettingsSpec<StateSettings> = {
  schema: () =>
    section({
      debounceMs: int(0, 600_000, 2_000),
      longPollMs: int(1_000, 600_000, 30_000),
      maxConflictRetries: int(0, 20, 3),
      requestTimeoutMs: int(1_000, 120_000, 10_000),
      retryBaseMs: int(100, 60_000, 1_000),
      retryCapMs: int(1_000, 3_600_000, 60_000),
    }),
  relations: (s) =>
    s.retryCapMs >= s.retryBaseMs ? null : "retryCapMs: must not be below retryBaseMs",
};
