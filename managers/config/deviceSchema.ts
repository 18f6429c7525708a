/**
 * The device configuration's schema: what a ConfigurationServer document may hold, the bounds
 * the device accepts, and the defaults it runs on when it has no document at all.
 *
 * Each top-level section is one manager's settings (`configKey` in the controller's table), and
 * `supervisor` is the controller's own. WiFi credentials are deliberately absent: they stay in the
 * device's flash, so a bad document cannot take the device off its network for good.
 */
import type { Schema } from "../../runtime/schema.js";
import { ALARM_DEFAULTS, MIN_BUFFERED } from "../alarms/machine.js";

const int = (minimum: number, maximum: number, value: number): Schema => ({
  type: "integer",
  minimum,
  maximum,
  default: value,
});

/** An object of exactly these settings, each filled with its default when absent. */
const section = (properties: Record<string, Schema>): Schema => ({
  type: "object",
  additionalProperties: false,
  default: {},
  properties,
});

const trail = (maxFiles: number, maxAgeDays: number): Schema =>
  section({
    maxFileBytes: int(256, 65_536, 4096),
    maxFiles: int(1, 64, maxFiles),
    maxAgeMs: int(60_000, 365 * 86_400_000, maxAgeDays * 86_400_000),
  });

/**
 * Built on each call rather than kept: about 650 JsVars on the device, needed only while a
 * document is checked (at boot and when a new version arrives).
 */
export function deviceConfigSchema(): Schema {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      network: section({
        connectTimeoutMs: int(1_000, 120_000, 15_000),
        backoffBaseMs: int(100, 60_000, 1_000),
        backoffCapMs: int(1_000, 3_600_000, 60_000),
        probeIntervalMs: int(1_000, 3_600_000, 10_000),
        probeTimeoutMs: int(100, 60_000, 3_000),
        probeFailuresToDrop: int(1, 20, 2),
      }),
      logger: section({
        level: { enum: ["debug", "info", "warn", "error"], default: "info" },
        maskedFields: {
          type: "array",
          items: { type: "string", minLength: 1, maxLength: 32 },
          maxItems: 32,
          default: ["token", "password", "secret", "key", "authorization"],
        },
        log: trail(8, 7),
        audit: trail(4, 30),
      }),
      supervisor: section({
        maxRestarts: int(1, 100, 5),
        windowMs: int(1_000, 3_600_000, 60_000),
        restartBaseMs: int(10, 60_000, 1_000),
        restartCapMs: int(100, 600_000, 30_000),
        pingIntervalMs: int(1_000, 600_000, 10_000),
      }),
      config: section({
        pollIntervalMs: int(5_000, 86_400_000, 60_000),
      }),
      api: section({
        // Not 80: a document without a port must not move the API onto a privileged one.
        port: int(0, 65_535, 8080),
        rateLimit: section({
          burst: int(1, 1_000, 20),
          refillPerSec: int(1, 1_000, 5),
        }),
        unverifiedPerSec: int(1, 1_000, 10),
        maxBodyBytes: int(64, 65_536, 4096),
        clockSkewMs: int(0, 600_000, 30_000),
        maxTokenLifetimeSec: int(60, 31_536_000, 86_400),
      }),
      alarms: section({
        dedupWindowMs: int(0, 86_400_000, 60_000),
        maxBuffered: int(MIN_BUFFERED, 256, ALARM_DEFAULTS.maxBuffered),
        batchSize: int(1, 100, 10),
        requestTimeoutMs: int(1_000, 120_000, 10_000),
        retryBaseMs: int(100, 60_000, 1_000),
        retryCapMs: int(1_000, 3_600_000, 60_000),
      }),
      // `hardwareTimeoutMs` is the controller's, and must exceed `supervisor.pingIntervalMs`.
      watchdog: section({
        heartbeatIntervalMs: int(1_000, 86_400_000, 30_000),
        requestTimeoutMs: int(100, 120_000, 5_000),
        reconnectAfterMisses: int(1, 1_000, 3),
        resetAfterMisses: int(2, 1_000, 6),
        hardwareTimeoutMs: int(2_000, 3_600_000, 60_000),
      }),
      // `servers` has no default: a document that names none leaves the servers the device was
      // built with (the TimeSyncManager's `pool.ntp.org` and `time.google.com`, or a simulation's).
      timesync: section({
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
        stepThresholdMs: int(1, 3_600_000, 128),
        resyncIntervalMs: int(15_000, 7 * 86_400_000, 3_600_000),
        requestTimeoutMs: int(100, 60_000, 5_000),
        requireSync: { type: "boolean", default: false },
      }),
      state: section({
        debounceMs: int(0, 600_000, 2_000),
        longPollMs: int(1_000, 600_000, 30_000),
        maxConflictRetries: int(0, 20, 3),
        requestTimeoutMs: int(1_000, 120_000, 10_000),
        retryBaseMs: int(100, 60_000, 1_000),
        retryCapMs: int(1_000, 3_600_000, 60_000),
      }),
    },
  };
}
