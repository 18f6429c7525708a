/**
 * One owner per setting: a configuration section's types, bounds and defaults are written once,
 * as the section's schema (`SettingsSpec.schema`), and everything else comes from it: the device
 * schema the ConfigManager checks a document with (`managers/config/deviceSchema.ts` composes the
 * sections), the defaults a manager starts on (`settingsDefaults`), and the check of every
 * `CONFIGURE` (`mergeSettings`). So a section the schema accepts is one its manager accepts, unless a
 * relation between fields (`relations`, which a schema cannot say) refuses it, and then the
 * refusal is reported (see `acceptSettings` in `managers/supervision.ts`).
 *
 * `mergeSettings` is the one way a manager takes new settings: `changes` are merged over `current`
 * (a nested section one level down, as a document's parts are) and the result is checked as a
 * whole, so a cap is compared with the base it will run with. A name the section does not know, a
 * non-object, a value the schema refuses or a broken relation refuses the whole change: the answer
 * names the field, and `current` is left as it was. A name another manager owns in the same
 * section (`passOver`) is neither merged nor refused.
 *
 * Schemas are built on each call, not kept: they are needed only while settings are checked (at
 * start and when a configuration arrives), and on the device a kept one costs heap for good.
 */
import { applyDefaults, defaultsOf, type Schema, validate } from "./schema.js";

/** A configuration section's one source of truth. */
export interface SettingsSpec<S> {
  /** The section as the device schema holds it: every field with its type, bounds and default. */
  schema: () => Schema;
  /** What the schema cannot say, checked on the merged whole: null, or what is wrong (field first). */
  relations?: (merged: S) => string | null;
  /** A name in the section another manager owns (the watchdog's `hardwareTimeoutMs`). */
  passOver?: string;
  /**
   * Settings without a default in the schema, because a document that omits them must leave what
   * the device was built with (the NTP servers, the WiFi credentials from flash).
   */
  builtIn?: Partial<S>;
}

export type SettingsMerge<S> = { settings: S } | { error: string };

/** An integer setting from `minimum` to `maximum`, `value` when absent. */
export function int(minimum: number, maximum: number, value: number): Schema {
  return { type: "integer", minimum, maximum, default: value };
}

/** A section (or a part of one) of exactly these settings, each filled with its default when absent. */
export function section(properties: Record<string, Schema>): Schema {
  return { type: "object", additionalProperties: false, default: {}, properties };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What a manager runs on when no document says otherwise: the schema's defaults and `builtIn`. */
export function settingsDefaults<S>(spec: SettingsSpec<S>): S {
  const defaults = defaultsOf(spec.schema()) as Record<string, unknown>;
  if (spec.passOver !== undefined) delete defaults[spec.passOver];
  return Object.assign(defaults, spec.builtIn) as S;
}

export function mergeSettings<S extends object>(
  current: S,
  changes: unknown,
  spec: SettingsSpec<S>,
): SettingsMerge<S> {
  if (!isObject(changes)) return { error: "settings: must be an object" };
  const schema = spec.schema();
  const properties = schema.properties as Record<string, Schema>;
  const merged = Object.assign({}, current) as Record<string, unknown>;
  const names = Object.keys(changes);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = changes[name];
    // `undefined` is absent, as it would be in the JSON the change came as.
    if (name === spec.passOver || value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(properties, name)) {
      // biome-ignore lint/style/useTemplate: a template corrupts a UTF-8 name on Espruino (see schema.ts).
      return { error: name + ": unknown setting" };
    }
    const held = merged[name];
    merged[name] = isObject(value) && isObject(held) ? Object.assign({}, held, value) : value;
  }
  // Defaults reach inside what the change brought (a server's port), never over what it named.
  const filled = applyDefaults(schema, merged) as S;
  if (spec.passOver !== undefined) delete (filled as Record<string, unknown>)[spec.passOver];
  const verdict = validate(schema, filled);
  // An error reads `/<field>: <message>`: the field without its leading slash names it.
  if (!verdict.valid) return { error: verdict.errors[0].slice(1) };
  const problem = spec.relations === undefined ? null : spec.relations(filled);
  return problem === null ? { settings: filled } : { error: problem };
}
