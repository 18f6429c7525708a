/**
 * Device configuration schemas: a subset of JSON Schema (draft 2020-12 semantics) that validates,
 * fills in defaults and checks itself with the same answers on Node and on the Espruino interpreter.
 * This is the entry the firmware and the tests import; each concept has its own file:
 *
 * - `schema/keywords.ts`: the `Schema` type and the keywords the subset knows;
 * - `schema/json.ts`: JSON values as JSON Schema sees them (presence, finite numbers, code points);
 * - `schema/patterns.ts`: the simple `pattern` subset and its rewriting for Espruino's regex engine;
 * - `schema/validate.ts`: `validate`, ajv's verdict and errors;
 * - `schema/defaults.ts`: `applyDefaults` and `defaultsOf`;
 * - `schema/check.ts`: `checkSchema`, what is wrong with a schema itself.
 *
 * Guarantees: nothing here throws for a schema `checkSchema` accepts, and a `pattern` outside the
 * simple subset is an error even in `validate`: silently matching differently on the device than
 * on the desk would be worse. One difference remains on Espruino: a non-ASCII key of the *value*,
 * as `JSON.parse` made it, prints in a pointer as its UTF-8 bytes (as Espruino's own
 * `JSON.stringify` prints it). Nothing is cached between calls.
 *
 * Espruino notes (2v29, measured): template literals, `concat` and `+=` onto an ASCII string turn
 * UTF-8 text into its raw bytes (`"a".concat("é").length` is 3), while binary `+` and `join` keep
 * it, so every message that can carry a property name is built with `+`. Messages print numbers with
 * the interpreter's `String(n)`, which differs from V8 for some values (`1e21` prints `10e+20`,
 * `0.1 + 0.2` prints `0.3`).
 */

export { checkSchema } from "./schema/check.js";
export { applyDefaults, defaultsOf } from "./schema/defaults.js";
export type { Schema, SchemaType } from "./schema/keywords.js";
export { isSimplePattern } from "./schema/patterns.js";
export { MAX_ERRORS, type ValidationResult, validate } from "./schema/validate.js";
