/**
 * Checking a schema: what is wrong with a schema itself, before a device trusts it.
 *
 * Guarantees: `checkSchema` finds unknown keywords, keyword values of the wrong kind, patterns
 * outside the simple subset and defaults their own schema refuses; for a schema it accepts, nothing
 * in validation or the defaults throws. It refuses non-ASCII property names (see `isAsciiName`):
 * they would validate differently on the device.
 */
// biome-ignore-all lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see runtime/schema.ts).
import { jsonEqual } from "../jsonEqual.js";
import {
  contains,
  escapeToken,
  hasOwn,
  isCount,
  isFiniteNumber,
  isJson,
  isObject,
  MAX_DEPTH,
} from "./json.js";
import { KEYWORDS, type Schema, TYPES } from "./keywords.js";
import { isSimplePattern } from "./patterns.js";
import { validate } from "./validate.js";

function isTypeList(value: unknown): boolean {
  if (typeof value === "string") return contains(TYPES, value);
  if (!Array.isArray(value) || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    if (!contains(TYPES, value[i]) || contains(value, value[i], i)) return false;
  }
  return true;
}

/**
 * Property names a schema may use. On Espruino 2v29 a key `JSON.parse` creates holds the raw UTF-8
 * bytes of a non-ASCII name, while the bundle writes the same name in the schema as Latin-1 (`"\xE9"`):
 * the two never match, so such a name would validate differently on the device (measured).
 */
function isAsciiName(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 127) return false;
  return true;
}

function isNameList(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const name = value[i];
    if (typeof name !== "string" || !isAsciiName(name) || contains(value, name, i)) return false;
  }
  return true;
}

function isValueList(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0 || !isJson(value, 0)) return false;
  for (let i = 1; i < value.length; i++) {
    for (let j = 0; j < i; j++) if (jsonEqual(value[i], value[j])) return false;
  }
  return true;
}

function hasAsciiNames(properties: Record<string, unknown>): boolean {
  for (const key in properties) if (hasOwn(properties, key) && !isAsciiName(key)) return false;
  return true;
}

/** What is wrong with one keyword's value, or null; sub-schemas are checked by the caller. */
function keywordProblem(keyword: string, value: unknown): string | null {
  switch (keyword) {
    case "type":
      return isTypeList(value)
        ? null
        : "must be one of " + TYPES.join(", ") + ", or a list of them";
    case "properties":
      if (!isObject(value)) return "must be an object of schemas";
      return hasAsciiNames(value) ? null : "property names must be ASCII";
    case "required":
      return isNameList(value) ? null : "must be an array of distinct ASCII strings";
    case "additionalProperties":
      return typeof value === "boolean" || isObject(value) ? null : "must be a boolean or a schema";
    case "items":
      return isObject(value) ? null : "must be a schema (one for every item)";
    case "enum":
      return isValueList(value) ? null : "must be a non-empty array of distinct JSON values";
    case "const":
    case "default":
      return isJson(value, 0) ? null : "must be a JSON value";
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return isFiniteNumber(value) ? null : "must be a finite number";
    case "minLength":
    case "maxLength":
    case "minItems":
    case "maxItems":
      return isCount(value) ? null : "must be a non-negative integer";
    case "pattern":
      if (typeof value !== "string") return "must be a string";
      return isSimplePattern(value) ? null : '"' + value + '" is not a simple pattern';
    case "description":
    case "title":
      return typeof value === "string" ? null : "must be a string";
  }
  return null;
}

function checkNode(schema: unknown, path: string, depth: number, problems: string[]): void {
  if (!isObject(schema)) {
    problems.push(path + ": must be a schema (an object)");
    return;
  }
  if (depth > MAX_DEPTH) {
    problems.push(path + ": nested too deeply (more than " + MAX_DEPTH + " levels)");
    return;
  }
  for (const key in schema) {
    if (!hasOwn(schema, key)) continue;
    const at = path + "/" + escapeToken(key);
    if (!contains(KEYWORDS, key)) {
      problems.push(path + ": unknown keyword '" + key + "'");
      continue;
    }
    const problem = keywordProblem(key, schema[key]);
    if (problem !== null) problems.push(at + ": " + problem);
    else forEachChild(key, schema[key], at, depth, problems, checkNode);
  }
}

/** Every default its own schema refuses: a device would be handed a config that fails validation. */
function checkDefaults(schema: Schema, path: string, depth: number, problems: string[]): void {
  if (schema.default !== undefined) {
    const result = validate(schema, schema.default);
    if (!result.valid) problems.push(path + "/default" + result.errors[0]);
  }
  for (const key in schema) {
    if (hasOwn(schema, key)) {
      const at = path + "/" + escapeToken(key);
      forEachChild(
        key,
        (schema as Record<string, unknown>)[key],
        at,
        depth,
        problems,
        checkDefaults,
      );
    }
  }
}

type Visit = (schema: any, path: string, depth: number, problems: string[]) => void;

/** Calls `visit` on each sub-schema held by `keyword`'s `value`. */
function forEachChild(
  keyword: string,
  value: unknown,
  path: string,
  depth: number,
  problems: string[],
  visit: Visit,
): void {
  if (keyword === "items" || (keyword === "additionalProperties" && isObject(value))) {
    visit(value, path, depth + 1, problems);
  } else if (keyword === "properties") {
    const properties = value as Record<string, unknown>;
    for (const key in properties) {
      if (hasOwn(properties, key)) {
        visit(properties[key], path + "/" + escapeToken(key), depth + 1, problems);
      }
    }
  }
}

/**
 * What is wrong with `schema` itself, as `<JSON Pointer into the schema>: <problem>`: unknown
 * keywords, keyword values of the wrong kind, patterns outside the simple subset, and defaults
 * their own schema refuses. Empty when the schema is fine.
 */
export function checkSchema(schema: unknown): string[] {
  const problems: string[] = [];
  checkNode(schema, "", 0, problems);
  // Defaults are validated only once the schema is known to be well formed, so `validate` can trust it.
  if (problems.length === 0) checkDefaults(schema as Schema, "", 0, problems);
  return problems;
}
