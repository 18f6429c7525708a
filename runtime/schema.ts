/**
 * Device configuration schemas: a subset of JSON Schema (draft 2020-12 semantics) that validates,
 * fills in defaults and checks itself with the same answers on Node and on the Espruino interpreter.
 *
 * Guarantees:
 * - `validate` gives the verdict JSON Schema gives for every schema `checkSchema` accepts and every
 *   JSON value (tested against ajv), and the same errors on Espruino 2v29 as on Node. Errors are
 *   `<JSON Pointer>: <message>` in ajv's wording, at most `MAX_ERRORS` of them. A property whose value
 *   is `undefined` counts as absent (it would vanish from the JSON); only own properties count.
 * - `applyDefaults` and `defaultsOf` never mutate what they are given. Defaults are copied out of the
 *   schema, so the result never aliases the schema; unchanged parts of the input are shared with the
 *   result rather than copied (a config is small, the heap is smaller).
 * - Nothing here throws for a schema `checkSchema` accepts. A `pattern` outside the simple subset is
 *   an error even in `validate` (`schema error: unsupported pattern`): silently matching differently
 *   on the device than on the desk would be worse. For the same reason `checkSchema` refuses
 *   non-ASCII property names (see `isAsciiName`).
 * - One difference remains on Espruino: a non-ASCII key of the *value*, as `JSON.parse` made it,
 *   prints in a pointer as its UTF-8 bytes (as Espruino's own `JSON.stringify` prints it).
 *
 * Allocation: validation keeps one path stack and one error list per call and builds an error's
 * pointer only when reporting it, so a valid value costs a few JsVars of bookkeeping (measured: 14,
 * result included) and no strings; a `pattern` check adds a RegExp, and a translated copy of the
 * text or the pattern only when the text leaves printable ASCII (`deviceText`) or the pattern uses
 * `+` or `.` (`devicePattern`). Nothing is cached between calls.
 *
 * Simple patterns (`isSimplePattern`): Espruino's regex engine is a small backtracking matcher
 * over bytes with no `?`, `{n,m}`, groups or lookaround, and with bugs (measured on 2v29, and read
 * in jswrap_regexp.c): `X+` matches like `X*` once X matched, `|` inside a class splits the pattern,
 * a failed `^` skips the alternatives after it, an empty match at the end of the text is not found,
 * and text is matched byte by byte in UTF-8, where V8 matches code points. Accepted is exactly:
 *
 *   pattern     := alternative ( "|" alternative )*    (with "|", no alternative is empty, and
 *                                                       either every alternative starts with "^"
 *                                                       or none does)
 *   alternative := "^"? ( atom ( "*" | "+" )? )* "$"?
 *   atom        := literal | "." | escape | class
 *   literal     := printable ASCII (space to "~") except  \ ^ $ . | ? * + ( ) [ ] { }
 *   escape      := "\" one of  d D w W t n r f v  ^ $ \ . * + ? ( ) [ ] { } | /
 *   class       := "[" "^"? member+ "]"         ("-" is a member only first or last)
 *   member      := char | char "-" char (ascending) | "\" one of  d D w W t n r f v -  and the
 *                  escaped characters above
 *   char        := printable ASCII except  \ [ ] | -
 *
 * Run as JSON Schema runs it (unanchored, ajv's `u` flag). To make the two engines agree, the text
 * is first mapped so that every character no simple pattern can name becomes one ASCII stand-in
 * (`deviceText`), and the pattern is rewritten into forms both engines run alike (`devicePattern`).
 * `\s`, `\b`, groups, `?` and counted repeats are refused: they either differ (V8's `\s` knows
 * Unicode spaces, Espruino's `\b` is a backspace) or do not exist on the device.
 *
 * Espruino notes (2v29, measured): template literals, `concat` and `+=` onto an ASCII string turn
 * UTF-8 text into its raw bytes (`"a".concat("é").length` is 3), while binary `+` and `join` keep
 * it, so every message that can carry a property name is built with `+`. There is no
 * `Object.hasOwn` and `for…in` walks prototypes, hence `hasOwn` below; string `indexOf` can report a
 * false hit at the end of the text, so lookups compare whole strings. Messages print numbers with
 * the interpreter's `String(n)`, which differs from V8 for some values (`1e21` prints `10e+20`,
 * `0.1 + 0.2` prints `0.3`).
 */
import { jsonEqual } from "./jsonEqual.js";
// biome-ignore-all lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see above).

export type SchemaType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";

export interface Schema {
  type?: SchemaType | readonly SchemaType[];
  properties?: { readonly [name: string]: Schema };
  required?: readonly string[];
  additionalProperties?: boolean | Schema;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** In Unicode code points, as JSON Schema counts. */
  minLength?: number;
  maxLength?: number;
  /** A simple pattern: see the header and `isSimplePattern`. */
  pattern?: string;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  title?: string;
}

export type ValidationResult = { valid: true } | { valid: false; errors: string[] };

/** Enough to fix a config by; more would cost heap for messages nobody reads. */
export const MAX_ERRORS = 20;

/** Deeper than any config schema needs; stops a cyclic schema or value from overflowing the stack. */
const MAX_DEPTH = 32;

const TYPES: readonly string[] = [
  "object",
  "array",
  "string",
  "number",
  "integer",
  "boolean",
  "null",
];

const KEYWORDS: readonly string[] = [
  "type",
  "properties",
  "required",
  "additionalProperties",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "default",
  "description",
  "title",
];

/* ----------------------------------------------------------------------------------------------
 * JSON values
 * ------------------------------------------------------------------------------------------- */

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Present as JSON sees it: own, and not `undefined` (which serialising drops). */
function isPresent(object: Record<string, unknown>, key: string): boolean {
  return hasOwn(object, key) && object[key] !== undefined;
}

/** `x - x` is 0 for finite numbers only; no `Number.isFinite` on Espruino without the prelude. */
function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && value - value === 0;
}

function isCount(value: unknown): boolean {
  return isFiniteNumber(value) && value >= 0 && Math.floor(value) === value;
}

/** Linear search by `===` in `list` before `end`: no `indexOf`, whose string form is unreliable on Espruino. */
function contains(list: readonly unknown[], item: unknown, end = list.length): boolean {
  for (let i = 0; i < end; i++) if (list[i] === item) return true;
  return false;
}

function isJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return isFiniteNumber(value);
  if (typeof value !== "object" || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJson(value[i], depth + 1)) return false;
    return true;
  }
  const object = value as Record<string, unknown>;
  for (const key in object)
    if (hasOwn(object, key) && !isJson(object[key], depth + 1)) return false;
  return true;
}

/** Characters as JSON Schema counts them: a UTF-16 surrogate pair is one code point. */
function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i + 1 < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      length--;
      i++;
    }
  }
  return length;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/* ----------------------------------------------------------------------------------------------
 * Simple patterns
 * ------------------------------------------------------------------------------------------- */

const BACKSLASH = 92;
const CARET = 94;
const DOLLAR = 36;
const DOT = 46;
const BAR = 124;
const STAR = 42;
const PLUS = 43;
const HYPHEN = 45;
const LEFT_BRACKET = 91;
const RIGHT_BRACKET = 93;

/** Stand-in for every character no simple pattern can name, but which `.` matches. */
const OTHER = "\x01";
/** Stand-in for U+2028 and U+2029, which `.` does not match (they end lines, as `\n` does). */
const LINE_END = "\x02";
/** `.` as V8 reads it with the `u` flag, over text mapped by `deviceText`. */
const ANY = "[^\\n\\r\\x02]";

/** Characters a pattern or a class may escape to mean themselves (V8's `u` flag allows no others). */
const SYNTAX = "^$\\.*+?()[]{}|/";
/** Printable characters that are not literals outside a class (`.` is an atom of its own). */
const SPECIAL = "^$\\.*+?()[]{}|";
/** Escapes with a meaning of their own that both engines share. */
const MEANINGFUL = "dDwWtnrfv";

function isPrintable(code: number): boolean {
  return code >= 32 && code <= 126;
}

function isOneOf(code: number, characters: string): boolean {
  for (let i = 0; i < characters.length; i++) if (characters.charCodeAt(i) === code) return true;
  return false;
}

function isLiteral(code: number): boolean {
  return isPrintable(code) && !isOneOf(code, SPECIAL);
}

function isEscapable(code: number, inClass: boolean): boolean {
  return isOneOf(code, SYNTAX) || isOneOf(code, MEANINGFUL) || (inClass && code === HYPHEN);
}

function isClassChar(code: number): boolean {
  return isPrintable(code) && !isOneOf(code, "\\[]|-");
}

/** Length of the class starting at `start` (a `[`), or 0 when it is not a simple class. */
function classLength(pattern: string, start: number): number {
  const end = pattern.length;
  let i = start + 1;
  if (pattern.charCodeAt(i) === CARET) i++;
  const first = i;
  while (i < end && pattern.charCodeAt(i) !== RIGHT_BRACKET) {
    const code = pattern.charCodeAt(i);
    const next = pattern.charCodeAt(i + 1);
    if (code === BACKSLASH) {
      if (!isEscapable(next, true)) return 0;
      i += 2;
    } else if (code === HYPHEN) {
      // Anywhere else the engines read a hyphen differently: V8 (`u`) refuses `[\d-z]`, Espruino
      // makes a range of it.
      if (i !== first && next !== RIGHT_BRACKET) return 0;
      i++;
    } else if (!isClassChar(code)) {
      return 0;
    } else if (next === HYPHEN && i + 2 < end && pattern.charCodeAt(i + 2) !== RIGHT_BRACKET) {
      // Espruino's range test is strict (`[a-a]` matches nothing there), V8 refuses a falling one.
      const high = pattern.charCodeAt(i + 2);
      if (!isClassChar(high) || high <= code) return 0;
      i += 3;
    } else {
      i++;
    }
  }
  return i < end && i > first ? i + 1 - start : 0;
}

/** Length of the atom starting at `start`, or 0 when none starts there. */
function atomLength(pattern: string, start: number): number {
  const code = pattern.charCodeAt(start);
  if (code === LEFT_BRACKET) return classLength(pattern, start);
  if (code === BACKSLASH) return isEscapable(pattern.charCodeAt(start + 1), false) ? 2 : 0;
  return code === DOT || isLiteral(code) ? 1 : 0;
}

/**
 * The source both engines run alike for a simple pattern, or null when the pattern is not simple.
 * Rewrites: `X+` becomes `XX*` (Espruino's `+` lets the rest match before X has consumed anything),
 * `.` becomes `ANY` (Espruino's matches line ends too), and a pattern with an alternative that is
 * unanchored and can match the empty string becomes the empty pattern: that alternative matches at
 * the end of any text, a place Espruino never tries.
 */
function devicePattern(pattern: string): string | null {
  const end = pattern.length;
  let out = "";
  let copiedTo = 0;
  let rewritten = false;
  let alternatives = 0;
  let anchored = 0;
  let matchesAll = false;
  let i = 0;
  for (;;) {
    const start = i;
    const isAnchored = pattern.charCodeAt(i) === CARET;
    if (isAnchored) i++;
    let nullable = true;
    let ended = false;
    while (i < end && pattern.charCodeAt(i) !== BAR) {
      const code = pattern.charCodeAt(i);
      if (ended) return null;
      if (code === DOLLAR) {
        ended = true;
        i++;
        continue;
      }
      const length = atomLength(pattern, i);
      if (length === 0) return null;
      const quantifier = pattern.charCodeAt(i + length);
      const quantified = quantifier === STAR || quantifier === PLUS;
      if (quantifier !== STAR) nullable = false;
      if (code === DOT || quantifier === PLUS) {
        const atom = code === DOT ? ANY : pattern.slice(i, i + length);
        out += pattern.slice(copiedTo, i) + atom;
        if (quantified) out += quantifier === PLUS ? atom + "*" : "*";
        copiedTo = i + length + (quantified ? 1 : 0);
        rewritten = true;
      }
      i += length + (quantified ? 1 : 0);
    }
    if (i === start && (i < end || alternatives > 0)) return null;
    alternatives++;
    if (isAnchored) anchored++;
    if (nullable && !isAnchored) matchesAll = true;
    if (i >= end) break;
    i++;
  }
  if (anchored !== 0 && anchored !== alternatives) return null;
  if (matchesAll) return "";
  return rewritten ? out + pattern.slice(copiedTo) : pattern;
}

/** Whether `pattern` lies in the subset that matches alike on V8 and Espruino (see the header). */
export function isSimplePattern(pattern: string): boolean {
  return typeof pattern === "string" && devicePattern(pattern) !== null;
}

function isPlainText(code: number): boolean {
  return isPrintable(code) || (code >= 9 && code <= 13);
}

/**
 * The text a device pattern is run on. Every character outside printable ASCII and the five
 * spacing controls becomes one stand-in: no simple pattern names such a character, and every
 * negated atom and `.` matches it, so the verdict is unchanged, while Espruino, which matches
 * UTF-8 byte by byte, sees one character where V8 sees one code point. Plain text is returned as is.
 */
function deviceText(text: string): string {
  const end = text.length;
  let i = 0;
  while (i < end && isPlainText(text.charCodeAt(i))) i++;
  if (i === end) return text;
  let out = text.slice(0, i);
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    if (isPlainText(code)) out += String.fromCharCode(code);
    else if (code === 0x2028 || code === 0x2029) out += LINE_END;
    else {
      if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++;
      out += OTHER;
    }
  }
  return out;
}

/* ----------------------------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------------------------- */

/** State of one `validate` call: where it is in the value, and what it found so far. */
interface Walk {
  path: Array<string | number>;
  errors: string[];
}

function escapeToken(token: string): string {
  return token.split("~").join("~0").split("/").join("~1");
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

/* ----------------------------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------------------------- */

const EMPTY: Schema = {};

function propertySchema(schema: Schema, key: string): Schema {
  const { properties, additionalProperties } = schema;
  if (properties !== undefined && hasOwn(properties, key)) return properties[key];
  return typeof additionalProperties === "object" ? additionalProperties : EMPTY;
}

/** A property's default with the defaults inside it filled in, or undefined when it has none. */
function defaultFor(schema: Schema): unknown {
  return schema.default === undefined ? undefined : fill(schema, schema.default, true);
}

/**
 * `value` with missing properties' defaults filled in, at every depth. With `fresh`, every
 * container is copied (the value comes from a schema, which must never be aliased); without,
 * a container is copied only when something inside it changes.
 */
function fill(schema: Schema, value: unknown, fresh: boolean): unknown {
  if (Array.isArray(value)) return fillArray(schema.items || EMPTY, value, fresh);
  if (isObject(value)) return fillObject(schema, value, fresh);
  return value;
}

function fillArray(items: Schema, value: unknown[], fresh: boolean): unknown[] {
  let out: unknown[] | null = fresh ? [] : null;
  for (let i = 0; i < value.length; i++) {
    const item = fill(items, value[i], fresh);
    if (out === null && item !== value[i]) out = value.slice(0, i);
    if (out !== null) out.push(item);
  }
  return out || value;
}

function fillObject(
  schema: Schema,
  value: Record<string, unknown>,
  fresh: boolean,
): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key in value) {
    if (!hasOwn(value, key)) continue;
    const next = fill(propertySchema(schema, key), value[key], fresh);
    if (out === null && (fresh || next !== value[key])) out = copyUntil(value, key);
    if (out !== null) out[key] = next;
  }
  const properties = schema.properties;
  if (properties === undefined) return out || (fresh ? {} : value);
  for (const key in properties) {
    if (!hasOwn(properties, key) || isPresent(value, key)) continue;
    const fallback = defaultFor(properties[key]);
    if (fallback === undefined) continue;
    if (out === null) out = copyUntil(value, null);
    out[key] = fallback;
  }
  return out || (fresh ? {} : value);
}

/** A shallow copy of `value`'s own properties before `stop` (all of them when `stop` is null). */
function copyUntil(value: Record<string, unknown>, stop: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (key === stop) break;
    if (hasOwn(value, key)) out[key] = value[key];
  }
  return out;
}

function describesObject(schema: Schema): boolean {
  const type = schema.type;
  if (schema.properties !== undefined) return true;
  return type === "object" || (Array.isArray(type) && contains(type, "object"));
}

/**
 * The config a device without any gets: the schema's own `default` (with the defaults inside it
 * filled in), else, for an object schema, an object of its properties' defaults; else undefined.
 */
export function defaultsOf(schema: Schema): unknown {
  if (schema.default !== undefined) return defaultFor(schema);
  return describesObject(schema) ? fill(schema, {}, false) : undefined;
}

/**
 * A new value in which every property missing from `value` (or `undefined`) that has a `default`
 * in its schema's `properties` holds a copy of it, at every depth: inside present objects, array
 * items, additional properties, and the defaults themselves. A missing `value` gets `defaultsOf`.
 */
export function applyDefaults(schema: Schema, value: unknown): unknown {
  return value === undefined ? defaultsOf(schema) : fill(schema, value, false);
}

/* ----------------------------------------------------------------------------------------------
 * Checking a schema
 * ------------------------------------------------------------------------------------------- */

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
