/**
 * runtime/schema.ts: hand-written cases for every keyword and message, the simple-pattern subset
 * checked against V8's own `u`-flag regexes, a differential test against ajv on random schemas and
 * instances (verdicts, errors and defaults), and the fixture run on the real Espruino interpreter
 * against Node when `ESPRUINO_BIN` names one.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import fc from "fast-check";
import stableStringify from "fast-json-stable-stringify";
import { describe, expect, it } from "vitest";
import {
  applyDefaults,
  checkSchema,
  defaultsOf,
  isSimplePattern,
  MAX_ERRORS,
  type Schema,
  type SchemaType,
  validate,
} from "../../runtime/schema.js";
import { providedBy } from "../../scripts/espruino/builtins.js";
import { checkBundle, formatViolations } from "../../scripts/espruino/gate.js";
import { runFromStorage } from "../../scripts/espruino/interpreter.js";
import { lowerForEspruino } from "../../scripts/espruino/pipeline.js";
import { wifi } from "../fixtures/wifiSchema.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const ajvWithDefaults = new Ajv({ allErrors: true, strict: false, useDefaults: true });

const errorsOf = (schema: Schema, value: unknown): string[] => {
  const result = validate(schema, value);
  return result.valid ? [] : result.errors;
};

/* ----------------------------------------------------------------------------------------------
 * Hand-written cases
 * ------------------------------------------------------------------------------------------- */

const config: Schema = {
  type: "object",
  properties: { wifi, name: { type: "string", maxLength: 8 }, mode: { enum: ["a", "b"] } },
  additionalProperties: false,
};

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

/* ----------------------------------------------------------------------------------------------
 * Simple patterns
 * ------------------------------------------------------------------------------------------- */

const ACCEPTED = [
  "",
  "abc",
  "^a$",
  "^$",
  "$",
  "a*b+",
  "^[a-z][a-z0-9_-]*$",
  "[^ ]+",
  "[-a]",
  "[a-]",
  "[--]",
  "[^-]",
  "[^^]",
  "[\\d-]",
  "[.$*+?(){}/ ^]",
  "[\\]\\[\\\\\\-\\|]",
  "\\d\\D\\w\\W\\t\\n\\r\\f\\v",
  "\\^\\$\\\\\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/",
  ".*",
  "a/b",
  "^dhcp$|^static$",
  "ab|cd$",
  "x*",
];

const REFUSED: Array<[string, string]> = [
  ["(ab)", "groups"],
  ["a?", "optional"],
  ["a{2}", "counted repeat"],
  ["a*?", "lazy"],
  ["a**", "stacked quantifiers"],
  ["+a", "nothing to repeat"],
  ["^*", "quantified anchor"],
  ["\\s", "Unicode spaces differ"],
  ["\\S", "Unicode spaces differ"],
  ["\\b", "word boundary vs backspace"],
  ["\\B", "non-boundary"],
  ["\\1", "back reference"],
  ["\\x41", "hex escape"],
  ["\\u0041", "unicode escape"],
  ["\\-", "hyphen escape outside a class (a V8 `u` syntax error)"],
  ["\\e", "identity escape of a letter"],
  ["\\", "trailing backslash"],
  ["[a|b]", "bar inside a class"],
  ["^a|b", "anchored and unanchored alternatives"],
  ["a|^b", "anchored and unanchored alternatives"],
  ["a|", "empty alternative"],
  ["|a", "empty alternative"],
  ["a||b", "empty alternative"],
  ["[]", "empty class"],
  ["[^]", "empty negated class"],
  ["[a", "unclosed class"],
  ["[[]", "bracket inside a class"],
  ["]", "lone bracket"],
  ["}", "lone brace"],
  ["{", "lone brace"],
  ["[z-a]", "falling range"],
  ["[a-a]", "one-character range"],
  ["[a-\\d]", "escape as a range end"],
  ["[\\d-z]", "escape as a range start"],
  ["[a-c-e]", "hyphen between members"],
  ["[a\\b]", "backspace escape"],
  ["a^", "caret inside"],
  ["a$b", "dollar inside"],
  ["$a", "dollar first"],
  ["é", "non-ASCII"],
  ["\t", "control character"],
  ["[\t]", "control character in a class"],
];

describe("isSimplePattern", () => {
  it.each(ACCEPTED)("accepts %j, which V8 compiles with the u flag", (pattern) => {
    expect(isSimplePattern(pattern)).toBe(true);
    expect(() => new RegExp(pattern, "u")).not.toThrow();
  });

  it.each(REFUSED)("refuses %j (%s)", (pattern) => {
    expect(isSimplePattern(pattern)).toBe(false);
  });

  it("refuses what is not a string", () => {
    expect(isSimplePattern(1 as unknown as string)).toBe(false);
  });
});

/** Characters patterns are tried on: ASCII, spacing, line ends, BMP and astral text, surrogates. */
const TEXT_UNITS = [
  ..."abz09_- /.$*+?()[]{}|^\\AF!",
  "\t",
  "\n",
  "\r",
  "\f",
  "\v",
  "\u0000",
  "\u0001",
  "\u0002",
  "\u007f",
  "\u00a0",
  "\u2028",
  "\u2029",
  "é",
  "中",
  "😀",
  "\ud800",
  "\udc00",
];
const textArb = fc.string({ unit: fc.constantFrom(...TEXT_UNITS), maxLength: 8 });

const classMember = fc.oneof(
  fc.constantFrom(..."abz09_.$*+?(){}/ ^!"),
  fc.constantFrom("a-z", "0-9", "A-F", "!-/", " -~"),
  fc.constantFrom(
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\-",
    "\\]",
    "\\[",
    "\\\\",
    "\\n",
    "\\t",
    "\\|",
    "\\.",
  ),
);
const classArb = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom("", "-"),
    fc.array(classMember, { minLength: 1, maxLength: 3 }),
    fc.constantFrom("", "", "-"),
  )
  .map(([negated, lead, members, trail]) => {
    // A leading `^` member would negate the class instead.
    const body = lead + members.join("") + trail;
    return `[${negated ? "^" : ""}${!negated && body.startsWith("^") ? "a" : ""}${body}]`;
  });
const atomArb = fc.oneof(
  fc.constantFrom(..."abz0_- /!'\"#%&,:;<=>@`~"),
  fc.constant("."),
  fc.constantFrom(
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\t",
    "\\n",
    "\\.",
    "\\*",
    "\\/",
    "\\\\",
    "\\^",
    "\\$",
  ),
  classArb,
);
const termArb = fc
  .tuple(atomArb, fc.constantFrom("", "", "*", "+"))
  .map(([atom, quantifier]) => atom + quantifier);
/** Simple patterns built from the grammar in schema.ts, every feature included. */
const simplePatternArb = fc
  .tuple(
    fc.boolean(),
    fc.boolean(),
    fc.array(fc.array(termArb, { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  )
  .map(([anchorStart, anchorEnd, alternatives]) =>
    alternatives
      .map((terms) => {
        const body = (anchorStart ? "^" : "") + terms.join("") + (anchorEnd ? "$" : "");
        return body === "" && alternatives.length > 1 ? "a" : body;
      })
      .join("|"),
  );

const matchesInV8 = (pattern: string, text: string) => new RegExp(pattern, "u").test(text);

describe("simple patterns match as V8 matches them with the u flag (as ajv runs them)", () => {
  it("accepts every pattern the grammar builds, and matches each text alike", () => {
    fc.assert(
      fc.property(simplePatternArb, fc.array(textArb, { maxLength: 6 }), (pattern, texts) => {
        expect(isSimplePattern(pattern)).toBe(true);
        for (const text of texts) {
          expect(validate({ pattern }, text).valid, `${pattern} on ${JSON.stringify(text)}`).toBe(
            matchesInV8(pattern, text),
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts nothing V8 would refuse or match differently (random regex text)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."ab-^$.|*+?()[]{}\\dwsb/0 é"), maxLength: 8 }),
        fc.array(textArb, { maxLength: 4 }),
        (pattern, texts) => {
          if (!isSimplePattern(pattern)) return;
          accepted++;
          expect(() => new RegExp(pattern, "u"), pattern).not.toThrow();
          for (const text of texts) {
            expect(validate({ pattern }, text).valid, `${pattern} on ${JSON.stringify(text)}`).toBe(
              matchesInV8(pattern, text),
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
    // The random texts do reach the subset, not only its refusals.
    expect(accepted).toBeGreaterThan(300);
  });

  it.each([
    ["a[ab]+b", "ab", false],
    ["a[ab]+b", "abb", true],
    ["^a.b$", "a\nb", false],
    ["^a.b$", "a\u2028b", false],
    ["^a.b$", "a😀b", true],
    ["^[^a]$", "😀", true],
    ["^[^a]+[^b]+$", "é", false],
    ["^\\W$", "\u00a0", true],
    ["x*$", "abc", true],
    ["^dhcp$|^static$", "xstatic", false],
  ])("%j on %j is %s (the rewrites' cases)", (pattern, text, expected) => {
    expect(matchesInV8(pattern, text)).toBe(expected);
    expect(validate({ pattern }, text).valid).toBe(expected);
  });
});

/* ----------------------------------------------------------------------------------------------
 * Differential test against ajv
 * ------------------------------------------------------------------------------------------- */

const TYPES: SchemaType[] = ["object", "array", "string", "number", "integer", "boolean", "null"];
const NAMES = ["a", "b", "c", "d"];

/** Simple patterns, each with texts around it (matching and not) for derived instances. */
const PATTERNS: Record<string, string[]> = {
  "^[a-z][a-z0-9_-]*$": ["wifi", "a_1-b", "Wifi", "1a", ""],
  "^\\d+$": ["0", "1234", "12a", ""],
  "^[^ ]+$": ["x", "no-space", "a b", "é😀"],
  "^.*$": ["", "any text", "two\nlines", "a\u2028b"],
  "\\.local$": ["host.local", "hostlocal", ".local"],
  "^https*://": ["http://x", "https://y", "httpss://z", "ftp://w"],
  "^dhcp$|^static$": ["dhcp", "static", "dhcpx", "xstatic"],
  "^[A-Fa-f0-9]+$": ["00ff", "C0FFEE", "xyz"],
  "a[ab]+b": ["aab", "ab", "xxabbb"],
  "^\\w+@\\w+\\.\\w+$": ["me@home.net", "me@home", "@x.y"],
  "[^\\n\\r]": ["a", "\n", "\n\r", ""],
  "x*$": ["", "anything"],
  "^[^a]+[^b]+$": ["é", "😀😀", "xy", "ab"],
  "^\\W*$": ["", "!!", "a", "é"],
};

const numberArb = fc.oneof(
  fc.integer({ min: -6, max: 12 }),
  fc.constantFrom(0.5, 2.5, -1.5, -0, 1e21, 1e-7),
  fc.double({ min: -20, max: 20, noNaN: true }),
);
const stringArb = fc.oneof(
  textArb,
  fc.constantFrom(...Object.values(PATTERNS).flat()),
  fc.constantFrom("dhcp", "static", "a", "b"),
);
const keyArb = fc.constantFrom(...NAMES, "x", "y");
const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { maxDepth: 2, depthIdentifier: "json" },
    fc.constant(null),
    fc.boolean(),
    numberArb,
    stringArb,
    fc.array(tie("json"), { maxLength: 3 }),
    fc.dictionary(keyArb, tie("json"), { maxKeys: 3, noNullPrototype: true }),
  ),
})).json;

/** An arbitrary that is `undefined` most of the time, so a schema holds a few keywords, not all. */
const some = <T>(arbitrary: fc.Arbitrary<T>, weight = 2): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary, weight });

const withoutUndefined = (record: Record<string, unknown>): Schema => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out as Schema;
};

/** `enum` values: distinct, as JSON Schema asks (ajv refuses repeats). */
const distinctJson = (maxLength: number) =>
  fc.uniqueArray(jsonArb, { minLength: 1, maxLength, selector: (value) => stableStringify(value) });

const count = fc.integer({ min: 0, max: 4 });
const bound = fc.oneof(fc.integer({ min: -5, max: 10 }), fc.constantFrom(0.5, 2.5, -1.5));
const typeArb = fc.oneof(
  fc.constantFrom(...TYPES),
  fc.uniqueArray(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 3 }),
);
const annotations = {
  default: some(jsonArb),
  description: some(fc.constant("what it is")),
  title: some(fc.constant("Title")),
};

const schemaArbs = fc.letrec<{ schema: Schema; objectSchema: Schema }>((tie) => {
  const sub = tie("schema");
  const scalar = fc.record({
    type: some(typeArb, 6),
    enum: some(distinctJson(3)),
    const: some(jsonArb),
    ...annotations,
  });
  const number = fc.record({
    type: some(fc.constantFrom<SchemaType>("number", "integer"), 6),
    minimum: some(bound),
    maximum: some(bound),
    exclusiveMinimum: some(bound),
    exclusiveMaximum: some(bound),
    ...annotations,
  });
  const string = fc.record({
    type: some(fc.constant<SchemaType>("string"), 6),
    minLength: some(count),
    maxLength: some(count),
    pattern: some(fc.constantFrom(...Object.keys(PATTERNS)), 4),
    ...annotations,
  });
  const array = fc.record({
    type: some(fc.constant<SchemaType>("array"), 6),
    items: some(sub, 6),
    minItems: some(count),
    maxItems: some(count),
    ...annotations,
  });
  const object = fc.record({
    type: some(fc.constantFrom<SchemaType | SchemaType[]>("object", ["object", "null"]), 6),
    properties: some(
      fc.dictionary(fc.constantFrom(...NAMES), sub, { maxKeys: 3, noNullPrototype: true }),
      4,
    ),
    required: some(fc.subarray(NAMES, { maxLength: 2 })),
    additionalProperties: some(fc.oneof(fc.boolean(), sub)),
    ...annotations,
  });
  // Keywords of every kind on one node: each applies to its own type only.
  const mixed = fc.record({
    type: some(typeArb),
    properties: some(
      fc.dictionary(fc.constantFrom(...NAMES), sub, { maxKeys: 2, noNullPrototype: true }),
    ),
    items: some(sub),
    minimum: some(bound),
    maxLength: some(count),
    pattern: some(fc.constantFrom(...Object.keys(PATTERNS))),
    minItems: some(count),
    enum: some(distinctJson(2), 1),
    ...annotations,
  });
  return {
    schema: fc
      .oneof(
        { maxDepth: 3, depthIdentifier: "schema" },
        scalar,
        number,
        string,
        array,
        object,
        mixed,
      )
      .map(withoutUndefined),
    objectSchema: object.map(withoutUndefined),
  };
});
const schemaArb = schemaArbs.schema;

const boundsOf = (schema: Schema): number[] =>
  [schema.minimum, schema.maximum, schema.exclusiveMinimum, schema.exclusiveMaximum].filter(
    (value): value is number => value !== undefined,
  );

/** The types a schema's keywords are about (all of them when it names none). */
function impliedTypes(schema: Schema): readonly SchemaType[] {
  if (schema.type !== undefined) {
    return typeof schema.type === "string" ? [schema.type] : schema.type;
  }
  const types: SchemaType[] = [];
  if (schema.properties || schema.required || schema.additionalProperties !== undefined) {
    types.push("object");
  }
  if (schema.items || schema.minItems !== undefined || schema.maxItems !== undefined) {
    types.push("array");
  }
  if (schema.pattern || schema.minLength !== undefined || schema.maxLength !== undefined) {
    types.push("string");
  }
  if (boundsOf(schema).length > 0) types.push("number");
  return types.length > 0 ? types : TYPES;
}

/** Values of one type, built to meet (or just miss) the schema's keywords. */
function valueOfType(schema: Schema, type: SchemaType): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "number":
      return fc.oneof(fc.constantFrom(0, ...boundsOf(schema)), numberArb);
    case "integer":
      return fc.oneof(fc.constantFrom(0, ...boundsOf(schema)), fc.integer({ min: -6, max: 12 }));
    case "string": {
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.max(minLength, schema.maxLength ?? 6);
      const sized = fc.string({ unit: fc.constantFrom(...TEXT_UNITS), minLength, maxLength });
      return schema.pattern === undefined
        ? sized
        : fc.oneof(fc.constantFrom(...PATTERNS[schema.pattern]), sized);
    }
    case "array": {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, schema.maxItems ?? 3);
      const item = schema.items === undefined ? jsonArb : instanceOf(schema.items);
      return fc.array(item, { minLength, maxLength });
    }
    case "object":
      return objectFor(schema);
  }
}

function objectFor(schema: Schema): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of Object.keys(properties)) model[name] = instanceOf(properties[name]);
  for (const name of schema.required ?? []) model[name] ??= jsonArb;
  const known = fc.record(model, {
    requiredKeys: (schema.required ?? []).filter((name) => name in model),
    noNullPrototype: true,
  });
  const extra = schema.additionalProperties;
  const extras =
    typeof extra === "object"
      ? fc.dictionary(fc.constantFrom("x", "y"), instanceOf(extra), {
          maxKeys: 2,
          noNullPrototype: true,
        })
      : fc.oneof(
          { arbitrary: fc.constant({}), weight: extra === false ? 4 : 1 },
          fc.dictionary(fc.constantFrom("x", "y"), jsonArb, { maxKeys: 2, noNullPrototype: true }),
        );
  return fc.tuple(known, extras).map(([own, more]) => Object.assign({}, more, own));
}

/** Instances derived from a schema (mostly valid), mixed with random JSON (mostly not). */
function instanceOf(schema: Schema): fc.Arbitrary<unknown> {
  const choices: Array<fc.WeightedArbitrary<unknown>> = [{ arbitrary: jsonArb, weight: 1 }];
  if (schema.const !== undefined) choices.push({ arbitrary: fc.constant(schema.const), weight: 2 });
  if (schema.enum !== undefined)
    choices.push({ arbitrary: fc.constantFrom(...schema.enum), weight: 2 });
  if (schema.default !== undefined)
    choices.push({ arbitrary: fc.constant(schema.default), weight: 1 });
  for (const type of impliedTypes(schema)) {
    choices.push({ arbitrary: valueOfType(schema, type), weight: 3 });
  }
  return fc.oneof(...choices);
}

const schemaAndValue = schemaArb.chain((schema) =>
  fc.tuple(fc.constant(schema), instanceOf(schema)),
);

/** A copy of `value` without about half of its objects' properties, at every depth. */
function thinned(value: unknown, keep: () => boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => thinned(item, keep));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (keep()) out[key] = thinned(item, keep);
  return out;
}

/** `schema` with a default added to about half of its sub-schemas that have none. */
function withMoreDefaults(schema: Schema, next: () => unknown, root = true): Schema {
  const out: Record<string, unknown> = { ...schema };
  // Not at the root: derived instances would often be that default instead of an object.
  if (out.default === undefined && !root) {
    const fallback = next();
    if (fallback !== undefined) out.default = fallback;
  }
  if (schema.properties !== undefined) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, sub]) => [
        name,
        withMoreDefaults(sub, next, false),
      ]),
    );
  }
  if (schema.items !== undefined) out.items = withMoreDefaults(schema.items, next, false);
  if (typeof schema.additionalProperties === "object") {
    out.additionalProperties = withMoreDefaults(schema.additionalProperties, next, false);
  }
  return out as Schema;
}

/** Object schemas rich in defaults, and derived instances with properties missing at every depth. */
const schemaAndSparseValue = fc
  .tuple(schemaArbs.objectSchema, fc.infiniteStream(fc.option(jsonArb, { nil: undefined })))
  .map(([schema, defaults]) => {
    const stream = defaults[Symbol.iterator]();
    return withMoreDefaults(schema, () => stream.next().value);
  })
  .chain((schema) =>
    fc.tuple(fc.constant(schema), instanceOf(schema), fc.infiniteStream(fc.boolean())),
  )
  .map(([schema, value, coins]): [Schema, unknown] => {
    const flips = coins[Symbol.iterator]();
    return [schema, thinned(value, () => flips.next().value === true)];
  });

/** ajv's errors in this module's form: the offending property's own path for extra properties. */
function ajvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const extra = error.params.additionalProperty as string | undefined;
    const path =
      error.keyword === "additionalProperties"
        ? `${error.instancePath}/${extra!.replace(/~/g, "~0").replace(/\//g, "~1")}`
        : error.instancePath;
    return `${path}: ${error.message}`;
  });
}

describe("against ajv (allErrors, strict: false) on random schemas and instances", () => {
  it("gives the same verdict and the same errors every time", () => {
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(schemaAndValue, ([schema, value]) => {
        // Every generated schema is well formed; only a default may disagree with its schema.
        for (const problem of checkSchema(schema)) expect(problem).toMatch(/\/default(\/|:)/);
        const ours = validate(schema, value);
        const theirs = ajv.validate(schema, value);
        expect(ours.valid).toBe(theirs);
        verdicts[ours.valid ? "valid" : "invalid"]++;
        if (!ours.valid) {
          expect(ours.errors.length).toBeLessThanOrEqual(MAX_ERRORS);
          expect([...ours.errors].sort()).toEqual(ajvErrors(ajv.errors).sort());
        }
      }),
      { numRuns: 1500 },
    );
    // Both verdicts are exercised in earnest: derived instances are often valid.
    expect(verdicts.valid).toBeGreaterThan(300);
    expect(verdicts.invalid).toBeGreaterThan(300);
  });

  it("fills in the same defaults as ajv's useDefaults, without mutating the input", () => {
    let filled = 0;
    fc.assert(
      fc.property(schemaAndSparseValue, ([schema, value]) => {
        const before = structuredClone(value);
        const expected = structuredClone(value);
        ajvWithDefaults.validate(schema, expected);
        const result = applyDefaults(schema, value);
        // Through JSON: ajv writes its defaults as JSON text, so a default of -0 comes back as 0.
        expect(JSON.parse(JSON.stringify(result))).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(value).toEqual(before);
        if (JSON.stringify(result) !== JSON.stringify(before)) filled++;
      }),
      { numRuns: 1000 },
    );
    expect(filled).toBeGreaterThan(75);
  });

  it("flags exactly the defaults ajv finds invalid", () => {
    const invalidDefaults = (schema: Schema, path: string): string[] => {
      const found: string[] = [];
      if (schema.default !== undefined && !ajv.validate(schema, schema.default)) {
        found.push(`${path}/default`);
      }
      for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        found.push(...invalidDefaults(sub, `${path}/properties/${name}`));
      }
      if (typeof schema.additionalProperties === "object") {
        found.push(...invalidDefaults(schema.additionalProperties, `${path}/additionalProperties`));
      }
      if (schema.items !== undefined) found.push(...invalidDefaults(schema.items, `${path}/items`));
      return found;
    };
    fc.assert(
      fc.property(schemaArb, (schema) => {
        const flagged = checkSchema(schema).map((problem) =>
          problem.replace(/\/default.*$/, "/default"),
        );
        expect(flagged.sort()).toEqual(invalidDefaults(schema, "").sort());
      }),
      { numRuns: 500 },
    );
  });
});

/* ----------------------------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------------------------- */

const device: Schema = {
  type: "object",
  properties: {
    wifi,
    name: { type: "string", default: "sensor" },
    led: { type: "object", properties: { pin: { default: 2 } } },
    limits: {
      type: "object",
      default: { high: 10 },
      properties: { high: { type: "number" }, low: { type: "number", default: 0 } },
    },
    sensors: {
      type: "array",
      items: { type: "object", properties: { gain: { default: 1 } } },
    },
    tags: { type: "object", additionalProperties: { properties: { on: { default: true } } } },
  },
};

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

/* ----------------------------------------------------------------------------------------------
 * checkSchema
 * ------------------------------------------------------------------------------------------- */

describe("checkSchema", () => {
  it("accepts the schemas above", () => {
    for (const schema of [wifi, config, device]) expect(checkSchema(schema)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["not an object", [], [": must be a schema (an object)"]],
    ["null", null, [": must be a schema (an object)"]],
    ["unknown keyword", { type: "string", format: "email" }, [": unknown keyword 'format'"]],
    ["2019 keyword", { $ref: "#" }, [": unknown keyword '$ref'"]],
    [
      "unknown type",
      { type: "float" },
      [
        "/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    [
      "empty type list",
      { type: [] },
      [
        "/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    [
      "repeated type",
      { type: ["string", "string"] },
      [
        "/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    ["properties not an object", { properties: [] }, ["/properties: must be an object of schemas"]],
    [
      "non-ASCII property name",
      { properties: { café: {} } },
      ["/properties: property names must be ASCII"],
    ],
    [
      "bad sub-schema",
      { properties: { a: { minimum: "1" } } },
      ["/properties/a/minimum: must be a finite number"],
    ],
    [
      "sub-schema not an object",
      { properties: { a: true } },
      ["/properties/a: must be a schema (an object)"],
    ],
    [
      "required not strings",
      { required: [1] },
      ["/required: must be an array of distinct ASCII strings"],
    ],
    [
      "required repeated",
      { required: ["a", "a"] },
      ["/required: must be an array of distinct ASCII strings"],
    ],
    [
      "required non-ASCII",
      { required: ["é"] },
      ["/required: must be an array of distinct ASCII strings"],
    ],
    [
      "additionalProperties",
      { additionalProperties: "no" },
      ["/additionalProperties: must be a boolean or a schema"],
    ],
    [
      "additionalProperties schema",
      { additionalProperties: { type: 1 } },
      [
        "/additionalProperties/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    ["empty enum", { enum: [] }, ["/enum: must be a non-empty array of distinct JSON values"]],
    [
      "enum not JSON",
      { enum: [Number.NaN] },
      ["/enum: must be a non-empty array of distinct JSON values"],
    ],
    [
      "enum repeated",
      {
        enum: [
          { a: 1, b: 2 },
          { b: 2, a: 1 },
        ],
      },
      ["/enum: must be a non-empty array of distinct JSON values"],
    ],
    ["const not JSON", { const: { a: undefined } }, ["/const: must be a JSON value"]],
    [
      "minimum infinite",
      { minimum: Number.POSITIVE_INFINITY },
      ["/minimum: must be a finite number"],
    ],
    [
      "exclusiveMaximum boolean",
      { exclusiveMaximum: true },
      ["/exclusiveMaximum: must be a finite number"],
    ],
    ["minLength negative", { minLength: -1 }, ["/minLength: must be a non-negative integer"]],
    ["maxItems fractional", { maxItems: 1.5 }, ["/maxItems: must be a non-negative integer"]],
    ["pattern not a string", { pattern: 1 }, ["/pattern: must be a string"]],
    ["pattern not simple", { pattern: "^a?$" }, ['/pattern: "^a?$" is not a simple pattern']],
    ["tuple items", { items: [{}] }, ["/items: must be a schema (one for every item)"]],
    [
      "items checked",
      { items: { maxLength: "2" } },
      ["/items/maxLength: must be a non-negative integer"],
    ],
    [
      "title not a string",
      { title: 1, description: null },
      ["/title: must be a string", "/description: must be a string"],
    ],
    ["default not JSON", { default: () => 1 }, ["/default: must be a JSON value"]],
    [
      "default its schema refuses",
      {
        properties: { a: { type: "object", properties: { b: { maximum: 1 } }, default: { b: 2 } } },
      },
      ["/properties/a/default/b: must be <= 1"],
    ],
    [
      "escaped path",
      { properties: { "a/b~": { type: "x" } } },
      [
        "/properties/a~1b~0/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
  ])("%s", (_what, schema, expected) => {
    expect(checkSchema(schema)).toEqual(expected);
  });

  it("stops at a cyclic schema instead of overflowing the stack", () => {
    const schema: Record<string, unknown> = { type: "object" };
    schema.properties = { self: schema };
    const problems = checkSchema(schema);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/nested too deeply/);
  });
});

/* ----------------------------------------------------------------------------------------------
 * On the Espruino interpreter
 * ------------------------------------------------------------------------------------------- */

const FIXTURE = "test/fixtures/schema-entry.ts";

async function fixtureBundle(): Promise<{ prelude: string; code: string }> {
  const prelude = await lowerForEspruino("runtime/shims/prelude.ts");
  const entry = await lowerForEspruino(FIXTURE);
  return { prelude: prelude.code, code: `${prelude.code}\n${entry.code}` };
}

/** The `RESULT <json>` lines of a run, parsed: Espruino escapes non-ASCII text, Node does not. */
function results(output: string): unknown[] {
  return output
    .split("\n")
    .filter((line) => line.includes("RESULT "))
    .map((line) => JSON.parse(line.slice(line.indexOf("RESULT ") + "RESULT ".length).trim()));
}

function runOnNode(code: string): string {
  const directory = mkdtempSync(join(tmpdir(), "schema-node-"));
  try {
    const file = join(directory, "bundle.js");
    writeFileSync(file, code);
    const run = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe("the fixture bundle for Espruino", () => {
  it("passes the Espruino gate and prints the fixture's results on Node", async () => {
    const { prelude, code } = await fixtureBundle();
    const violations = checkBundle(code, { provided: providedBy(prelude) });
    expect(violations, formatViolations("schema-entry", violations)).toEqual([]);
    expect(results(runOnNode(code)).length).toBeGreaterThanOrEqual(40);
  }, 60_000);
});

const espruinoBin = process.env.ESPRUINO_BIN;

describe("on the real Espruino interpreter (ESPRUINO_BIN)", () => {
  if (!espruinoBin) {
    console.warn("runtime/schema.test.ts: SKIPPED the Espruino check: ESPRUINO_BIN is not set.");
    it.skip("SKIPPED: ESPRUINO_BIN is not set, so nothing ran on the interpreter", () => {});
    return;
  }

  it("prints the same RESULT lines as Node, line for line", async () => {
    const { code } = await fixtureBundle();
    const expected = results(runOnNode(code));
    const run = await runFromStorage({
      bin: espruinoBin,
      code,
      name: "schema.js",
      epilogue: "quit();",
      timeoutMs: 30_000,
    });
    expect(run.timedOut, run.output.slice(-2000)).toBe(false);
    const actual = results(run.output);
    expect(actual.length, run.output.slice(-2000)).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toEqual(expected[i]);
  }, 90_000);
});
