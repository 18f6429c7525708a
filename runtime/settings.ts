/**
 * The one way a manager takes new settings: `changes` are merged over `current` and the result
 * is checked as a whole, field by field in the order of the checks table, so a cap is compared
 * with the base it will run with. A name the table does not know, a non-object, or the first
 * field that fails its check refuses the whole change: the answer names the field, and
 * `current` is left as it was. A name another manager owns in the same configuration section
 * (`passOver`) is neither merged nor refused. One function for every manager, not a copy in each.
 */

/** A field's check: null when `value` is fine, else what is wrong with it. */
export type SettingCheck<S> = (value: unknown, merged: S) => string | null;

export type SettingsMerge<S> = { settings: S } | { error: string };

export function mergeSettings<S extends object>(
  current: S,
  changes: unknown,
  checks: { [K in keyof S]: SettingCheck<S> },
  passOver?: string,
): SettingsMerge<S> {
  if (changes === null || typeof changes !== "object") {
    return { error: "settings: must be an object" };
  }
  const merged = Object.assign({}, current);
  const known = Object.keys(checks);
  const names = Object.keys(changes);
  for (let i = 0; i < names.length; i++) {
    if (names[i] === passOver) continue;
    if (known.indexOf(names[i]) < 0) return { error: `${names[i]}: unknown setting` };
    (merged as Record<string, unknown>)[names[i]] = (changes as Record<string, unknown>)[names[i]];
  }
  for (let i = 0; i < known.length; i++) {
    const name = known[i] as keyof S;
    const problem = checks[name](merged[name], merged);
    if (problem !== null) return { error: `${known[i]}: ${problem}` };
  }
  return { settings: merged };
}

/** The check of a whole number of at least `min` (a count, a size, a delay). */
export function integerAtLeast(min: number): SettingCheck<unknown> {
  return (v) =>
    typeof v === "number" && Math.floor(v) === v && v >= min
      ? null
      : `must be an integer >= ${min}`;
}
