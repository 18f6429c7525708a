/**
 * Deep equality of JSON values: same types, same array order, same object keys and values
 * whatever their order. For telling which configuration sections changed; no allocation.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const list = b as unknown[];
    if (a.length !== list.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], list[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (let i = 0; i < keys.length; i++) {
    const has = Object.prototype.hasOwnProperty.call(y, keys[i]);
    if (!has || !jsonEqual(x[keys[i]], y[keys[i]])) return false;
  }
  return true;
}
