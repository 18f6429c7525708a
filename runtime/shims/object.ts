/**
 * `Object.is`, which Espruino lacks, and an `Object.fromEntries` that reads the shims' iterables.
 *
 * Who needs it: xstate calls `Object.fromEntries(map)` on its Maps (a state node's transitions,
 * the system's keyed actors). Espruino's native `Object.fromEntries` takes arrays only (anything
 * else gives undefined, and non-string keys are dropped), and V8's takes only iterables with a
 * native `Symbol.iterator`: neither reads a shim Map, so where iteration goes through the
 * `"@@iterator"` key this one replaces the native (install.ts decides, by probing it).
 * `Object.is` (same-value equality: NaN equals NaN, -0 differs from +0) is two lines.
 *
 * Guarantees, as Node's built-ins (checked in test/runtime/shims/array.test.ts): `objectIs` agrees
 * with `Object.is` on every pair; `objectFromEntries` reads arrays, strings and `"@@iterator"`
 * iterables, converts keys with String (as ToPropertyKey does for non-symbols), keeps the last
 * value of a repeated key, makes `"__proto__"` an own property, and throws TypeError for
 * null/undefined, a non-iterable or an entry that is not an object.
 */
import { forEachIterated, ITERATOR_KEY } from "./iterable";

export function objectIs(a: unknown, b: unknown): boolean {
  // Equal values are the same unless they are zeros of different sign (1/-0 is -Infinity).
  if (a === b) return a !== 0 || 1 / (a as number) === 1 / (b as number);
  // biome-ignore lint/suspicious/noSelfCompare: NaN is the one value not equal to itself.
  return a !== a && b !== b;
}

export function objectFromEntries(entries: unknown): Record<PropertyKey, unknown> {
  if (entries == null) throw new TypeError(`${String(entries)} is not iterable`);
  const out: Record<PropertyKey, unknown> = {};
  const iterated = forEachIterated(entries, (entry: any) => {
    if (entry === null || (typeof entry !== "object" && typeof entry !== "function")) {
      throw new TypeError(`Iterator value ${String(entry)} is not an entry object`);
    }
    const key = entry[0];
    const name = typeof key === "symbol" ? key : String(key);
    if (name === "__proto__") {
      Object.defineProperty(out, name, {
        value: entry[1],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      out[name] = entry[1];
    }
  });
  if (!iterated) throw new TypeError(`${typeof entries} is not iterable`);
  return out;
}

/** Whether a `fromEntries` reads an iterable whose only iterator method is `"@@iterator"`. */
export function readsStringKeyedIterables(fromEntries: unknown): boolean {
  if (typeof fromEntries !== "function") return false;
  const probe: any = {};
  probe[ITERATOR_KEY] = () => {
    let done = false;
    return {
      next: () => {
        if (done) return { done: true, value: undefined };
        done = true;
        return { done: false, value: ["k", 1] };
      },
    };
  };
  try {
    const out = fromEntries(probe);
    return out != null && out.k === 1;
  } catch {
    return false;
  }
}
