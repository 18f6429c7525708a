/**
 * The `logger` section: the configured level, the masked fields and the two trails' rotation,
 * with their bounds and defaults written once (see `runtime/settings.ts`). Espruino's Storage keeps
 * a file in one contiguous area: a few KB each keeps compaction cheap.
 */
import { DEFAULT_MASKED_FIELDS } from "../../runtime/mask.js";
import type { Schema } from "../../runtime/schema.js";
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { LoggerSettings } from "./machine.js";

const DAY_MS = 86_400_000;

function trail(maxFiles: number, maxAgeDays: number): Schema {
  return section({
    maxFileBytes: int(256, 65_536, 4096),
    maxFiles: int(1, 64, maxFiles),
    maxAgeMs: int(60_000, 365 * DAY_MS, maxAgeDays * DAY_MS),
  });
}

export const loggerSettings: SettingsSpec<LoggerSettings> = {
  schema: () =>
    section({
      level: { enum: ["debug", "info", "warn", "error"], default: "info" },
      maskedFields: {
        type: "array",
        items: { type: "string", minLength: 1, maxLength: 32 },
        maxItems: 32,
        default: DEFAULT_MASKED_FIELDS,
      },
      log: trail(8, 7),
      audit: trail(4, 30),
    }),
};
