/**
 * Array.from, flat, flatMap, Number.isNaN/isFinite, Object.is, Object.fromEntries and Symbol
 * shims against Node's own built-ins, on random inputs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arrayFlat, arrayFlatMap, arrayFrom } from "../../../runtime/shims/array";
import { MapShim, SetShim } from "../../../runtime/shims/collections";
import { numberIsFinite, numberIsNaN } from "../../../runtime/shims/number";
import {
  objectFromEntries,
  objectIs,
  readsStringKeyedIterables,
} from "../../../runtime/shims/object";
import { SymbolShim } from "../../../runtime/shims/symbol";

/** What an operation did: its value, or the kind of error it threw. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

const leaf = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 3 }),
  fc.constantFrom(undefined, null, Number.NaN, -0, true),
  // An array-like is not an array: flat and flatMap leave it alone.
  fc.constant({ length: 1, 0: "like" }),
);

const { tree } = fc.letrec<{ tree: unknown; array: unknown[] }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array")),
  array: fc.sparseArray(tie("tree"), { maxLength: 5 }),
}));
const nestedArray = fc.sparseArray(tree, { maxLength: 6 });

const depth = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -2, max: 4 }),
  fc.constantFrom(
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
    "2",
    "x",
    null,
    true,
    1.7,
    -0.5,
  ),
  fc.double(),
);

/** Array-likes with awkward lengths: negative, fractional, strings, NaN, missing. */
const arrayLike = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: -3, max: 6 }),
      fc.constantFrom(2.7, "3", Number.NaN, undefined, null, "x"),
    ),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 2 })), { maxLength: 6 }),
  )
  .map(([length, values]) => {
    const like: Record<string, unknown> = { length };
    values.forEach((value, index) => {
      if (index % 3 !== 2) like[index] = value; // leave some indices missing
    });
    return like;
  });

/** Strings with surrogate pairs, lone surrogates and astral characters. */
const awkwardString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ unit: "grapheme", maxLength: 5 }),
  fc
    .array(fc.integer({ min: 0xd7f0, max: 0xe010 }), { maxLength: 8 })
    .map((codes) => String.fromCharCode(...codes)),
);

describe("Array.from shim against Node's", () => {
  const mapFn = function (this: unknown, value: unknown, index: number) {
    return [value, index, this];
  };

  it("reads arrays (holes as undefined), array-likes and primitives alike", () => {
    fc.assert(
      fc.property(
        fc.oneof(nestedArray, arrayLike, fc.integer(), fc.boolean()),
        fc.boolean(),
        (items, mapped) => {
          const thisArg = { marker: 1 };
          const native = mapped
            ? Array.from(items as any, mapFn, thisArg)
            : Array.from(items as any);
          const shim = mapped ? arrayFrom(items, mapFn, thisArg) : arrayFrom(items);
          expect(shim).toStrictEqual(native);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads strings by code point", () => {
    fc.assert(
      fc.property(awkwardString, (text) => {
        expect(arrayFrom(text)).toStrictEqual(Array.from(text));
        expect(arrayFrom(text, mapFn)).toStrictEqual(Array.from(text, mapFn));
      }),
      { numRuns: 300 },
    );
  });

  it("reads native Sets, shim Sets, shim Map iterators and @@iterator objects", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 1 }))),
        (values) => {
          const native = Array.from(new Set(values));
          expect(arrayFrom(new Set(values))).toStrictEqual(native);
          expect(arrayFrom(new SetShim(values))).toStrictEqual(native);
          const entries = values.map((value, index) => [value, index] as [unknown, number]);
          expect(arrayFrom(new MapShim(entries).entries())).toStrictEqual(
            Array.from(new Map(entries).entries()),
          );
          expect(arrayFrom(new MapShim(entries).keys(), mapFn)).toStrictEqual(
            Array.from(new Map(entries).keys(), mapFn),
          );
          // The same sequence behind "@@iterator" only (as on Espruino) and behind Symbol.iterator.
          const make = () => {
            let index = 0;
            return { next: () => ({ done: index >= values.length, value: values[index++] }) };
          };
          expect(arrayFrom({ "@@iterator": make })).toStrictEqual(
            Array.from({ [Symbol.iterator]: make } as Iterable<unknown>),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("throws TypeError where Node's does, and closes an iterator when mapFn throws", () => {
    for (const [items, fn] of [
      [null, undefined],
      [undefined, undefined],
      [[1], null],
      [[1], 5],
      [[1], {}],
      [[], 5],
    ] as [unknown, unknown][]) {
      expect(outcome(() => arrayFrom(items, fn as any))).toEqual(
        outcome(() => Array.from(items as any, fn as any)),
      );
      expect(outcome(() => arrayFrom(items, fn as any))).toEqual({ threw: "TypeError" });
    }
    const closes = { native: 0, shim: 0 };
    const iterable = (which: "native" | "shim") => ({
      next: () => ({ done: false, value: 1 }),
      return: () => {
        closes[which]++;
        return { done: true, value: undefined };
      },
    });
    const boom = () => {
      throw new Error("boom");
    };
    expect(() => Array.from({ [Symbol.iterator]: () => iterable("native") }, boom)).toThrow("boom");
    expect(() => arrayFrom({ "@@iterator": () => iterable("shim") }, boom)).toThrow("boom");
    expect(closes).toEqual({ native: 1, shim: 1 });
  });
});

describe("Array.prototype.flat and flatMap shims against Node's", () => {
  it("flat: same result for random nested sparse arrays and depths", () => {
    fc.assert(
      fc.property(nestedArray, depth, (array, d) => {
        expect(arrayFlat.call(array, d)).toStrictEqual(array.flat(d as number));
        expect(arrayFlat.call(array)).toStrictEqual(array.flat());
      }),
      { numRuns: 500 },
    );
  });

  it("flat: works on array-likes as `this`", () => {
    fc.assert(
      fc.property(arrayLike, depth, (like, d) => {
        expect(arrayFlat.call(like, d)).toStrictEqual(Array.prototype.flat.call(like, d as number));
      }),
    );
  });

  it("flatMap: same results and same callback arguments", () => {
    const shapes = ["same", "pair", "nested", "sparse", "arrayLike", "empty"] as const;
    fc.assert(
      fc.property(nestedArray, fc.constantFrom(...shapes), (array, shape) => {
        const thisArg = {};
        const make = (calls: unknown[]) =>
          function (this: unknown, value: unknown, index: number, owner: unknown) {
            calls.push([value, index, owner === array, this === thisArg]);
            switch (shape) {
              case "same":
                return value;
              case "pair":
                return [value, index];
              case "nested":
                return [[value], index];
              case "sparse":
                // biome-ignore lint/suspicious/noSparseArray: holes must be skipped.
                return [value, , index];
              case "arrayLike":
                return { length: 1, 0: value };
              case "empty":
                return [];
            }
          };
        const nativeCalls: unknown[] = [];
        const shimCalls: unknown[] = [];
        const native = array.flatMap(make(nativeCalls), thisArg);
        const shim = arrayFlatMap.call(array, make(shimCalls), thisArg);
        expect(shim).toStrictEqual(native);
        expect(shimCalls).toStrictEqual(nativeCalls);
      }),
      { numRuns: 300 },
    );
  });

  it("flatMap throws TypeError for a mapper that is not a function, as Node's", () => {
    for (const fn of [undefined, null, 1, {}]) {
      expect(outcome(() => arrayFlatMap.call([1], fn as any))).toEqual(
        outcome(() => [1].flatMap(fn as any)),
      );
    }
  });
});

const specials = fc.constantFrom<unknown>(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  "NaN",
  "1",
  "",
  null,
  undefined,
  true,
  [],
  {},
  [1],
  new Date(Number.NaN),
);
const anyValue = fc.oneof(fc.anything(), fc.double(), specials);

describe("Number.isNaN, Number.isFinite and Object.is shims against Node's", () => {
  it("Number.isNaN and Number.isFinite agree on any value (no coercion)", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(numberIsNaN(value)).toBe(Number.isNaN(value));
        expect(numberIsFinite(value)).toBe(Number.isFinite(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("Object.is agrees on any pair, including a value with itself", () => {
    fc.assert(
      fc.property(anyValue, anyValue, (a, b) => {
        expect(objectIs(a, b)).toBe(Object.is(a, b));
        expect(objectIs(a, a)).toBe(Object.is(a, a));
      }),
      { numRuns: 1000 },
    );
    expect(objectIs(0, -0)).toBe(false);
    expect(objectIs(Number.NaN, Number.NaN)).toBe(true);
  });
});

describe("Object.fromEntries shim against Node's", () => {
  const entryKey = fc.oneof(
    fc.string({ maxLength: 3 }),
    fc.integer({ min: -2, max: 5 }),
    fc.constantFrom<unknown>("__proto__", "constructor", null, undefined, true, 1.5, -0),
  );
  const entries = fc.array(fc.tuple(entryKey, fc.integer()), { maxLength: 8 });

  function own(object: object): unknown[] {
    return Object.getOwnPropertyNames(object).map((name) => [
      name,
      Object.getOwnPropertyDescriptor(object, name),
    ]);
  }

  it("builds the same object from arrays and from Maps", () => {
    fc.assert(
      fc.property(entries, (list) => {
        const native = Object.fromEntries(list as [PropertyKey, number][]);
        const fromArray = objectFromEntries(list);
        const fromMap = objectFromEntries(new MapShim(list));
        expect(own(fromArray)).toEqual(own(native));
        expect(own(fromMap)).toEqual(own(Object.fromEntries(new Map(list))));
        expect(Object.getPrototypeOf(fromArray)).toBe(Object.prototype);
      }),
      { numRuns: 300 },
    );
  });

  it("throws TypeError where Node's does", () => {
    for (const input of [null, undefined, 5, {}, [1], ["ab"]]) {
      expect(outcome(() => objectFromEntries(input))).toEqual(
        outcome(() => Object.fromEntries(input as any)),
      );
    }
  });

  it("the probe tells a fromEntries that reads @@iterator from one that does not", () => {
    expect(readsStringKeyedIterables(objectFromEntries)).toBe(true);
    expect(readsStringKeyedIterables(Object.fromEntries)).toBe(false);
    expect(readsStringKeyedIterables(undefined)).toBe(false);
  });
});

describe("Symbol shim", () => {
  it("is a function giving unique string keys that carry the description", () => {
    const made = new Set<string>();
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 5 }), { nil: undefined }), (description) => {
        const key = SymbolShim(description);
        expect(typeof key).toBe("string");
        expect(key.startsWith(`@@sym:${description ?? ""}:`)).toBe(true);
        expect(made.has(key)).toBe(false);
        made.add(key);
      }),
    );
    expect(typeof SymbolShim).toBe("function");
    expect(SymbolShim("a")).not.toBe(SymbolShim("a"));
  });

  it("has the well-known keys Babel's helpers and the collection shims use", () => {
    expect(SymbolShim.iterator).toBe("@@iterator");
    expect(SymbolShim.asyncIterator).toBe("@@asyncIterator");
    expect((SymbolShim as any).observable).toBeUndefined(); // xstate falls back to "@@observable"
  });

  it("is not a constructor, as Node's", () => {
    expect(() => new (SymbolShim as any)()).toThrow(TypeError);
    expect(() => new (Symbol as any)()).toThrow(TypeError);
  });
});
