/**
 * The `alarms` section: deduplication, the buffer and the delivery's retries, with their bounds
 * and defaults written once (see `runtime/settings.ts`).
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { AlarmSettings } from "./machine.js";

/** The smallest buffer the manager runs with (the schema and the manager once said 2 and 4). */
export const MIN_BUFFERED = 4;

export const alarmSettings: SettingsSpec<AlarmSettings> = {
  schema: () =>
    section({
      dedupWindowMs: int(0, 86_400_000, 60_000),
      maxBuffered: int(MIN_BUFFERED, 256, 32),
      batchSize: int(1, 100, 10),
      requestTimeoutMs: int(1_000, 120_000, 10_000),
      retryBaseMs: int(100, 60_000, 1_000),
      retryCapMs: int(1_000, 3_600_000, 60_000),
    }),
  relations: (s) =>
    s.retryCapMs >= s.retryBaseMs ? null : "retryCapMs: must not be below retryBaseMs",
};
