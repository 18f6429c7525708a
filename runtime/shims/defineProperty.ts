/**
 * An `Object.defineProperty` that leaves a property's value alone when the descriptor names none,
 * as the language requires.
 *
 * Who needs it: Espruino 2v29 sets the value to `undefined` instead, and Babel's `_createClass`
 * ends with `Object.defineProperty(C, "prototype", { writable: false })`: on the interpreter that
 * wipes the prototype of every lowered class (xstate's `StateMachine`, `Actor`...), so nothing
 * runs. install.ts probes the native function and wraps it only where it has that fault.
 *
 * Guarantees: a descriptor with `value`, `get` or `set` reaches the native function untouched; one
 * with none of them, on an existing own property, first takes that property's current value (or
 * its accessors), so only the attributes change.
 */

type Define = (target: any, key: PropertyKey, descriptor: PropertyDescriptor) => any;

/** Whether `define` loses a property's value when redefining it without one. */
export function losesValueWithoutOne(define: Define): boolean {
  const probe: Record<string, number> = { a: 1 };
  define(probe, "a", { enumerable: true, configurable: true });
  return probe.a !== 1;
}

/** Wraps a faulty native `define` so generic descriptors keep what the property holds. */
export function keepingValue(define: Define): Define {
  return function defineProperty(target, key, descriptor) {
    if (
      descriptor !== null &&
      typeof descriptor === "object" &&
      !("value" in descriptor) &&
      !("get" in descriptor) &&
      !("set" in descriptor)
    ) {
      const current = Object.getOwnPropertyDescriptor(target, key);
      if (current) {
        const kept: PropertyDescriptor = Object.assign({}, descriptor);
        if (current.get || current.set) {
          kept.get = current.get;
          kept.set = current.set;
        } else {
          kept.value = current.value;
        }
        return define(target, key, kept);
      }
    }
    return define(target, key, descriptor);
  };
}
