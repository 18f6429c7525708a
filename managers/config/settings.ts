/**
 * The `config` section: how often the ConfigManager polls the ConfigurationServer, written once
 * (see `runtime/settings.ts`). The interval is itself configuration: the ConfigManager reads it
 * from the document in force.
 */
import { int, type SettingsSpec, section } from "../../runtime/settings.js";

export interface ConfigSettings {
  pollIntervalMs: number;
}

export const configSettings: SettingsSpec<ConfigSettings> = {
  schema: () => section({ pollIntervalMs: int(5_000, 86_400_000, 60_000) }),
};
