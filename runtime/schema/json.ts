/**
 * JSON values as JSON Schema sees them, with the same answers on Node and on Espruino 2v29: the
 * predicates validation, the defaults and the schema check share.
 *
 * Guarantees: a property is present only when it is own and not `undefined` (which serialising
 * drops); a number is a JSON number only when it is finite; a string's length is counted in code
 * points, as JSON Schema counts; a value nested deeper than `MAX_DEPTH` is not JSON (a cyclic value
 * stops there instead of overflowing the stack). Nothing here allocates but `escapeToken`'s result.
 * There is no `Object.hasOwn` and `for…in` walks prototypes on Espruino, hence `hasOwn`; string
 * `indexOf` can report a false hit at the end of the text, so lookups compare whole strings.
 */

/** Deeper than any config schema needs; stops a cyclic schema or value from overflowing the stack. */
export const MAX_DEPTH = 32;

export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Present as JSON sees it: own, and not `undefined` (which serialising drops). */
export function isPresent(object: Record<string, unknown>, key: string): boolean {
  return hasOwn(object, key) && object[key] !== undefined;
}

/** `x - x` is 0 for finite numbers only; no `Number.isFinite` on Espruino without the prelude. */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && value - value === 0;
}

export function isCount(value: unknown): boolean {
  return isFiniteNumber(value) && value >= 0 && Math.floor(value) === value;
}

/** Linear search by `===` in `list` before `end`: no `indexOf`, whose string form is unreliable on Espruino. */
export function contains(list: readonly unknown[], item: unknown, end = list.length): boolean {
  for (let i = 0; i < end; i++) if (list[i] === item) return true;
  return false;
}

export function isJson(value: unknown, depth: number): boolean {
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
export function codePointLength(text: string): number {
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

export function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

export function escapeToken(token: string): string {
  return token.split("~").join("~0").split("/").join("~1");
}
