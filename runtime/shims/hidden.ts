/**
 * Hidden properties for the shims' internal state, and non-enumerable methods and getters.
 *
 * Guarantees: a property made by `defineHidden` under a name from `hiddenName` is left out of
 * `Object.keys`, `for…in` and `JSON.stringify` on Node and on Espruino alike. The two engines need
 * different tricks, so hidden names get both:
 * - V8 honours `enumerable: false`;
 * - Espruino ignores `enumerable` in `Object.defineProperty` (everything it stores is enumerable)
 *   but never lists a key whose first byte is 0xFF, the prefix of its own internal keys.
 * The 0xFF character is made at run time with `String.fromCharCode`: a `"\xFF"` literal could be
 * re-escaped as `"\u00FF"` by a bundler or minifier, which Espruino stores UTF-8 encoded (0xC3 0xBF),
 * and that key would no longer be hidden.
 *
 * Who needs it: the Map/Set store, the WeakMap slots written onto key objects (xstate keys its
 * WeakMaps by actor instances, which must not grow visible keys), the AbortSignal state, and every
 * method the shims add to a built-in prototype (`Array.prototype.flat` must not show up in a
 * `for…in` over an array on Node). Limitation: on Espruino a method added to `Array.prototype`
 * still shows up in `for…in` over arrays, because Espruino walks the prototype in `for…in` and has
 * no way to hide a property whose name does not start with 0xFF.
 */

/** The first character of a key Espruino never enumerates: the byte 0xFF. */
export const HIDDEN_PREFIX: string = String.fromCharCode(255);

/** A property name hidden from enumeration on Espruino (pair it with `defineHidden` for V8). */
export function hiddenName(name: string): string {
  return HIDDEN_PREFIX + name;
}

/** Defines a writable, configurable, non-enumerable own data property. */
export function defineHidden(target: object, name: PropertyKey, value: unknown): void {
  Object.defineProperty(target, name, {
    value: value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** Defines each of `methods` on `target` as a non-enumerable property, as built-ins are. */
export function defineMethods(target: object, methods: Record<string, unknown>): void {
  const names = Object.keys(methods);
  for (let i = 0; i < names.length; i++) defineHidden(target, names[i], methods[names[i]]);
}

/** Defines a non-enumerable accessor (for `size`, `aborted`, …) on a prototype. */
export function defineAccessor(
  target: object,
  name: string,
  get: (this: any) => unknown,
  set?: (this: any, value: any) => void,
): void {
  Object.defineProperty(target, name, {
    get: get,
    set: set,
    configurable: true,
    enumerable: false,
  });
}
