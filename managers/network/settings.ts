/**
 * The `network` section: the link's timeouts, backoff and probing, with their bounds and defaults
 * written once (see `runtime/settings.ts`). The WiFi credentials are the manager's settings too,
 * but not the section's: they stay in the device's flash, so a bad document cannot take the
 * device off its network for good.
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";
import type { NetworkSettings } from "./machine.js";

/** The section as the device schema holds it. */
export function networkSection() {
  return section({
    connectTimeoutMs: int(1_000, 120_000, 15_000),
    backoffBaseMs: int(100, 60_000, 1_000),
    backoffCapMs: int(1_000, 3_600_000, 60_000),
    probeIntervalMs: int(1_000, 3_600_000, 10_000),
    probeTimeoutMs: int(100, 60_000, 3_000),
    probeFailuresToDrop: int(1, 20, 2),
  });
}

export const networkSettings: SettingsSpec<NetworkSettings> = {
  schema: () => {
    const schema = networkSection();
    const credential = { type: "string" as const };
    (schema.properties as Record<string, object>).ssid = credential;
    (schema.properties as Record<string, object>).password = credential;
    return schema;
  },
  relations: (s) =>
    s.backoffCapMs >= s.backoffBaseMs ? null : "backoffCapMs: must not be below backoffBaseMs",
  builtIn: { ssid: "", password: "" },
};
