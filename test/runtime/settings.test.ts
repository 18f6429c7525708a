import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alarmSettings } from "../../managers/alarms/settings.js";
import { apiSettings } from "../../managers/api/settings.js";
import { deviceConfigSchema } from "../../managers/config/deviceSchema.js";
import { configSettings } from "../../managers/config/settings.js";
import { supervisorSettings } from "../../managers/controller/settings.js";
import { loggerSettings } from "../../managers/logger/settings.js";
import { networkSection, networkSettings } from "../../managers/network/settings.js";
import { stateSettings } from "../../managers/state/settings.js";
import { timeSyncSettings } from "../../managers/timesync/settings.js";
import { watchdogSettings } from "../../managers/watchdog/settings.js";
import { validate } from "../../runtime/schema.js";
import {
  int,
  mergeSettings,
  type SettingsSpec,
  section,
  settingsDefaults,
} from "../../runtime/settings.js";

interface Retry {
  baseMs: number;
  capMs: number;
  nested: { depth: number; width: number };
}

const RETRY: SettingsSpec<Retry> = {
  schema: () =>
    section({
      baseMs: int(1, 10_000, 100),
      capMs: int(1, 100_000, 1_000),
      nested: section({ depth: int(0, 9, 1), width: int(0, 9, 2) }),
      hardwareTimeoutMs: int(1, 10, 5),
    }),
  relations: (s) => (s.capMs >= s.baseMs ? null : "capMs: below baseMs"),
  passOver: "hardwareTimeoutMs",
};
const CURRENT: Retry = settingsDefaults(RETRY);

describe("the settings merge every manager uses", () => {
  it("starts on the schema's defaults, without the name another manager owns", () => {
    expect(CURRENT).toEqual({ baseMs: 100, capMs: 1_000, nested: { depth: 1, width: 2 } });
  });

  it("merges the changes over the current settings, a nested part one level down", () => {
    expect(mergeSettings(CURRENT, { capMs: 5_000, nested: { width: 7 } }, RETRY)).toEqual({
      settings: { baseMs: 100, capMs: 5_000, nested: { depth: 1, width: 7 } },
    });
    expect(CURRENT).toEqual({ baseMs: 100, capMs: 1_000, nested: { depth: 1, width: 2 } });
  });

  it("refuses the whole change at the first bad field, naming it in the schema's words", () => {
    expect(mergeSettings(CURRENT, { baseMs: 0.5 }, RETRY)).toEqual({
      error: "baseMs: must be integer",
    });
    expect(mergeSettings(CURRENT, { nested: { depth: 10 } }, RETRY)).toEqual({
      error: "nested/depth: must be <= 9",
    });
    expect(mergeSettings(CURRENT, { colour: 1 }, RETRY)).toEqual({
      error: "colour: unknown setting",
    });
    expect(mergeSettings(CURRENT, null, RETRY)).toEqual({ error: "settings: must be an object" });
    expect(mergeSettings(CURRENT, [1], RETRY)).toEqual({ error: "settings: must be an object" });
  });

  it("checks the merged result as a whole, so a cap is compared with the base it runs with", () => {
    expect(mergeSettings(CURRENT, { baseMs: 2_000 }, RETRY)).toEqual({
      error: "capMs: below baseMs",
    });
    expect(mergeSettings(CURRENT, { baseMs: 2_000, capMs: 2_000 }, RETRY)).toEqual({
      settings: { baseMs: 2_000, capMs: 2_000, nested: { depth: 1, width: 2 } },
    });
  });

  it("passes over the one name another manager owns, neither merged nor refused", () => {
    expect(mergeSettings(CURRENT, { hardwareTimeoutMs: 99, capMs: 900 }, RETRY)).toEqual({
      settings: { baseMs: 100, capMs: 900, nested: { depth: 1, width: 2 } },
    });
    const { passOver: _, ...owned } = RETRY;
    expect(mergeSettings(CURRENT, { hardwareTimeoutMs: 99 }, owned)).toEqual({
      error: "hardwareTimeoutMs: must be <= 10",
    });
  });

  it("takes an undefined value as absent, as the JSON it came as would", () => {
    expect(mergeSettings(CURRENT, { baseMs: undefined }, RETRY)).toEqual({ settings: CURRENT });
  });
});

/** Each section of the device configuration with the spec its manager checks `CONFIGURE` by. */
const SETTINGS_OWNERS: Record<string, SettingsSpec<any>> = {
  network: networkSettings,
  logger: loggerSettings,
  supervisor: supervisorSettings,
  config: configSettings,
  api: apiSettings,
  alarms: alarmSettings,
  watchdog: watchdogSettings,
  timesync: timeSyncSettings,
  state: stateSettings,
};

describe("one owner per setting", () => {
  const deviceSections = deviceConfigSchema().properties as Record<string, unknown>;

  it("the device schema is made of exactly the managers' sections", () => {
    expect(Object.keys(SETTINGS_OWNERS).sort()).toEqual(Object.keys(deviceSections).sort());
    for (const key of Object.keys(SETTINGS_OWNERS)) {
      const own = key === "network" ? networkSection() : SETTINGS_OWNERS[key].schema();
      expect(deviceSections[key], key).toEqual(own);
    }
    // The credentials are the network manager's settings, never the document's.
    const network = networkSettings.schema().properties as Record<string, unknown>;
    expect(Object.keys(network)).toContain("ssid");
    expect(Object.keys(deviceSections.network as { properties: object }).length).toBeGreaterThan(0);
    expect((deviceSections.network as { properties: object }).properties).not.toHaveProperty(
      "ssid",
    );
  });

  // Whatever a section's manager takes, the device schema takes as that section, and the other
  // way round but for what the schema cannot say (relations); so no bound is written twice.
  it("a manager takes a change exactly when the device schema takes it, relations apart", () => {
    const value = fc.oneof(
      fc.integer({ min: -10, max: 100_000 }),
      fc.constantFrom(0.5, "debug", "x", true, null, [], {}),
    );
    for (const key of Object.keys(SETTINGS_OWNERS)) {
      const spec = SETTINGS_OWNERS[key];
      const names = Object.keys(spec.schema().properties as object).filter(
        (name) => name !== spec.passOver,
      );
      const current = settingsDefaults(spec);
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 3 }), (change) => {
          const merged = mergeSettings(current, change, spec);
          const whole = Object.assign({}, current, change);
          const schemaTakes = validate(spec.schema(), whole).valid;
          if ("settings" in merged) expect(schemaTakes).toBe(true);
          else if (schemaTakes) expect(spec.relations?.(whole as never)).toBe(merged.error);
        }),
        { numRuns: 200 },
      );
    }
  });
});

describe("the API's port when the configuration names none", () => {
  it("is the schema's default, an unprivileged port, on every path a document takes", async () => {
    const { checkConfig } = await import("../../managers/config/machine.js");
    const { API_DEFAULTS, mergeApiSettings } = await import("../../managers/api/machine.js");
    const checked = checkConfig({ api: { rateLimit: { burst: 5 } } });
    if (!("config" in checked)) throw new Error(checked.errors.join("; "));
    const port = (checked.config.api as { port: number }).port;
    expect(port).toBeGreaterThanOrEqual(1024);
    expect(port).toBe(API_DEFAULTS.port);
    const merged = mergeApiSettings(API_DEFAULTS, {});
    expect("settings" in merged && merged.settings.port).toBe(port);
  });
});
