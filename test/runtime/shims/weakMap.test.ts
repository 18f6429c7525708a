/**
 * The WeakMap and WeakSet shims against Node's own: random operations on two WeakMaps and a
 * WeakSet sharing keys, every answer compared; keys gain no enumerable property; the shims hold
 * no reference to their keys (values live on the keys, so they die with them).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WeakMapShim, WeakSetShim } from "../../../runtime/shims/weakMap";

class Actor {
  id = "actor";
}

function makeKeys(): object[] {
  const parent = { role: "parent" };
  return [
    {},
    { x: 1, nested: { y: [1, 2] } },
    [],
    [1, 2],
    () => 1,
    function named() {},
    parent,
    Object.create(parent), // inherits from another key: must not see its values
    new Actor(),
    new Date(0),
    Object.create(null),
  ];
}

const PRIMITIVES: unknown[] = [undefined, null, 0, 1, "a", true, Number.NaN];

type Op =
  | { op: "set"; map: number; key: number; value: number }
  | { op: "get" | "has" | "delete"; map: number; key: number }
  | { op: "add" | "setHas" | "setDelete"; key: number }
  | { op: "primitive"; method: string; value: number };

const KEY_COUNT = makeKeys().length;

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    map: fc.nat(1),
    key: fc.nat(KEY_COUNT - 1),
    value: fc.integer(),
  }),
  fc.record({
    op: fc.constantFrom("get" as const, "has" as const, "delete" as const),
    map: fc.nat(1),
    key: fc.nat(KEY_COUNT - 1),
  }),
  fc.record({
    op: fc.constantFrom("add" as const, "setHas" as const, "setDelete" as const),
    key: fc.nat(KEY_COUNT - 1),
  }),
  fc.record({
    op: fc.constant("primitive" as const),
    method: fc.constantFrom("set", "get", "has", "delete", "add", "setHas", "setDelete"),
    value: fc.nat(PRIMITIVES.length - 1),
  }),
);

function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    return { threw: (error as Error).constructor.name, message: (error as Error).message };
  }
}

/** Enumerable views of a key, which storing it in a WeakMap must not change. */
function views(key: any): unknown {
  const forIn: string[] = [];
  for (const name in key) forIn.push(name);
  return [Object.keys(key), forIn, JSON.stringify(key), Object.entries(key).length];
}

function run(
  WeakMapClass: new () => any,
  WeakSetClass: new () => any,
  keys: object[],
  ops: Op[],
): unknown[] {
  const maps = [new WeakMapClass(), new WeakMapClass()];
  const set = new WeakSetClass();
  const log: unknown[] = [];
  for (const op of ops) {
    switch (op.op) {
      case "set":
        log.push(outcome(() => maps[op.map].set(keys[op.key], op.value) === maps[op.map]));
        break;
      case "get":
      case "has":
      case "delete":
        log.push(outcome(() => maps[op.map][op.op](keys[op.key])));
        break;
      case "add":
        log.push(outcome(() => set.add(keys[op.key]) === set));
        break;
      case "setHas":
        log.push(outcome(() => set.has(keys[op.key])));
        break;
      case "setDelete":
        log.push(outcome(() => set.delete(keys[op.key])));
        break;
      case "primitive": {
        const value = PRIMITIVES[op.value];
        const target = op.method.startsWith("set") || op.method === "add" ? set : maps[0];
        const method =
          op.method === "setHas" ? "has" : op.method === "setDelete" ? "delete" : op.method;
        const receiver = op.method === "set" || op.method === "get" ? maps[1] : target;
        log.push([op.method, outcome(() => receiver[method](value, 1))]);
        break;
      }
    }
  }
  // Everything each container holds at the end.
  log.push(keys.map((key) => [maps[0].get(key), maps[1].get(key), set.has(key)]));
  return log;
}

describe("WeakMap and WeakSet shims against Node's", () => {
  it("give the same answers on random operations, with TypeError for primitive keys", () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 50, size: "max" }), (ops) => {
        const nativeKeys = makeKeys();
        const shimKeys = makeKeys();
        const before = shimKeys.map(views);
        expect(run(WeakMapShim, WeakSetShim, shimKeys, ops)).toEqual(
          run(WeakMap, WeakSet, nativeKeys, ops),
        );
        // No key gained anything enumerable, JSON included.
        expect(shimKeys.map(views)).toEqual(before);
      }),
      { numRuns: 400 },
    );
  });

  it("hold no reference to a key: the value lives on the key and leaves with delete", () => {
    const map = new WeakMapShim<object, unknown>();
    const key = { a: 1 };
    const namesBefore = Object.getOwnPropertyNames(key);
    const value = { big: "value" };
    map.set(key, value);
    expect(map.get(key)).toBe(value);
    // The WeakMap itself only holds its slot name, a string.
    const held = Object.getOwnPropertyNames(map).map((name) => typeof (map as any)[name]);
    expect(held).toEqual(["string"]);
    expect(Object.getOwnPropertyNames(key).length).toBe(namesBefore.length + 1);
    expect(map.delete(key)).toBe(true);
    expect(Object.getOwnPropertyNames(key)).toEqual(namesBefore);
    expect(map.has(key)).toBe(false);
    expect(map.delete(key)).toBe(false);
  });

  it("build from iterables and refuse primitive entries, as Node's", () => {
    const a = {};
    const b = {};
    const map = new WeakMapShim([
      [a, 1],
      [b, 2],
    ]);
    expect([map.get(a), map.get(b)]).toEqual([1, 2]);
    expect(new WeakSetShim([a]).has(a)).toBe(true);
    expect(() => new WeakMapShim([[1, 2]])).toThrow(TypeError);
    expect(() => new WeakMap([[1, 2]] as any)).toThrow(TypeError);
    expect(() => new WeakSetShim([1])).toThrow(TypeError);
    expect(() => new WeakSet([1] as any)).toThrow(TypeError);
    expect(() => (WeakMapShim as any)()).toThrow(TypeError);
  });
});
