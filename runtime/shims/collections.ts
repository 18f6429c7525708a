/**
 * `Map` and `Set` for Espruino, which has neither: both built on one ordered store.
 *
 * Who needs it: xstate 5 keeps actors, observers and state nodes in Maps and Sets and walks them
 * with for…of and spread, which Babel lowers to helpers that look up
 * `o[Symbol.iterator] || o["@@iterator"]` and call `Array.from`.
 *
 * Guarantees, as Node's built-ins (checked against them in test/runtime/shims/collections.test.ts):
 * - SameValueZero keys: NaN finds NaN, -0 and +0 are one key (kept as +0);
 * - insertion order; setting an existing key keeps its place, re-adding a deleted key puts it last;
 * - live iteration: an iterator (and `forEach`) skips entries deleted before it reaches them, visits
 *   entries added before it finishes, goes on with entries added after a `clear()`, and once it has
 *   answered `done` it stays done;
 * - iterators are iterable (`it["@@iterator"]() === it`); `map["@@iterator"]` is `map.entries`, and
 *   `set["@@iterator"]` is `set.values`, which is also `set.keys`;
 * - `new Map(iterable)` / `new Set(iterable)` accept arrays, strings and anything with an
 *   `"@@iterator"` method, and throw TypeError for anything else, as Node does;
 * - the store is a hidden property: `Object.keys(map)` is `[]`, `JSON.stringify(map)` is `"{}"`.
 *
 * Memory: one flat array per collection, `[k0, v0, k1, v1, …]` for a Map (2 slots an entry) and
 * `[k0, k1, …]` for a Set (1 slot): no per-entry objects. Deleting overwrites the key with a HOLE
 * marker; once holes outnumber live entries the entries are copied into a new table, and the old
 * table records which table replaced it (as V8 does), so an iterator still positioned in the old one
 * moves to the same place in the new one by subtracting the holes before its index. The collection
 * refers only to its current table: an old table lives only as long as an iterator that points
 * into it. Lookup is a linear scan (the native `indexOf`, a loop for NaN): fine for the small
 * collections xstate keeps, slow for thousands of keys.
 */
import { defineAccessor, defineHidden, defineMethods, hiddenName } from "./hidden";
import { addAll, defineIteratorMethod } from "./iterable";

export interface ShimIteratorResult<T> {
  done: boolean;
  value: T | undefined;
}

export interface ShimIterator<T> {
  next(): ShimIteratorResult<T>;
  "@@iterator"(): ShimIterator<T>;
}

export interface ShimMap<K, V> {
  readonly size: number;
  get(key: K): V | undefined;
  set(key: K, value: V): this;
  has(key: K): boolean;
  delete(key: K): boolean;
  clear(): void;
  forEach(callback: (value: V, key: K, map: ShimMap<K, V>) => void, thisArg?: unknown): void;
  keys(): ShimIterator<K>;
  values(): ShimIterator<V>;
  entries(): ShimIterator<[K, V]>;
  "@@iterator"(): ShimIterator<[K, V]>;
}

export interface ShimSet<T> {
  readonly size: number;
  add(value: T): this;
  has(value: T): boolean;
  delete(value: T): boolean;
  clear(): void;
  forEach(callback: (value: T, key: T, set: ShimSet<T>) => void, thisArg?: unknown): void;
  keys(): ShimIterator<T>;
  values(): ShimIterator<T>;
  entries(): ShimIterator<[T, T]>;
  "@@iterator"(): ShimIterator<T>;
}

export interface ShimMapConstructor {
  new <K = any, V = any>(entries?: unknown): ShimMap<K, V>;
  readonly prototype: ShimMap<any, any>;
}

export interface ShimSetConstructor {
  new <T = any>(values?: unknown): ShimSet<T>;
  readonly prototype: ShimSet<any>;
}

/** One generation of a collection's entries. */
interface Table {
  /** Entries, `step` slots each, deleted ones keyed HOLE; null once the table was cleared. */
  data: unknown[] | null;
  /** Slots an entry: 2 for a Map (key, value), 1 for a Set (the value is the key). */
  step: number;
  /** Entries not deleted. */
  live: number;
  /** The table that replaced this one (compaction or clear); null while it is current. */
  newer: Table | null;
}

/** An iterator (or a `forEach` in progress): a position in a table. */
interface Cursor {
  /** The table `index` refers to; null once the iteration is done. */
  _t: Table | null;
  /** The next entry to look at. */
  _i: number;
  /** KEYS, VALUES or ENTRIES. */
  _k: number;
}

const KEYS = 0;
const VALUES = 1;
const ENTRIES = 2;

/** The key of a deleted entry: a private object no caller can pass in. */
const HOLE = {};

/** Where a collection keeps its current table. */
const TABLE = hiddenName("t");

function newTable(step: number): Table {
  return { data: [], step: step, live: 0, newer: null };
}

/** The slot of `key` in the table's data, or -1, by SameValueZero. */
function slotOf(table: Table, key: unknown): number {
  const data = table.data as unknown[];
  const step = table.step;
  // biome-ignore lint/suspicious/noSelfCompare: NaN is the one value not equal to itself.
  if (key !== key) {
    for (let slot = 0; slot < data.length; slot += step) {
      const candidate = data[slot];
      // biome-ignore lint/suspicious/noSelfCompare: NaN is the one value not equal to itself.
      if (candidate !== candidate) return slot;
    }
    return -1;
  }
  // indexOf is strict equality, which is SameValueZero for everything but NaN; a hit in a value
  // slot of a Map (an odd slot) is not a key, so search on from there.
  let slot = data.indexOf(key);
  while (slot !== -1 && slot % step !== 0) slot = data.indexOf(key, slot + 1);
  return slot;
}

/** Adds the entry, or for a Map replaces the value of an existing key. */
function put(table: Table, key: unknown, value: unknown): void {
  const data = table.data as unknown[];
  const slot = slotOf(table, key);
  if (slot !== -1) {
    if (table.step === 2) data[slot + 1] = value;
    return;
  }
  data.push(key === 0 ? 0 : key); // -0 is stored as +0, as Node does
  if (table.step === 2) data.push(value);
  table.live++;
}

/** Makes a new current table: the live entries of `table`, or none (`cleared`). */
function replaceTable(owner: any, table: Table, cleared: boolean): void {
  const fresh = newTable(table.step);
  if (!cleared) {
    const data = table.data as unknown[];
    const step = table.step;
    const kept = fresh.data as unknown[];
    for (let slot = 0; slot < data.length; slot += step) {
      if (data[slot] === HOLE) continue;
      kept.push(data[slot]);
      if (step === 2) kept.push(data[slot + 1]);
    }
    fresh.live = table.live;
  } else {
    // Iterators left in a cleared table restart at the new table's first entry.
    table.data = null;
  }
  table.newer = fresh;
  owner[TABLE] = fresh;
}

function remove(owner: any, key: unknown): boolean {
  const table: Table = owner[TABLE];
  const slot = slotOf(table, key);
  if (slot === -1) return false;
  const data = table.data as unknown[];
  data[slot] = HOLE;
  if (table.step === 2) data[slot + 1] = undefined; // let the value be collected
  table.live--;
  const holes = data.length / table.step - table.live;
  if (holes > table.live) replaceTable(owner, table, table.live === 0);
  return true;
}

function clear(owner: any): void {
  const table: Table = owner[TABLE];
  if ((table.data as unknown[]).length > 0) replaceTable(owner, table, true);
}

/**
 * Moves the cursor to the next live entry and returns its slot in `cursor._t.data`, or -1 when the
 * iteration is done (then the cursor lets go of its table and stays done).
 */
function advance(cursor: Cursor): number {
  let table = cursor._t;
  if (table === null) return -1;
  let index = cursor._i;
  while (table.newer !== null) {
    const old = table.data;
    if (old === null) {
      index = 0;
    } else {
      let holesBefore = 0;
      for (let i = 0; i < index; i++) if (old[i * table.step] === HOLE) holesBefore++;
      index -= holesBefore;
    }
    table = table.newer;
  }
  const data = table.data as unknown[];
  const step = table.step;
  for (let slot = index * step; slot < data.length; slot += step) {
    if (data[slot] !== HOLE) {
      cursor._t = table;
      cursor._i = slot / step + 1;
      return slot;
    }
  }
  cursor._t = null;
  return -1;
}

const CollectionIterator = function CollectionIterator(this: Cursor, table: Table, kind: number) {
  this._t = table;
  this._i = 0;
  this._k = kind;
} as unknown as new (
  table: Table,
  kind: number,
) => Cursor & ShimIterator<unknown>;

defineMethods(CollectionIterator.prototype, {
  next: function next(this: Cursor): ShimIteratorResult<unknown> {
    const slot = advance(this);
    if (slot === -1) return { value: undefined, done: true };
    const table = this._t as Table;
    const data = table.data as unknown[];
    const key = data[slot];
    const value = data[slot + table.step - 1];
    if (this._k === KEYS) return { value: key, done: false };
    if (this._k === VALUES) return { value: value, done: false };
    return { value: [key, value], done: false };
  },
});
defineIteratorMethod(CollectionIterator.prototype, function iterator(this: unknown) {
  return this;
});

function forEachEntry(owner: any, callback: unknown, thisArg: unknown): void {
  if (typeof callback !== "function") throw new TypeError(`${String(callback)} is not a function`);
  const cursor = new CollectionIterator(owner[TABLE], ENTRIES);
  let slot = advance(cursor);
  while (slot !== -1) {
    const table = cursor._t as Table;
    const data = table.data as unknown[];
    callback.call(thisArg, data[slot + table.step - 1], data[slot], owner);
    slot = advance(cursor);
  }
}

function sizeOf(this: any): number {
  return (this[TABLE] as Table).live;
}

function iterate(owner: any, kind: number): ShimIterator<unknown> {
  return new CollectionIterator(owner[TABLE], kind);
}

export const MapShim = function (this: any, entries?: unknown) {
  if (!(this instanceof MapShim)) throw new TypeError("Constructor Map requires 'new'");
  defineHidden(this, TABLE, newTable(2));
  if (entries != null) addAll(this, entries, this.set, true);
} as unknown as ShimMapConstructor;

function mapEntries(this: any) {
  return iterate(this, ENTRIES);
}

defineMethods(MapShim.prototype, {
  get: function get(this: any, key: unknown) {
    const table: Table = this[TABLE];
    const slot = slotOf(table, key);
    return slot === -1 ? undefined : (table.data as unknown[])[slot + 1];
  },
  set: function set(this: any, key: unknown, value: unknown) {
    put(this[TABLE], key, value);
    return this;
  },
  has: function has(this: any, key: unknown) {
    return slotOf(this[TABLE], key) !== -1;
  },
  delete: function (this: any, key: unknown) {
    return remove(this, key);
  },
  clear: function (this: any) {
    clear(this);
  },
  forEach: function forEach(this: any, callback: unknown, thisArg?: unknown) {
    forEachEntry(this, callback, thisArg);
  },
  keys: function keys(this: any) {
    return iterate(this, KEYS);
  },
  values: function values(this: any) {
    return iterate(this, VALUES);
  },
  entries: mapEntries,
});
defineAccessor(MapShim.prototype, "size", sizeOf);
defineIteratorMethod(MapShim.prototype, mapEntries);

export const SetShim = function (this: any, values?: unknown) {
  if (!(this instanceof SetShim)) throw new TypeError("Constructor Set requires 'new'");
  defineHidden(this, TABLE, newTable(1));
  if (values != null) addAll(this, values, this.add, false);
} as unknown as ShimSetConstructor;

function setValues(this: any) {
  return iterate(this, VALUES);
}

defineMethods(SetShim.prototype, {
  add: function add(this: any, value: unknown) {
    put(this[TABLE], value, undefined);
    return this;
  },
  has: function has(this: any, value: unknown) {
    return slotOf(this[TABLE], value) !== -1;
  },
  delete: function (this: any, value: unknown) {
    return remove(this, value);
  },
  clear: function (this: any) {
    clear(this);
  },
  forEach: function forEach(this: any, callback: unknown, thisArg?: unknown) {
    forEachEntry(this, callback, thisArg);
  },
  keys: setValues,
  values: setValues,
  entries: function entries(this: any) {
    return iterate(this, ENTRIES);
  },
});
defineAccessor(SetShim.prototype, "size", sizeOf);
defineIteratorMethod(SetShim.prototype, setValues);
