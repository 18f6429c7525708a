/**
 * Validation: the verdict and the errors JSON Schema gives for a value against a schema of the
 * subset.
 *
 * Guarantees: `validate` gives the verdict JSON Schema gives for every schema `checkSchema` accepts
 * and every JSON value (tested against ajv), and the same errors on Espruino 2v29 as on Node. Errors
 * are `<JSON Pointer>: <message>` in ajv's wording, at most `MAX_ERRORS` of them. A property whose
 * value is `undefined` counts as absent (it would vanish from the JSON); only own properties count.
 * A `pattern` outside the simple subset is an error (`schema error: unsupported pattern`): silently
 * matching differently on the device than on the desk would be worse. Every message that can carry
 * a property name is built with `+` (see runtime/schema.ts).
 *
 * Allocation: validation keeps one path stack and one error list per call and builds an error's
 * pointer only when reporting it, so a valid value costs a few JsVars of bookkeeping (measured: 14,
 * result included) and no strings; a `pattern` check adds a RegExp, and a translated copy of the
 * text or the pattern only when the text leaves printable ASCII (`deviceText`) or the pattern uses
 * `+` or `.` (`devicePattern`). Nothing is cached between calls.
 */
// biome-ignore-all lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see runtime/schema.ts).
import { jsonEqual } from "../jsonEqual.js";
import {
  codePointLength,
  escapeToken,
  hasOwn,
  isFiniteNumber,
  isObject,
  isPresent,
} from "./json.js";
import type { Schema } from "./keywords.js";
import { devicePattern, deviceText } from "./patterns.js";

export type ValidationResult = { valid: true } | { valid: false; errors: string[] };

/** Enough to fix a config by; more would cost heap for messages nobody reads. */
export const MAX_ERRORS = 20;

/** State of one `validate` call: where it is in the value, and what it found so far. */
interface Walk {
  path: Array<string | number>;
  errors: string[];
}

function pointer(path: Array<string | number>): string {
  if (path.length === 0) return "";
  const tokens: string[] = [];
  for (let i = 0; i < path.length; i++) tokens.push(escapeToken(String(path[i])));
  return "/" + tokens.join("/");
}

function report(walk: Walk, message: string): void {
  if (walk.errors.length < MAX_ERRORS) walk.errors.push(pointer(walk.path) + ": " + message);
}

function isFull(walk: Walk): boolean {
  return walk.errors.length >= MAX_ERRORS;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "number":
      return isFiniteNumber(value);
    case "integer":
      return isFiniteNumber(value) && Math.floor(value) === value;
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
  }
  return false;
}

function hasAnyType(value: unknown, type: string | readonly string[]): boolean {
  if (typeof type === "string") return hasType(value, type);
  for (let i = 0; i < type.length; i++) if (hasType(value, type[i])) return true;
  return false;
}

function isAllowed(values: readonly unknown[], value: unknown): boolean {
  for (let i = 0; i < values.length; i++) if (jsonEqual(values[i], value)) return true;
  return false;
}

/** The bounds fail NaN and the infinities in the right direction: they are not JSON numbers. */
function checkNumber(schema: Schema, value: number, walk: Walk): void {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (maximum !== undefined && !(value <= maximum)) report(walk, "must be <= " + maximum);
  if (minimum !== undefined && !(value >= minimum)) report(walk, "must be >= " + minimum);
  if (exclusiveMaximum !== undefined && !(value < exclusiveMaximum)) {
    report(walk, "must be < " + exclusiveMaximum);
  }
  if (exclusiveMinimum !== undefined && !(value > exclusiveMinimum)) {
    report(walk, "must be > " + exclusiveMinimum);
  }
}

function checkString(schema: Schema, value: string, walk: Walk): void {
  const { minLength, maxLength, pattern } = schema;
  if (minLength !== undefined || maxLength !== undefined) {
    const length = codePointLength(value);
    if (maxLength !== undefined && length > maxLength) {
      report(walk, "must NOT have more than " + maxLength + " characters");
    }
    if (minLength !== undefined && length < minLength) {
      report(walk, "must NOT have fewer than " + minLength + " characters");
    }
  }
  if (pattern === undefined) return;
  const source = typeof pattern === "string" ? devicePattern(pattern) : null;
  if (source === null) report(walk, 'schema error: unsupported pattern "' + pattern + '"');
  else if (!new RegExp(source).test(deviceText(value))) {
    report(walk, 'must match pattern "' + pattern + '"');
  }
}

function checkArray(schema: Schema, value: unknown[], walk: Walk): void {
  const { minItems, maxItems, items } = schema;
  if (maxItems !== undefined && value.length > maxItems) {
    report(walk, "must NOT have more than " + maxItems + " items");
  }
  if (minItems !== undefined && value.length < minItems) {
    report(walk, "must NOT have fewer than " + minItems + " items");
  }
  if (items === undefined) return;
  for (let i = 0; i < value.length && !isFull(walk); i++) {
    walk.path.push(i);
    check(items, value[i], walk);
    walk.path.pop();
  }
}

function checkObject(schema: Schema, value: Record<string, unknown>, walk: Walk): void {
  const { required, properties, additionalProperties } = schema;
  if (required !== undefined) {
    for (let i = 0; i < required.length; i++) {
      if (!isPresent(value, required[i])) {
        report(walk, "must have required property '" + required[i] + "'");
      }
    }
  }
  for (const key in value) {
    if (isFull(walk)) return;
    if (!isPresent(value, key)) continue;
    let sub: Schema | boolean | undefined = additionalProperties;
    if (properties !== undefined && hasOwn(properties, key)) sub = properties[key];
    if (sub === undefined || sub === true) continue;
    walk.path.push(key);
    if (sub === false) report(walk, "must NOT have additional properties");
    else check(sub, value[key], walk);
    walk.path.pop();
  }
}

function check(schema: Schema, value: unknown, walk: Walk): void {
  if (schema.type !== undefined && !hasAnyType(value, schema.type)) {
    report(
      walk,
      "must be " + (typeof schema.type === "string" ? schema.type : schema.type.join(",")),
    );
  }
  if (schema.const !== undefined && !jsonEqual(schema.const, value)) {
    report(walk, "must be equal to constant");
  }
  if (schema.enum !== undefined && !isAllowed(schema.enum, value)) {
    report(walk, "must be equal to one of the allowed values");
  }
  if (typeof value === "number") checkNumber(schema, value, walk);
  else if (typeof value === "string") checkString(schema, value, walk);
  else if (Array.isArray(value)) checkArray(schema, value, walk);
  else if (isObject(value)) checkObject(schema, value, walk);
}

/**
 * Validates `value` against `schema`, collecting up to `MAX_ERRORS` errors such as
 * `/wifi/retries: must be <= 10` (the root's pointer is empty: `: must be object`).
 */
export function validate(schema: Schema, value: unknown): ValidationResult {
  const walk: Walk = { path: [], errors: [] };
  check(schema, value, walk);
  return walk.errors.length === 0 ? { valid: true } : { valid: false, errors: walk.errors };
}
