/**
 * runtime/schema.ts, the subset as a whole: a differential test against ajv on random schemas and
 * instances (verdicts, errors and defaults), and the fixture run on the real Espruino interpreter
 * against Node when `ESPRUINO_BIN` names one. Each concept's own cases are in
 * `test/runtime/schema/`.
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
  MAX_ERRORS,
  type Schema,
  type SchemaType,
  validate,
} from "../../runtime/schema.js";
import { providedBy } from "../../scripts/espruino/builtins.js";
import { checkBundle, formatViolations } from "../../scripts/espruino/gate.js";
import { runFromStorage } from "../../scripts/espruino/interpreter.js";
import { lowerForEspruino } from "../../scripts/espruino/pipeline.js";
import { TEXT_UNITS, textArb } from "../fixtures/schemas.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const ajvWithDefaults = new Ajv({ allErrors: true, strict: false, useDefaults: true });

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
