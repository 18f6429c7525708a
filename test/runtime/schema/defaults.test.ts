import { describe, expect, it } from "vitest";
import { applyDefaults, defaultsOf } from "../../../runtime/schema/defaults.js";
import type { Schema } from "../../../runtime/schema/keywords.js";
import { device } from "../../fixtures/schemas.js";
import { wifi } from "../../fixtures/wifiSchema.js";

/* ----------------------------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------------------------- */

describe("applyDefaults and defaultsOf", () => {
  it("builds a device's config from defaults alone, recursing into defaults", () => {
    // `wifi` and `led` have no default of their own: absent objects are not invented.
    expect(defaultsOf(device)).toEqual({ name: "sensor", limits: { high: 10, low: 0 } });
  });

  it("uses the root default when there is one", () => {
    expect(defaultsOf({ default: { a: 1 }, properties: { b: { default: 2 } } })).toEqual({
      a: 1,
      b: 2,
    });
    expect(defaultsOf({ type: "integer", default: 5 })).toBe(5);
    expect(defaultsOf({ type: "string" })).toBeUndefined();
    expect(defaultsOf({ type: ["object", "null"] })).toEqual({});
  });

  it("fills missing properties at every depth: present objects, items, additional properties", () => {
    const value = {
      wifi: { ssid: "home" },
      led: {},
      sensors: [{}, { gain: 3 }],
      tags: { kitchen: {}, hall: { on: false } },
    };
    expect(applyDefaults(device, value)).toEqual({
      wifi: { ssid: "home", retries: 3, mode: "dhcp" },
      led: { pin: 2 },
      sensors: [{ gain: 1 }, { gain: 3 }],
      tags: { kitchen: { on: true }, hall: { on: false } },
      name: "sensor",
      limits: { high: 10, low: 0 },
    });
  });

  it("treats undefined as missing, but keeps null, false, 0 and wrong types", () => {
    expect(applyDefaults(wifi, { retries: undefined, mode: null })).toEqual({
      retries: 3,
      mode: null,
    });
    expect(applyDefaults(wifi, { retries: 0, mode: "x" })).toEqual({ retries: 0, mode: "x" });
    expect(applyDefaults(wifi, "not an object")).toBe("not an object");
    expect(applyDefaults(device, undefined)).toEqual(defaultsOf(device));
  });

  it("never mutates the input, and shares only what it did not change", () => {
    const value = {
      wifi: { ssid: "home" },
      sensors: [{ gain: 2 }],
      name: "n",
      limits: { high: 1 },
    };
    const snapshot = structuredClone(value);
    const result = applyDefaults(device, value) as typeof value;
    expect(value).toEqual(snapshot);
    expect(result).not.toBe(value);
    expect(result.wifi).not.toBe(value.wifi);
    expect(result.sensors).toBe(value.sensors);
    const complete = { wifi: { ssid: "x", retries: 1, mode: "static" } };
    expect(applyDefaults(wifi, complete.wifi)).toBe(complete.wifi);
  });

  it("copies defaults out of the schema: changing the result leaves the schema alone", () => {
    const schema: Schema = { properties: { list: { default: [{ a: 1 }] } } };
    const first = defaultsOf(schema) as { list: Array<{ a: number }> };
    first.list[0].a = 99;
    first.list.push({ a: 2 });
    expect(schema.properties?.list.default).toEqual([{ a: 1 }]);
    expect(applyDefaults(schema, {})).toEqual({ list: [{ a: 1 }] });
  });

  it("keeps the order of the input's keys, then adds defaults in the schema's order", () => {
    expect(Object.keys(applyDefaults(wifi, { ssid: "x" }) as object)).toEqual([
      "ssid",
      "retries",
      "mode",
    ]);
  });
});
