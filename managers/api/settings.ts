/**
 * The `api` section: the device API's port, rate limits, body limit and token checks, with their
 * bounds and defaults written once (see `runtime/settings.ts`).
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { ApiSettings } from "./machine.js";

export const apiSettings: SettingsSpec<ApiSettings> = {
  schema: () =>
    section({
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
};
