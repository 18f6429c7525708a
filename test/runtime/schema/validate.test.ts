import { describe, expect, it } from "vitest";
import type { Schema } from "../../../runtime/schema/keywords.js";
import { MAX_ERRORS, validate } from "../../../runtime/schema/validate.js";
import { config } from "../../fixtures/schemas.js";
import { wifi } from "../../fixtures/wifiSchema.js";

const errorsOf = (schema: Schema, value: unknown): string[] => {
  const result = validate(schema, value);
  return result.valid ? [] : result.errors;
};

/* ----------------------------------------------------------------------------------------------
 * Hand-written cases
 * ------------------------------------------------------------------------------------------- */

/** [what, schema, value, the errors expected (none: valid)]. */
const CASES: Array<[string, Schema, unknown, string[]]> = [
  // type
  ["root not an object", { type: "object" }, [], [": must be object"]],
  ["null is not an object", { type: "object" }, null, [": must be object"]],
  ["array", { type: "array" }, [1], []],
  ["object is not an array", { type: "array" }, {}, [": must be array"]],
  ["string", { type: "string" }, "", []],
  ["number is not a string", { type: "string" }, 1, [": must be string"]],
  ["number", { type: "number" }, -2.5, []],
  ["integer accepts 1.0", { type: "integer" }, 1.0, []],
  ["integer refuses 1.5", { type: "integer" }, 1.5, [": must be integer"]],
  ["integer accepts 1e300", { type: "integer" }, 1e300, []],
  ["NaN is not a number", { type: "number" }, Number.NaN, [": must be number"]],
  ["Infinity is not a number", { type: "number" }, Number.POSITIVE_INFINITY, [": must be number"]],
  [
    "Infinity is not an integer",
    { type: "integer" },
    Number.NEGATIVE_INFINITY,
    [": must be integer"],
  ],
  ["boolean", { type: "boolean" }, false, []],
  ["0 is not a boolean", { type: "boolean" }, 0, [": must be boolean"]],
  ["null", { type: "null" }, null, []],
  ["undefined is no type", { type: "null" }, undefined, [": must be null"]],
  ["type list", { type: ["string", "null"] }, null, []],
  ["type list miss", { type: ["string", "null"] }, 1, [": must be string,null"]],
  // properties, required, additionalProperties
  ["nested path", config, { wifi: { ssid: "x", retries: 11 } }, ["/wifi/retries: must be <= 10"]],
  [
    "required names the object",
    config,
    { wifi: { retries: 1 } },
    ["/wifi: must have required property 'ssid'"],
  ],
  ["enum path", config, { mode: "c" }, ["/mode: must be equal to one of the allowed values"]],
  [
    "maxLength path",
    config,
    { name: "123456789" },
    ["/name: must NOT have more than 8 characters"],
  ],
  ["extra property path", config, { extra: 1 }, ["/extra: must NOT have additional properties"]],
  [
    "every extra property",
    { additionalProperties: false, properties: { a: {} } },
    { a: 1, b: 2, c: 3 },
    ["/b: must NOT have additional properties", "/c: must NOT have additional properties"],
  ],
  ["additionalProperties true", { additionalProperties: true }, { x: 1 }, []],
  [
    "additionalProperties schema",
    { properties: { a: { type: "string" } }, additionalProperties: { type: "integer" } },
    { a: "s", b: 1, c: "2" },
    ["/c: must be integer"],
  ],
  ["required on a non-object is silent", { required: ["a"] }, "text", []],
  [
    "undefined counts as absent",
    { required: ["a"] },
    { a: undefined },
    [": must have required property 'a'"],
  ],
  [
    "inherited counts as absent",
    { required: ["a"] },
    Object.create({ a: 1 }),
    [": must have required property 'a'"],
  ],
  ["undefined is no extra", { additionalProperties: false }, { a: undefined }, []],
  [
    "pointer escaping",
    { properties: { "a/b": { properties: { "c~d": { type: "string" } } } } },
    { "a/b": { "c~d": 1 } },
    ["/a~1b/c~0d: must be string"],
  ],
  // enum and const: deep JSON equality
  ["enum by value", { enum: [{ a: [1, { b: null }] }] }, { a: [1, { b: null }] }, []],
  ["enum ignores key order", { enum: [{ a: 1, b: 2 }] }, { b: 2, a: 1 }, []],
  [
    "enum counts keys",
    { enum: [{ a: 1 }] },
    { a: 1, b: 2 },
    [": must be equal to one of the allowed values"],
  ],
  ["enum: 1 is not '1'", { enum: ["1"] }, 1, [": must be equal to one of the allowed values"]],
  ["enum: [] is not {}", { enum: [{}] }, [], [": must be equal to one of the allowed values"]],
  ["const", { const: [1, 2] }, [1, 2], []],
  ["const order matters in arrays", { const: [1, 2] }, [2, 1], [": must be equal to constant"]],
  ["const null", { const: null }, 0, [": must be equal to constant"]],
  // numbers
  ["minimum", { minimum: 1 }, 0.5, [": must be >= 1"]],
  ["minimum inclusive", { minimum: 1 }, 1, []],
  ["maximum", { maximum: 1.5 }, 2, [": must be <= 1.5"]],
  ["exclusiveMinimum", { exclusiveMinimum: 0 }, 0, [": must be > 0"]],
  ["exclusiveMaximum", { exclusiveMaximum: 2 }, 2, [": must be < 2"]],
  ["exclusive bounds pass", { exclusiveMinimum: 0, exclusiveMaximum: 2 }, 1, []],
  ["number keywords ignore strings", { minimum: 5 }, "1", []],
  // strings, in code points
  ["minLength", { minLength: 2 }, "a", [": must NOT have fewer than 2 characters"]],
  ["maxLength counts code points", { maxLength: 2 }, "😀😀", []],
  ["maxLength", { maxLength: 2 }, "😀😀😀", [": must NOT have more than 2 characters"]],
  ["a lone surrogate is one", { maxLength: 1 }, "\ud800", []],
  ["string keywords ignore numbers", { minLength: 5 }, 1, []],
  ["pattern", { pattern: "^[a-z]+$" }, "abc", []],
  ["pattern miss", { pattern: "^[a-z]+$" }, "aBc", [': must match pattern "^[a-z]+$"']],
  ["pattern is unanchored", { pattern: "b" }, "abc", []],
  [
    "pattern outside the subset",
    { pattern: "^(a)$" },
    "a",
    [': schema error: unsupported pattern "^(a)$"'],
  ],
  // arrays
  ["minItems", { minItems: 1 }, [], [": must NOT have fewer than 1 items"]],
  ["maxItems", { maxItems: 1 }, [1, 2], [": must NOT have more than 1 items"]],
  [
    "items",
    { items: { type: "integer" } },
    [1, "a", 2.5],
    ["/1: must be integer", "/2: must be integer"],
  ],
  ["array keywords ignore objects", { minItems: 1 }, {}, []],
  // every keyword that applies reports
  [
    "all errors",
    { type: "string", enum: ["a"], const: "a" },
    1,
    [
      ": must be string",
      ": must be equal to constant",
      ": must be equal to one of the allowed values",
    ],
  ],
  // annotations never fail
  ["annotations", { title: "t", description: "d", default: 1 }, "x", []],
  ["empty schema", {}, { any: [1] }, []],
];

describe("validate: each keyword, path and message", () => {
  it.each(CASES)("%s", (_what, schema, value, expected) => {
    expect(validate(schema, value)).toEqual(
      expected.length === 0 ? { valid: true } : { valid: false, errors: expected },
    );
  });

  it("caps the errors at MAX_ERRORS (20) and stops there", () => {
    const errors = errorsOf(
      { items: { type: "string" } },
      Array.from({ length: 30 }, (_, i) => i),
    );
    expect(MAX_ERRORS).toBe(20);
    expect(errors).toHaveLength(20);
    expect(errors[19]).toBe("/19: must be string");
  });

  it("caps errors that one node reports past the limit, and extra properties too", () => {
    // Three errors an item: the seventh item would bring 21.
    const item: Schema = { type: "string", enum: ["x"], const: "x" };
    const errors = errorsOf({ items: item }, [1, 2, 3, 4, 5, 6, 7]);
    expect(errors).toHaveLength(20);
    expect(errors.slice(18)).toEqual(["/6: must be string", "/6: must be equal to constant"]);
    const extras = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i]));
    expect(errorsOf({ additionalProperties: false }, extras)).toHaveLength(20);
  });

  it("does not mutate the value or the schema", () => {
    const schema = JSON.parse(JSON.stringify(wifi));
    const value = { retries: 20, extra: [1] };
    validate(schema, value);
    expect(schema).toEqual(wifi);
    expect(value).toEqual({ retries: 20, extra: [1] });
  });
});
