/**
 * The Map and Set shims against Node's own: random command sequences (including iteration while
 * mutating, with several iterators open at once) run on both, every answer and every iteration
 * order compared.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MapShim, SetShim } from "../../../runtime/shims/collections";
import { hiddenName } from "../../../runtime/shims/hidden";

const objectA = { a: 1 };
const objectB = { a: 1 };
const fnKey = () => 0;

/** Keys (and values) that exercise SameValueZero and the flat store: NaN, ±0, look-alikes. */
const POOL: unknown[] = [
  Number.NaN,
  -0,
  0,
  1,
  -1,
  1.5,
  "1",
  "a",
  "",
  "@@iterator",
  objectA,
  objectB,
  fnKey,
  undefined,
  null,
  true,
  false,
];

/** A comparable name for a value: objects by identity, -0 apart from +0, NaN by name. */
function label(value: unknown): unknown {
  if (typeof value === "object" && value !== null) {
    if (Array.isArray(value)) return value.map(label);
    return `obj#${POOL.indexOf(value)}`;
  }
  if (typeof value === "function") return `fn#${POOL.indexOf(value)}`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : `n:${String(value)}`;
  if (typeof value === "string") return `s:${value}`;
  return String(value);
}

type Kind = "keys" | "values" | "entries" | "iterator";

type Mutation =
  | { op: "set"; key: number; value: number }
  | { op: "delete"; key: number }
  | { op: "deleteRange"; key: number; count: number }
  | { op: "clear" };

type Command =
  | Mutation
  | { op: "has"; key: number }
  | { op: "get"; key: number }
  | { op: "size" }
  | { op: "open"; slot: number; kind: Kind }
  | { op: "next"; slot: number; times: number }
  | { op: "forEach"; mutations: { at: number; mutation: Mutation }[] }
  | { op: "snapshot" };

function commandArbitrary(keyCount: number): fc.Arbitrary<Command> {
  const key = fc.nat(keyCount - 1);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("set" as const), key, value: key }), weight: 5 },
    { arbitrary: fc.record({ op: fc.constant("delete" as const), key }), weight: 4 },
    {
      // Many deletions at once: holes outnumber live entries and the store is compacted.
      arbitrary: fc.record({
        op: fc.constant("deleteRange" as const),
        key,
        count: fc.integer({ min: 2, max: keyCount }),
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ op: fc.constant("clear" as const) }), weight: 1 },
  );
  const slot = fc.nat(2);
  return fc.oneof(
    { arbitrary: mutation, weight: 10 },
    { arbitrary: fc.record({ op: fc.constant("has" as const), key }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant("get" as const), key }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant("size" as const) }), weight: 1 },
    {
      arbitrary: fc.record({
        op: fc.constant("open" as const),
        slot,
        kind: fc.constantFrom<Kind>("keys", "values", "entries", "iterator"),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        op: fc.constant("next" as const),
        slot,
        times: fc.integer({ min: 1, max: 3 }),
      }),
      weight: 6,
    },
    {
      arbitrary: fc.record({
        op: fc.constant("forEach" as const),
        mutations: fc.array(fc.record({ at: fc.nat(6), mutation }), { maxLength: 4, size: "max" }),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ op: fc.constant("snapshot" as const) }), weight: 1 },
  );
}

interface Subject {
  collection: any;
  isMap: boolean;
  /** The collection's own iterator method: `Symbol.iterator` on Node's, "@@iterator" on a shim. */
  iteratorKey: PropertyKey;
}

function iteratorOf(subject: Subject, kind: Kind): any {
  const c = subject.collection;
  if (kind === "iterator") return c[subject.iteratorKey]();
  return c[kind]();
}

function drain(iterator: any): unknown[] {
  const out: unknown[] = [];
  for (let step = iterator.next(); !step.done; step = iterator.next()) out.push(label(step.value));
  return out;
}

function mutate(subject: Subject, keys: unknown[], mutation: Mutation): unknown {
  const c = subject.collection;
  if (mutation.op === "set") {
    const result = subject.isMap
      ? c.set(keys[mutation.key], keys[mutation.value])
      : c.add(keys[mutation.key]);
    return result === c;
  }
  if (mutation.op === "delete") return c.delete(keys[mutation.key]);
  if (mutation.op === "deleteRange") {
    const deleted: boolean[] = [];
    for (let i = mutation.key; i < mutation.key + mutation.count && i < keys.length; i++) {
      deleted.push(c.delete(keys[i]));
    }
    return deleted;
  }
  return c.clear();
}

/** Runs the commands on one collection and returns everything observable, as labels. */
function run(subject: Subject, keys: unknown[], commands: Command[]): unknown[] {
  const c = subject.collection;
  const iterators: any[] = [null, null, null];
  const log: unknown[] = [];
  for (const command of commands) {
    switch (command.op) {
      case "set":
      case "delete":
      case "deleteRange":
      case "clear":
        log.push([command.op, mutate(subject, keys, command)]);
        break;
      case "has":
        log.push(["has", c.has(keys[command.key])]);
        break;
      case "get":
        if (subject.isMap) log.push(["get", label(c.get(keys[command.key]))]);
        break;
      case "size":
        log.push(["size", c.size]);
        break;
      case "open":
        iterators[command.slot] = iteratorOf(subject, command.kind);
        break;
      case "next": {
        const iterator = iterators[command.slot];
        if (iterator === null) break;
        for (let i = 0; i < command.times; i++) {
          const step = iterator.next();
          log.push(["next", command.slot, step.done, label(step.value)]);
        }
        break;
      }
      case "forEach": {
        let calls = 0;
        const thisArg = {};
        c.forEach(function (this: unknown, value: unknown, key: unknown, owner: unknown) {
          log.push(["each", label(value), label(key), owner === c, this === thisArg]);
          for (const { at, mutation } of command.mutations) {
            if (at === calls) log.push(["each-mutate", mutate(subject, keys, mutation)]);
          }
          calls++;
        }, thisArg);
        log.push(["forEach-calls", calls]);
        break;
      }
      case "snapshot":
        log.push(["snapshot", c.size, drain(iteratorOf(subject, "entries"))]);
        break;
    }
  }
  log.push(["final", c.size, drain(iteratorOf(subject, "iterator"))]);
  return log;
}

function compare(isMap: boolean, keys: unknown[], commands: Command[]): void {
  const native = run(
    { collection: isMap ? new Map() : new Set(), isMap, iteratorKey: Symbol.iterator },
    keys,
    commands,
  );
  const shim = run(
    { collection: isMap ? new MapShim() : new SetShim(), isMap, iteratorKey: "@@iterator" },
    keys,
    commands,
  );
  expect(shim).toEqual(native);
}

const MANY_KEYS = Array.from({ length: 40 }, (_, i) => i);

describe.each([
  ["Map", true],
  ["Set", false],
])("%s shim against Node's", (_name, isMap) => {
  it("gives the same answers and orders on random commands, iterating while mutating", () => {
    fc.assert(
      fc.property(
        fc.array(commandArbitrary(POOL.length), { maxLength: 60, size: "max" }),
        (commands) => compare(isMap, POOL, commands),
      ),
      { numRuns: 600 },
    );
  });

  it("stays in step with Node's on larger tables (compaction under open iterators)", () => {
    fc.assert(
      fc.property(
        fc.array(commandArbitrary(MANY_KEYS.length), { maxLength: 200, size: "max" }),
        (commands) => compare(isMap, MANY_KEYS, commands),
      ),
      { numRuns: 200 },
    );
  });

  it("never keeps more holes than live entries (memory stays proportional)", () => {
    const TABLE = hiddenName("t");
    fc.assert(
      fc.property(
        fc.array(commandArbitrary(MANY_KEYS.length), { maxLength: 200, size: "max" }),
        (commands) => {
          const collection: any = isMap ? new MapShim() : new SetShim();
          const subject = { collection, isMap, iteratorKey: "@@iterator" };
          for (const command of commands) {
            if (
              command.op === "set" ||
              command.op === "delete" ||
              command.op === "deleteRange" ||
              command.op === "clear"
            ) {
              mutate(subject, MANY_KEYS, command);
              const table = collection[TABLE];
              const entries = table.data.length / table.step;
              expect(table.live).toBe(collection.size);
              expect(entries - table.live).toBeLessThanOrEqual(table.live);
            }
          }
        },
      ),
    );
  });
});

describe("Map and Set shims, specific guarantees", () => {
  it("store -0 as +0 and find NaN", () => {
    const map = new MapShim([[-0, "zero"]]);
    expect(Object.is(map.keys().next().value, 0)).toBe(true);
    expect(map.get(0)).toBe("zero");
    map.set(Number.NaN, "nan");
    expect(map.get(Number.NaN)).toBe("nan");
    const set = new SetShim([-0, Number.NaN, Number.NaN]);
    expect(set.size).toBe(2);
    expect(Object.is(set.values().next().value, 0)).toBe(true);
  });

  it("do not mistake a Map value for a key", () => {
    const map = new MapShim([["a", "b"]]);
    expect(map.has("b")).toBe(false);
    expect(map.get("b")).toBeUndefined();
    expect(map.delete("b")).toBe(false);
  });

  it("have iterable iterators and the built-ins' method identities", () => {
    const map = new MapShim([[1, 2]]);
    const iterator = map.entries();
    expect(iterator["@@iterator"]()).toBe(iterator);
    expect(MapShim.prototype["@@iterator"]).toBe(MapShim.prototype.entries);
    expect(SetShim.prototype["@@iterator"]).toBe(SetShim.prototype.values);
    expect(SetShim.prototype.keys).toBe(SetShim.prototype.values);
  });

  it("stay done once done, even when entries are added later", () => {
    const set = new SetShim([1]);
    const iterator = set.values();
    expect(iterator.next()).toEqual({ value: 1, done: false });
    expect(iterator.next()).toEqual({ value: undefined, done: true });
    set.add(2);
    expect(iterator.next()).toEqual({ value: undefined, done: true });
  });

  it("go on after clear() with what is added later, as Node's do", () => {
    for (const collection of [new Map<number, number>(), new MapShim<number, number>()]) {
      collection.set(1, 1).set(2, 2);
      const iterator = collection.keys();
      iterator.next();
      collection.clear();
      collection.set(3, 3);
      expect(iterator.next()).toEqual({ value: 3, done: false });
    }
  });

  it("build from arrays, strings, other shims and custom @@iterator objects", () => {
    const source = new MapShim([
      ["x", 1],
      ["y", 2],
    ]);
    const copy = new MapShim(source);
    expect(copy.get("y")).toBe(2);
    // Where the engine has a native Symbol.iterator (Node), the shims answer to it too.
    expect([...(copy as any)]).toEqual([
      ["x", 1],
      ["y", 2],
    ]);
    expect(new SetShim("a😀b").size).toBe(3);
    let index = 0;
    const custom = {
      "@@iterator": () => ({
        next: () => (index < 2 ? { value: [index, index++ * 10], done: false } : { done: true }),
      }),
    };
    const fromCustom = new MapShim(custom);
    expect(fromCustom.get(1)).toBe(10);
    expect(fromCustom.size).toBe(2);
  });

  it("throw TypeError as Node does for bad input", () => {
    const cases: [() => unknown, () => unknown][] = [
      [() => new Map([1] as any), () => new MapShim([1])],
      [() => new Map(5 as any), () => new MapShim(5)],
      [() => new Set({} as any), () => new SetShim({})],
      [() => new Map("ab" as any), () => new MapShim("ab")],
      [() => (Map as any)(), () => (MapShim as any)()],
      [() => (Set as any)(), () => (SetShim as any)()],
      [() => new Map().forEach(5 as any), () => new MapShim().forEach(5 as any)],
    ];
    for (const [native, shim] of cases) {
      expect(native).toThrow(TypeError);
      expect(shim).toThrow(TypeError);
    }
    expect(new MapShim(null).size).toBe(0);
    expect(new SetShim(undefined).size).toBe(0);
  });

  it("hide their store: no own enumerable keys, JSON like Node's", () => {
    const map = new MapShim([[1, { deep: true }]]);
    const set = new SetShim([1, 2]);
    expect(Object.keys(map)).toEqual([]);
    expect(Object.keys(set)).toEqual([]);
    expect(JSON.stringify(map)).toBe(JSON.stringify(new Map([[1, { deep: true }]])));
    expect(JSON.stringify({ set })).toBe(JSON.stringify({ set: new Set([1, 2]) }));
    const seen: string[] = [];
    for (const key in map) seen.push(key);
    expect(seen).toEqual([]);
  });
});
