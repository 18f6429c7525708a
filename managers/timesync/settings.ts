/**
 * The `timesync` section: the NTP servers, sampling and resync, with their bounds and defaults
 * written once (see `runtime/settings.ts`). `servers` has no default in the schema: a document
 * that names none leaves the servers the device was built with (`builtIn`, or a simulation's).
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { TimeSyncSettings } from "./machine.js";

/** The shortest resync interval, and the floor of a failed round's retry. */
export const RETRY_FLOOR_MS = 15_000;

export const timeSyncSettings: SettingsSpec<TimeSyncSettings> = {
  schema: () =>
    section({
      servers: {
        type: "array",
        minItems: 1,
        maxItems: 8,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["host"],
          properties: {
            host: { type: "string", minLength: 1, maxLength: 253 },
            port: int(1, 65_535, 123),
          },
        },
      },
      samples: int(1, 16, 4),
      // ntpd's step threshold.
      stepThresholdMs: int(1, 3_600_000, 128),
      resyncIntervalMs: int(RETRY_FLOOR_MS, 7 * 86_400_000, 3_600_000),
      requestTimeoutMs: int(100, 60_000, 5_000),
      requireSync: { type: "boolean", default: false },
    }),
  builtIn: {
    servers: [
      { host: "pool.ntp.org", port: 123 },
      { host: "time.google.com", port: 123 },
    ],
  },
};
