/**
 * A `Symbol` for Espruino, which has none: symbols become unique strings.
 *
 * Who needs it: xstate checks `typeof Symbol === 'function' && Symbol.observable` (absent here,
 * so it falls back to `"@@observable"`), and Babel's lowered for…of, spread and destructuring
 * helpers look up `o[Symbol.iterator] || o["@@iterator"]`: `Symbol.iterator` is `"@@iterator"`, the
 * key the Map/Set shims and their iterators use, so both lookups find the same method.
 *
 * Guarantees: `Symbol(description)` returns a string no other call returns,
 * `"@@sym:" + description + ":" + n`; `typeof` it is "string", not "symbol", and it is an
 * ordinary, enumerable property key (a real symbol is skipped by `Object.keys` and
 * `JSON.stringify`). `new Symbol()` throws TypeError, as Node does. No `Symbol.for`,
 * `Symbol.toPrimitive` or `Symbol.toStringTag`: nothing that runs on the device needs them.
 */
import { ITERATOR_KEY } from "./iterable";

export interface ShimSymbolConstructor {
  (description?: unknown): string;
  readonly iterator: "@@iterator";
  readonly asyncIterator: "@@asyncIterator";
}

let created = 0;

export const SymbolShim = function (this: unknown, description?: unknown): string {
  if (this instanceof SymbolShim) throw new TypeError("Symbol is not a constructor");
  created++;
  return `@@sym:${description === undefined ? "" : String(description)}:${created}`;
} as unknown as ShimSymbolConstructor;

(SymbolShim as any).iterator = ITERATOR_KEY;
(SymbolShim as any).asyncIterator = "@@asyncIterator";
