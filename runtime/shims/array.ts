/**
 * `Array.from`, `Array.prototype.flat` and `Array.prototype.flatMap` for Espruino, which lacks all
 * three.
 *
 * Who needs it: Babel's lowered spread and destructuring call `Array.from` for every iterable that
 * is not an array (`[...set]`, `[...map.keys()]`), xstate calls `Array.from` on Sets and Maps, and
 * it flattens transitions and actions with `flat` and `flatMap`.
 *
 * Guarantees, as Node's built-ins (checked against them in test/runtime/shims/array.test.ts):
 * - `Array.from(items, mapFn?, thisArg?)`: iterables (an `"@@iterator"` method, or a native
 *   `Symbol.iterator`), arrays (holes read as undefined), strings by code point, then array-likes
 *   (`length` converted as ToLength); `mapFn(value, index)` called with `thisArg`; TypeError for
 *   null/undefined items or a `mapFn` that is not a function; an iterator is closed if `mapFn`
 *   throws. Always returns a plain array (`Array.from` called on a subclass does not construct it).
 * - `flat(depth = 1)`: depth converted as ToIntegerOrInfinity (NaN and negatives flatten nothing),
 *   holes skipped at every level, only real arrays flattened.
 * - `flatMap(fn, thisArg?)`: `fn(value, index, array)` for each element present, array results
 *   spread one level (holes in them skipped), TypeError when `fn` is not a function.
 */
import { forEachIterated } from "./iterable";

export type ArrayFrom = <T, U = T>(
  items: unknown,
  mapFn?: (value: T, index: number) => U,
  thisArg?: unknown,
) => U[];

/** The largest length ToLength gives: 2^53 - 1. */
const MAX_LENGTH = 9007199254740991;

function toLength(value: unknown): number {
  const length = Math.floor(Number(value));
  if (!(length > 0)) return 0; // NaN and negatives
  return Math.min(length, MAX_LENGTH);
}

/** ToIntegerOrInfinity, except that negatives may round down: any depth below 1 flattens nothing. */
function toDepth(value: unknown): number {
  const number = Number(value);
  // biome-ignore lint/suspicious/noSelfCompare: NaN is the one value not equal to itself.
  if (number !== number) return 0;
  return Math.floor(number);
}

function rangeError(message: string): Error {
  // Espruino has no RangeError.
  return typeof RangeError === "function" ? new RangeError(message) : new Error(message);
}

export const arrayFrom: ArrayFrom = function from(
  this: unknown,
  items: any,
  mapFn?: (value: any, index: number) => any,
  thisArg?: unknown,
): any[] {
  if (items == null) throw new TypeError(`${String(items)} is not iterable`);
  if (mapFn !== undefined && typeof mapFn !== "function") {
    throw new TypeError(`${String(mapFn)} is not a function`);
  }
  const out: any[] = [];
  const collect = (value: unknown, index: number) => {
    out.push(mapFn === undefined ? value : mapFn.call(thisArg, value, index));
  };
  if (!forEachIterated(items, collect)) {
    const length = toLength(items.length);
    if (length > 4294967295) throw rangeError("Invalid array length");
    for (let i = 0; i < length; i++) collect(items[i], i);
  }
  return out;
};

/** Appends the elements of `source` (an array-like) to `out`, flattening arrays `depth` deep. */
function flattenInto(out: unknown[], source: any, depth: number): void {
  const length = toLength(source.length);
  for (let i = 0; i < length; i++) {
    if (!(i in source)) continue; // a hole
    const element = source[i];
    if (depth > 0 && Array.isArray(element)) flattenInto(out, element, depth - 1);
    else out.push(element);
  }
}

export function arrayFlat(this: unknown, depth?: unknown): unknown[] {
  if (this == null) throw new TypeError("Array.prototype.flat called on null or undefined");
  const out: unknown[] = [];
  flattenInto(out, Object(this), depth === undefined ? 1 : toDepth(depth));
  return out;
}

export function arrayFlatMap(
  this: unknown,
  fn: (value: any, index: number, array: any) => unknown,
  thisArg?: unknown,
): unknown[] {
  if (this == null) throw new TypeError("Array.prototype.flatMap called on null or undefined");
  if (typeof fn !== "function") throw new TypeError("flatMap mapper function is not callable");
  const source = Object(this);
  const length = toLength(source.length);
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    if (!(i in source)) continue; // a hole
    const result = fn.call(thisArg, source[i], i, source);
    if (Array.isArray(result)) flattenInto(out, result, 0);
    else out.push(result);
  }
  return out;
}
