/**
 * `WeakMap` and `WeakSet` for Espruino, which has neither, without a leak.
 *
 * Who needs it: xstate 5 keys WeakMaps by actor instances, created for every invocation; a device
 * runs for months, so a shim that kept its keys in a list would keep every actor ever made.
 *
 * How: each WeakMap (or WeakSet) gets its own property name, and the value is stored on the key
 * object itself under that name, with `Object.defineProperty` (non-enumerable) and a name starting
 * with the byte 0xFF (which Espruino never enumerates, see hidden.ts). The value dies with the key;
 * `delete` removes the property. Nothing refers to a key but the key's owner.
 *
 * Guarantees, as Node's built-ins (checked against them in test/runtime/shims/weakMap.test.ts):
 * `get`, `set`, `has`, `delete` (and `add` for a WeakSet) with their return values; two WeakMaps
 * never see each other's values; a key does not inherit a value stored on its prototype;
 * `set`/`add` throw TypeError for a key that is not an object or function, while
 * `get`/`has`/`delete` answer undefined/false; a stored key gains no enumerable property
 * (`Object.keys`, `for…in` and `JSON.stringify` of the key are unchanged).
 *
 * Not matched: a frozen or non-extensible key (Node accepts it, here `defineProperty` throws; Espruino
 * has no `Object.freeze`), and `Object.getOwnPropertyNames(key)` lists the hidden slot on Node.
 * Names come from a counter in this module: use the installed globals, not a second copy of this
 * module in the same program, or two WeakMaps could share a name.
 */
import { defineHidden, defineMethods, hiddenName } from "./hidden";
import { addAll } from "./iterable";

export interface ShimWeakMap<K extends object, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): this;
  has(key: K): boolean;
  delete(key: K): boolean;
}

export interface ShimWeakSet<T extends object> {
  add(value: T): this;
  has(value: T): boolean;
  delete(value: T): boolean;
}

export interface ShimWeakMapConstructor {
  new <K extends object = object, V = any>(entries?: unknown): ShimWeakMap<K, V>;
  readonly prototype: ShimWeakMap<object, any>;
}

export interface ShimWeakSetConstructor {
  new <T extends object = object>(values?: unknown): ShimWeakSet<T>;
  readonly prototype: ShimWeakSet<object>;
}

/** Where a WeakMap or WeakSet keeps the name of the property it stores on its keys. */
const SLOT = hiddenName("k");

const hasOwn = Object.prototype.hasOwnProperty;

let created = 0;

function isObject(value: unknown): value is object {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

/** Gives a new WeakMap or WeakSet its own slot name. */
function claimSlot(owner: object): void {
  created++;
  defineHidden(owner, SLOT, hiddenName(`w${created}`));
}

function has(owner: any, key: unknown): boolean {
  return isObject(key) && hasOwn.call(key, owner[SLOT]);
}

function store(owner: any, key: any, value: unknown): void {
  const name: string = owner[SLOT];
  if (hasOwn.call(key, name)) key[name] = value;
  else defineHidden(key, name, value);
}

function unstore(owner: any, key: any): boolean {
  if (!has(owner, key)) return false;
  delete key[owner[SLOT]];
  return true;
}

export const WeakMapShim = function (this: any, entries?: unknown) {
  if (!(this instanceof WeakMapShim)) throw new TypeError("Constructor WeakMap requires 'new'");
  claimSlot(this);
  if (entries != null) addAll(this, entries, this.set, true);
} as unknown as ShimWeakMapConstructor;

defineMethods(WeakMapShim.prototype, {
  get: function get(this: any, key: any) {
    return has(this, key) ? key[this[SLOT]] : undefined;
  },
  set: function set(this: any, key: unknown, value: unknown) {
    if (!isObject(key)) throw new TypeError("Invalid value used as weak map key");
    store(this, key, value);
    return this;
  },
  has: function (this: any, key: unknown) {
    return has(this, key);
  },
  delete: function (this: any, key: unknown) {
    return unstore(this, key);
  },
});

export const WeakSetShim = function (this: any, values?: unknown) {
  if (!(this instanceof WeakSetShim)) throw new TypeError("Constructor WeakSet requires 'new'");
  claimSlot(this);
  if (values != null) addAll(this, values, this.add, false);
} as unknown as ShimWeakSetConstructor;

defineMethods(WeakSetShim.prototype, {
  add: function add(this: any, value: unknown) {
    if (!isObject(value)) throw new TypeError("Invalid value used in weak set");
    store(this, value, true);
    return this;
  },
  has: function (this: any, value: unknown) {
    return has(this, value);
  },
  delete: function (this: any, value: unknown) {
    return unstore(this, value);
  },
});
