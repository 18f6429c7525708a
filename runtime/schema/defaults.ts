/**
 * Defaults: a config with the defaults its schema declares filled in.
 *
 * Guarantees: `applyDefaults` and `defaultsOf` never mutate what they are given. Defaults are
 * copied out of the schema, so the result never aliases the schema; unchanged parts of the input
 * are shared with the result rather than copied (a config is small, the heap is smaller).
 */
import { contains, hasOwn, isObject, isPresent } from "./json.js";
import type { Schema } from "./keywords.js";

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
