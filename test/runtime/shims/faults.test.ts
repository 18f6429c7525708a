/**
 * The shims that repair faulty natives, checked against Node's correct ones on random inputs,
 * with the faults modelled as measured on Espruino 2v29.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keepingValue, losesValueWithoutOne } from "../../../runtime/shims/defineProperty.js";
import {
  exactIncludes,
  exactIndexOf,
  exactReplace,
  overrunsEnd,
} from "../../../runtime/shims/stringSearch.js";

/** 2v29's `indexOf`: also hits where the needle's start matches the text's end. */
function overrunningIndexOf(this: string, search: string, from = 0): number {
  const needle = String(search);
  for (let i = Math.max(0, from); i < this.length; i++) {
    const rest = this.slice(i);
    if (rest.startsWith(needle) || (rest.length < needle.length && needle.startsWith(rest)))
      return i;
  }
  return needle === "" ? this.length : -1;
}

/** 2v29's `replace` with a string pattern: replaces that same overrunning hit. */
function overrunningReplace(this: string, pattern: unknown, replacement: unknown): string {
  if (typeof pattern !== "string") return this.replace(pattern as RegExp, String(replacement));
  const at = overrunningIndexOf.call(this, pattern);
  return at < 0 ? this : this.slice(0, at) + String(replacement) + this.slice(at + pattern.length);
}

/** 2v29's `defineProperty`: a descriptor without a value wipes the value. */
function wipingDefine(target: any, key: PropertyKey, d: PropertyDescriptor) {
  return Object.defineProperty(
    target,
    key,
    "value" in d || d.get || d.set ? d : { ...d, value: undefined },
  );
}

const text = fc.string({ unit: fc.constantFrom("a", "b", "c", "."), maxLength: 12 });

describe("string search repair", () => {
  const indexOf = exactIndexOf(overrunningIndexOf);

  it("detects the fault, and not on Node", () => {
    expect(overrunsEnd(overrunningIndexOf)).toBe(true);
    expect(overrunsEnd(String.prototype.indexOf)).toBe(false);
    expect(overrunningIndexOf.call("abcab", "abx")).toBe(3);
  });

  it("indexOf, includes and replace agree with Node's on random texts and needles", () => {
    fc.assert(
      fc.property(text, text, fc.integer({ min: -2, max: 14 }), (haystack, needle, from) => {
        expect(indexOf.call(haystack, needle, from)).toBe(haystack.indexOf(needle, from));
        expect(exactIncludes(indexOf).call(haystack, needle, from)).toBe(
          haystack.includes(needle, from),
        );
        expect(exactReplace(overrunningReplace, indexOf).call(haystack, needle, "X")).toBe(
          haystack.replace(needle, "X"),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe("defineProperty repair", () => {
  it("detects the fault, and not on Node", () => {
    expect(losesValueWithoutOne(wipingDefine)).toBe(true);
    expect(losesValueWithoutOne(Object.defineProperty)).toBe(false);
  });

  it("keeps values and accessors that a descriptor does not name, as Node does", () => {
    const define = keepingValue(wipingDefine);
    fc.assert(
      fc.property(
        fc.anything(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (value, accessor, enumerable, writable) => {
          const make = () => {
            const o: Record<string, unknown> = {};
            if (accessor)
              Object.defineProperty(o, "p", {
                get: () => value,
                configurable: true,
                enumerable: true,
              });
            else
              Object.defineProperty(o, "p", {
                value,
                configurable: true,
                enumerable: true,
                writable: true,
              });
            return o;
          };
          const mine = make();
          const node = make();
          const descriptor = accessor ? { enumerable } : { enumerable, writable };
          define(mine, "p", descriptor);
          Object.defineProperty(node, "p", descriptor);
          // Getters are distinct closures: compare what they give, and the attributes.
          const shape = (o: object) => {
            const d = Object.getOwnPropertyDescriptor(o, "p")!;
            return { ...d, get: d.get?.(), set: typeof d.set };
          };
          expect(shape(mine)).toEqual(shape(node));
        },
      ),
    );
  });

  it("keeps a class's methods through Babel's `_createClass` ending", () => {
    const define = keepingValue(wipingDefine);
    function C() {}
    C.prototype.hi = () => 1;
    define(C, "prototype", { writable: false });
    expect(typeof (C.prototype as { hi?: unknown }).hi).toBe("function");
  });
});
