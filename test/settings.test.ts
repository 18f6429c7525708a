import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { integerAtLeast, mergeSettings, type SettingCheck } from "../runtime/settings.js";

interface Retry {
  baseMs: number;
  capMs: number;
}

const CHECKS: Record<keyof Retry, SettingCheck<Retry>> = {
  baseMs: integerAtLeast(1),
  capMs: (v, merged) =>
    integerAtLeast(1)(v, merged) ?? ((v as number) >= merged.baseMs ? null : "below baseMs"),
};
const CURRENT: Retry = { baseMs: 100, capMs: 1_000 };

describe("the settings merge every manager uses", () => {
  it("merges the changes over the current settings and leaves the current ones untouched", () => {
    expect(mergeSettings(CURRENT, { capMs: 5_000 }, CHECKS)).toEqual({
      settings: { baseMs: 100, capMs: 5_000 },
    });
    expect(CURRENT).toEqual({ baseMs: 100, capMs: 1_000 });
  });

  it("refuses the whole change at the first bad field, naming it", () => {
    expect(mergeSettings(CURRENT, { baseMs: 0.5 }, CHECKS)).toEqual({
      error: "baseMs: must be an integer >= 1",
    });
    expect(mergeSettings(CURRENT, { colour: 1 }, CHECKS)).toEqual({
      error: "colour: unknown setting",
    });
    expect(mergeSettings(CURRENT, null, CHECKS)).toEqual({ error: "settings: must be an object" });
  });

  it("checks the merged result as a whole, so a cap is compared with the base it runs with", () => {
    expect(mergeSettings(CURRENT, { baseMs: 2_000 }, CHECKS)).toEqual({
      error: "capMs: below baseMs",
    });
    expect(mergeSettings(CURRENT, { baseMs: 2_000, capMs: 2_000 }, CHECKS)).toEqual({
      settings: { baseMs: 2_000, capMs: 2_000 },
    });
  });

  it("passes over the one name another manager owns, neither merged nor refused", () => {
    expect(
      mergeSettings(CURRENT, { hardwareTimeoutMs: 1, capMs: 900 }, CHECKS, "hardwareTimeoutMs"),
    ).toEqual({
      settings: { baseMs: 100, capMs: 900 },
    });
    expect(mergeSettings(CURRENT, { hardwareTimeoutMs: 1 }, CHECKS)).toEqual({
      error: "hardwareTimeoutMs: unknown setting",
    });
  });

  it("accepts exactly the whole numbers from its minimum", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.double({ noDefaultInfinity: true }), fc.string()),
        fc.integer({ min: -5, max: 5 }),
        (v, min) => {
          const ok = typeof v === "number" && Number.isInteger(v) && v >= min;
          expect(integerAtLeast(min)(v, undefined) === null).toBe(ok);
        },
      ),
    );
  });
});

describe("the API's port when the configuration names none", () => {
  it("is the schema's default, an unprivileged port, on every path a document takes", async () => {
    const { checkConfig } = await import("../managers/config/machine.js");
    const { API_DEFAULTS, mergeApiSettings } = await import("../managers/api/machine.js");
    const checked = checkConfig({ api: { rateLimit: { burst: 5 } } });
    if (!("config" in checked)) throw new Error(checked.errors.join("; "));
    const port = (checked.config.api as { port: number }).port;
    expect(port).toBeGreaterThanOrEqual(1024);
    expect(port).toBe(API_DEFAULTS.port);
    const merged = mergeApiSettings(API_DEFAULTS, {});
    expect("settings" in merged && merged.settings.port).toBe(port);
  });
});
