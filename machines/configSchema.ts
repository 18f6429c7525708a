/**
 * The device configuration's schema: what a ConfigurationServer document may hold, the bounds
 * the device accepts, and the defaults it runs on when it has no document at all.
 *
 * Each top-level section is one manager's settings (`configKey` in the controller's table), and
 * `supervisor` is the controller's own. WiFi credentials are deliberately absent: they stay in the
 * device's flash, so a bad document cannot take the device off its network for good.
 */
import type { Schema } from "../runtime/schema.js";

const int = (minimum: number, maximum: number, value: number): Schema => ({
  type: "integer",
  minimum,
  maximum,
  default: value,
});

const trail = (maxFiles: number, maxAgeDays: number): Schema => ({
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    maxFileBytes: int(256, 65_536, 4096),
    maxFiles: int(1, 64, maxFiles),
    maxAgeMs: int(60_000, 365 * 86_400_000, maxAgeDays * 86_400_000),
  },
});

export const DEVICE_CONFIG_SCHEMA: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    network: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        connectTimeoutMs: int(1_000, 120_000, 15_000),
        backoffBaseMs: int(100, 60_000, 1_000),
        backoffCapMs: int(1_000, 3_600_000, 60_000),
        probeIntervalMs: int(1_000, 3_600_000, 10_000),
        probeTimeoutMs: int(100, 60_000, 3_000),
        probeFailuresToDrop: int(1, 20, 2),
      },
    },
    logger: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ["debug", "info", "warn", "error"], default: "info" },
        maskedFields: {
          type: "array",
          items: { type: "string", minLength: 1, maxLength: 32 },
          maxItems: 32,
          default: ["token", "password", "secret", "key", "authorization"],
        },
        log: trail(8, 7),
        audit: trail(4, 30),
      },
    },
    supervisor: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        maxRestarts: int(1, 100, 5),
        windowMs: int(1_000, 3_600_000, 60_000),
        restartBaseMs: int(10, 60_000, 1_000),
        restartCapMs: int(100, 600_000, 30_000),
        pingIntervalMs: int(1_000, 600_000, 10_000),
      },
    },
    config: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        pollIntervalMs: int(5_000, 86_400_000, 60_000),
      },
    },
    state: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        debounceMs: int(0, 600_000, 2_000),
        longPollMs: int(1_000, 600_000, 30_000),
        maxConflictRetries: int(0, 20, 3),
        requestTimeoutMs: int(1_000, 120_000, 10_000),
        retryBaseMs: int(100, 60_000, 1_000),
        retryCapMs: int(1_000, 3_600_000, 60_000),
      },
    },
  },
};
