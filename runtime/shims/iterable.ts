/**
 * The iteration protocol as the shims see it: Espruino has no `Symbol`, so an iterable is an object
 * with a method under the string key `"@@iterator"` (which `Symbol.iterator` is, once the Symbol shim
 * is installed, and which Babel's lowered for…of and spread helpers look up as a fallback); arrays
 * and strings, which have no such method on Espruino, are iterated by index (strings by code point,
 * as `String.prototype[Symbol.iterator]` does). Where a native `Symbol.iterator` exists (Node), it is
 * honoured as well, so the shims can be tested against Node's built-ins.
 *
 * Strings and arrays are read by index even where they have a native iterator (the same values).
 *
 * Who needs it: the Map, Set, WeakMap and WeakSet constructors (`new Set(iterable)`) and
 * `Array.from`, which Babel's spread helper calls for every non-array it spreads.
 *
 * This file, like every shim, uses no for…of, spread or destructuring: after Babel lowers them they
 * call `Array.from` and `Symbol.iterator`, the very things the shims provide.
 */

/** The key under which the shims' iterables keep their iterator method. */
export const ITERATOR_KEY = "@@iterator";

/** Node's `Symbol.iterator` when the engine has one; null on Espruino. */
const nativeIteratorKey: symbol | null =
  typeof Symbol === "function" && typeof Symbol.iterator === "symbol" ? Symbol.iterator : null;

/** The value's iterator method (`"@@iterator"`, else a native `Symbol.iterator`), or undefined. */
export function getIteratorMethod(value: any): unknown {
  let method = value[ITERATOR_KEY];
  if (method == null && nativeIteratorKey !== null) method = value[nativeIteratorKey];
  return method == null ? undefined : method;
}

/** Makes `method` the iterator method of `target` (non-enumerable), under both keys if needed. */
export function defineIteratorMethod(target: object, method: (this: any) => unknown): void {
  Object.defineProperty(target, ITERATOR_KEY, {
    value: method,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (nativeIteratorKey !== null) {
    Object.defineProperty(target, nativeIteratorKey, {
      value: method,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

function isObjectLike(value: unknown): boolean {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

/** Calls the iterator's `return` after `fn` threw, as the spec's IteratorClose does. */
function closeIterator(iterator: any): void {
  const close = iterator.return;
  if (typeof close === "function") {
    try {
      close.call(iterator);
    } catch {
      // The error thrown by the loop body wins over one thrown while closing.
    }
  }
}

/**
 * Calls `fn(value, index)` for each value `iterable` yields. Returns false, without calling `fn`,
 * when the value is not iterable (so `Array.from` can fall back to array-likes). Throws TypeError
 * for a malformed iterator, and closes the iterator when `fn` throws.
 */
export function forEachIterated(iterable: any, fn: (value: any, index: number) => void): boolean {
  if (iterable == null) return false;
  // Strings and arrays first: Espruino gives them no iterator method, and reading them by index
  // is what their native iterators do (it also keeps these paths under test on Node).
  if (typeof iterable === "string") {
    let index = 0;
    let i = 0;
    while (i < iterable.length) {
      const size = codePointSize(iterable, i);
      fn(size === 1 ? iterable.charAt(i) : iterable.slice(i, i + size), index);
      index++;
      i += size;
    }
    return true;
  }
  if (Array.isArray(iterable)) {
    // The length is read on every step, as an array iterator does.
    for (let i = 0; i < iterable.length; i++) fn(iterable[i], i);
    return true;
  }
  const method = getIteratorMethod(iterable);
  if (method === undefined) return false;
  if (typeof method !== "function") throw new TypeError(`${String(method)} is not a function`);
  const iterator = method.call(iterable);
  if (!isObjectLike(iterator))
    throw new TypeError("Result of the iterator method is not an object");
  const next = iterator.next;
  let index = 0;
  for (;;) {
    const step = next.call(iterator);
    if (!isObjectLike(step)) throw new TypeError("Iterator result is not an object");
    if (step.done) return true;
    try {
      fn(step.value, index);
    } catch (error) {
      closeIterator(iterator);
      throw error;
    }
    index++;
  }
}

/** 2 where a surrogate pair starts at `i`, else 1. */
function codePointSize(text: string, i: number): number {
  const high = text.charCodeAt(i);
  if (high < 0xd800 || high > 0xdbff || i + 1 >= text.length) return 1;
  const low = text.charCodeAt(i + 1);
  return low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
}

/**
 * Feeds an iterable to a collection under construction, as `new Map(entries)` and `new Set(values)`
 * do: `adder` is the collection's own `set`/`add`, called with `(entry[0], entry[1])` when `pairs`,
 * else with each value. Throws TypeError, as Node does, for a value that is not iterable and for an
 * entry that is not an object.
 */
export function addAll(target: object, iterable: unknown, adder: unknown, pairs: boolean): void {
  if (typeof adder !== "function") throw new TypeError(`${String(adder)} is not a function`);
  const iterated = forEachIterated(iterable, (item: any) => {
    if (!pairs) {
      adder.call(target, item);
      return;
    }
    if (!isObjectLike(item)) {
      throw new TypeError(`Iterator value ${String(item)} is not an entry object`);
    }
    adder.call(target, item[0], item[1]);
  });
  if (!iterated) throw new TypeError(`${typeof iterable} is not iterable`);
}
