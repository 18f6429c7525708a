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
 * Exceptions to "only what is missing", each replacing a native found faulty by a probe, and then
 * listed like the rest: `Object.defineProperty` where it wipes values (defineProperty.ts);
 * `Object.fromEntries` where iteration goes through the `"@@iterator"` key and the native cannot
 * read such an iterable (Espruino's reads arrays only; xstate passes it Maps, see object.ts); and
 * `String.prototype.indexOf`, `includes` and `replace` where they match past the end of the text
 * (stringSearch.ts).
 */
import { AbortControllerShim, AbortSignalShim } from "./abort";
import { arrayFlat, arrayFlatMap, arrayFrom } from "./array";
import { MapShim, SetShim } from "./collections";
import { keepingValue, losesValueWithoutOne } from "./defineProperty";
import { defineHidden } from "./hidden";
import { numberIsFinite, numberIsNaN } from "./number";
import { objectFromEntries, objectIs, readsStringKeyedIterables } from "./object";
import { exactIncludes, exactIndexOf, exactReplace, overrunsEnd } from "./stringSearch";
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
 * Defines a method on the built-in class `target[className]` (or on its prototype). On Espruino,
 * a built-in class read off the global object before any code named it (as `target.Number` here,
 * while the program never wrote `Number`) is a temporary copy, and what is defined on it is lost;
 * so when the method cannot be read back, the copy is stored on the global object, which then
 * holds it for good (as it does once code names the class).
 */
function defineMember(
  installed: string[],
  target: any,
  className: string,
  onPrototype: boolean,
  name: string,
  value: unknown,
): void {
  const owningClass = target[className];
  defineHidden(onPrototype ? owningClass.prototype : owningClass, name, value);
  const readBack = onPrototype ? target[className].prototype : target[className];
  if (readBack[name] !== value) target[className] = owningClass;
  installed.push(className + (onPrototype ? ".prototype." : ".") + name);
}

/** Defines the method unless the class (or its prototype) already has one. */
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
  if (owner == null || typeof owner[name] === "function") return;
  defineMember(installed, target, className, onPrototype, name, value);
}

/** Whether the target iterates through `"@@iterator"` (its `Symbol.iterator` is no symbol). */
function iteratesByStringKey(target: any): boolean {
  const symbol = target.Symbol;
  return symbol == null || typeof symbol.iterator !== "symbol";
}

type Installer = (installed: string[], target: any) => void;

// First: every shim below, and Babel's class helpers, define properties.
export const fixDefineProperty: Installer = (installed, target) => {
  const object = target.Object;
  if (object != null && losesValueWithoutOne(object.defineProperty)) {
    defineMember(
      installed,
      target,
      "Object",
      false,
      "defineProperty",
      keepingValue(object.defineProperty),
    );
  }
};
export const installSymbol: Installer = (installed, target) => {
  provide(installed, target, "Symbol", "Symbol", SymbolShim);
};
export const installMap: Installer = (installed, target) => {
  provide(installed, target, "Map", "Map", MapShim);
};
export const installSet: Installer = (installed, target) => {
  provide(installed, target, "Set", "Set", SetShim);
};
export const installWeakMap: Installer = (installed, target) => {
  provide(installed, target, "WeakMap", "WeakMap", WeakMapShim);
};
export const installWeakSet: Installer = (installed, target) => {
  provide(installed, target, "WeakSet", "WeakSet", WeakSetShim);
};
export const installAbortController: Installer = (installed, target) => {
  if (provide(installed, target, "AbortController", "AbortController", AbortControllerShim)) {
    provide(installed, target, "AbortSignal", "AbortSignal", AbortSignalShim);
  }
};
export const installArrayFrom: Installer = (installed, target) => {
  provideMember(installed, target, "Array", false, "from", arrayFrom);
};
export const installArrayFlat: Installer = (installed, target) => {
  provideMember(installed, target, "Array", true, "flat", arrayFlat);
  provideMember(installed, target, "Array", true, "flatMap", arrayFlatMap);
};
export const installNumberChecks: Installer = (installed, target) => {
  provideMember(installed, target, "Number", false, "isNaN", numberIsNaN);
  provideMember(installed, target, "Number", false, "isFinite", numberIsFinite);
};
export const installObjectIs: Installer = (installed, target) => {
  provideMember(installed, target, "Object", false, "is", objectIs);
};
export const fixFromEntries: Installer = (installed, target) => {
  const object = target.Object;
  if (
    object != null &&
    iteratesByStringKey(target) &&
    !readsStringKeyedIterables(object.fromEntries)
  ) {
    defineMember(installed, target, "Object", false, "fromEntries", objectFromEntries);
  }
};
// Espruino resolves a string's built-in methods natively: `String.prototype.indexOf` reads as
// undefined there while `"".indexOf` is the function (and a prototype property overrides it).
export const fixStringSearch: Installer = (installed, target) => {
  const string = target.String;
  const nativeIndexOf = string?.prototype.indexOf || "".indexOf;
  if (string != null && overrunsEnd(nativeIndexOf)) {
    const indexOf = exactIndexOf(nativeIndexOf);
    const replace = exactReplace(string.prototype.replace || "".replace, indexOf);
    defineMember(installed, target, "String", true, "replace", replace);
    defineMember(installed, target, "String", true, "includes", exactIncludes(indexOf));
    defineMember(installed, target, "String", true, "indexOf", indexOf);
  }
};

/** Every installer, in the order they run. */
const INSTALLERS = {
  fixDefineProperty,
  installSymbol,
  installMap,
  installSet,
  installWeakMap,
  installWeakSet,
  installAbortController,
  installArrayFrom,
  installArrayFlat,
  installNumberChecks,
  installObjectIs,
  fixFromEntries,
  fixStringSearch,
};

export type InstallerName = keyof typeof INSTALLERS;

/**
 * What each installer is for, so that a program's prelude can hold only those it needs: the
 * built-ins it provides (as the gate names them when a program reads them) and, for a fix, the
 * pattern of the code that uses the native it corrects.
 */
export const INSTALLER_USE: Record<InstallerName, { provides: string[]; usedBy?: RegExp }> = {
  fixDefineProperty: { provides: [], usedBy: /\bdefineProperty\b/ },
  installSymbol: { provides: ["Symbol"] },
  installMap: { provides: ["Map"] },
  installSet: { provides: ["Set"] },
  installWeakMap: { provides: ["WeakMap"] },
  installWeakSet: { provides: ["WeakSet"] },
  installAbortController: { provides: ["AbortController", "AbortSignal"] },
  installArrayFrom: { provides: ["Array.from"] },
  installArrayFlat: { provides: ["Array.prototype.flat", "Array.prototype.flatMap"] },
  installNumberChecks: { provides: ["Number.isNaN", "Number.isFinite"] },
  installObjectIs: { provides: ["Object.is"] },
  fixFromEntries: { provides: [], usedBy: /\bfromEntries\b/ },
  fixStringSearch: { provides: [], usedBy: /\.(indexOf|includes|replace)\b/ },
};

/** The installers, in order, a program whose code is `code` and reads `missing` needs. */
export function installersFor(code: string, missing: readonly string[]): InstallerName[] {
  return (Object.keys(INSTALLERS) as InstallerName[]).filter((name) => {
    const use = INSTALLER_USE[name];
    return use.provides.some((p) => missing.includes(p)) || (use.usedBy?.test(code) ?? false);
  });
}

/** Installs every shim whose built-in the target lacks; the dotted names installed, in order. */
export function installShims(target: any): string[] {
  const installed: string[] = [];
  const names = Object.keys(INSTALLERS) as InstallerName[];
  for (let i = 0; i < names.length; i++) INSTALLERS[names[i]](installed, target);
  return installed;
}
