/**
 * Deep equality of JSON values, the one the device has: same types, same array order, same
 * object keys and values whatever their order. The schema's `enum` and `const` compare with it,
 * and the ConfigManager tells which sections changed with it. Counts keys instead of listing
 * them, so comparing allocates nothing; `for…in` walks prototypes on Espruino, hence the own-key
 * test.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const isArray = Array.isArray(a);
  if (isArray !== Array.isArray(b)) return false;
  if (isArray) return arraysEqual(a as unknown[], b as unknown[]);
  return objectsEqual(a as Record<string, unknown>, b as Record<string, unknown>);
}

function arraysEqual(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
  return true;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function objectsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let keys = 0;
  for (const key in a) {
    if (!hasOwn(a, key)) continue;
    if (!hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
    keys++;
  }
  for (const key in b) if (hasOwn(b, key)) keys--;
  return keys === 0;
}
