/**
 * Installs, onto a global object, each shim whose built-in that global lacks.
 *
 * Who needs it: the shim prelude (prelude.ts) calls it on Espruino's `globalThis` before any other
 * code of the bundle runs; tests call it on a Node `vm` context with Espruino's gaps.
 *
 * Guarantees: a built-in that exists (typeof "function") is never replaced, so on Node nothing is
 * installed; everything is defined non-enumerable, writable and configurable, as built-ins are
 * (`for…in` over an array on Node does not list `flat`); the answer lists the dotted names
 * installed, in a fixed order, e.g. `["Map", "Array.from", "Array.prototype.flat"]`.
 * `AbortSignal` is installed with `AbortController` (the shim controller makes shim signals).
 *
 * One exception to "only what is missing": where iteration goes through the `"@@iterator"` key
 * (the target has no native `Symbol.iterator`), a native `Object.fromEntries` that cannot read such
 * an iterable (Espruino's reads arrays only) is replaced, because xstate passes it Maps (see
 * object.ts). It is then listed as "Object.fromEntries".
 */
import { AbortControllerShim, AbortSignalShim } from "./abort";
import { arrayFlat, arrayFlatMap, arrayFrom } from "./array";
import { MapShim, SetShim } from "./collections";
import { keepingValue, losesValueWithoutOne } from "./defineProperty";
import { defineHidden } from "./hidden";
import { numberIsFinite, numberIsNaN } from "./number";
import { objectFromEntries, objectIs, readsStringKeyedIterables } from "./object";
import { SymbolShim } from "./symbol";
import { WeakMapShim, WeakSetShim } from "./weakMap";

/** Defines `owner[name] = value` unless it is already a function; records `path` if it did. */
function provide(
  installed: string[],
  owner: any,
  path: string,
  name: string,
  value: unknown,
): boolean {
  if (owner == null || typeof owner[name] === "function") return false;
  defineHidden(owner, name, value);
  installed.push(path);
  return true;
}

/**
 * Defines a method on the built-in class `target[className]` (or on its prototype) unless it has
 * one. On Espruino, a built-in class read off the global object before any code named it (as
 * `target.Number` here, while the program never wrote `Number`) is a temporary copy, and what is
 * defined on it is lost; so when the method cannot be read back, the copy is stored on the global
 * object, which then holds it for good (as it does once code names the class).
 */
function provideMember(
  installed: string[],
  target: any,
  className: string,
  onPrototype: boolean,
  name: string,
  value: unknown,
): void {
  const owningClass = target[className];
  if (owningClass == null) return;
  const owner = onPrototype ? owningClass.prototype : owningClass;
  const path = className + (onPrototype ? ".prototype." : ".") + name;
  if (!provide(installed, owner, path, name, value)) return;
  const readBack = onPrototype ? target[className].prototype : target[className];
  if (readBack[name] !== value) target[className] = owningClass;
}

/** Replaces a faulty built-in method, keeping it where `provideMember` keeps what it adds. */
function replaceMember(
  installed: string[],
  target: any,
  className: string,
  name: string,
  value: unknown,
): void {
  const owningClass = target[className];
  defineHidden(owningClass, name, value);
  if (target[className][name] !== value) target[className] = owningClass;
  installed.push(`${className}.${name}`);
}

/** Whether the target iterates through `"@@iterator"` (its `Symbol.iterator` is no symbol). */
function iteratesByStringKey(target: any): boolean {
  const symbol = target.Symbol;
  return symbol == null || typeof symbol.iterator !== "symbol";
}

export function installShims(target: any): string[] {
  const installed: string[] = [];
  // First: every shim below, and Babel's class helpers, define properties.
  const object = target.Object;
  if (object != null && losesValueWithoutOne(object.defineProperty)) {
    replaceMember(
      installed,
      target,
      "Object",
      "defineProperty",
      keepingValue(object.defineProperty),
    );
  }
  provide(installed, target, "Symbol", "Symbol", SymbolShim);
  provide(installed, target, "Map", "Map", MapShim);
  provide(installed, target, "Set", "Set", SetShim);
  provide(installed, target, "WeakMap", "WeakMap", WeakMapShim);
  provide(installed, target, "WeakSet", "WeakSet", WeakSetShim);
  if (provide(installed, target, "AbortController", "AbortController", AbortControllerShim)) {
    provide(installed, target, "AbortSignal", "AbortSignal", AbortSignalShim);
  }
  provideMember(installed, target, "Array", false, "from", arrayFrom);
  provideMember(installed, target, "Array", true, "flat", arrayFlat);
  provideMember(installed, target, "Array", true, "flatMap", arrayFlatMap);
  provideMember(installed, target, "Number", false, "isNaN", numberIsNaN);
  provideMember(installed, target, "Number", false, "isFinite", numberIsFinite);
  provideMember(installed, target, "Object", false, "is", objectIs);
  if (
    object != null &&
    iteratesByStringKey(target) &&
    !readsStringKeyedIterables(object.fromEntries)
  ) {
    replaceMember(installed, target, "Object", "fromEntries", objectFromEntries);
  }
  return installed;
}
