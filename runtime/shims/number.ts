/**
 * `Number.isNaN` and `Number.isFinite` for Espruino, which lacks them.
 *
 * Who needs it: xstate calls `Number.isNaN` to tell numeric delays from named ones;
 * `Number.isFinite` is one line and spares the project's own code from asking which a device has.
 *
 * Guarantees, as Node's built-ins (checked in test/runtime/shims/array.test.ts): no coercion, so
 * only values of type number answer true (`Number.isNaN("x")` is false, `Number.isFinite("1")` is
 * false).
 */

export function numberIsNaN(value: unknown): boolean {
  // biome-ignore lint/suspicious/noSelfCompare: NaN is the one value not equal to itself.
  return typeof value === "number" && value !== value;
}

export function numberIsFinite(value: unknown): boolean {
  // x - x is 0 for a finite number, NaN for NaN and the infinities.
  return typeof value === "number" && value - value === 0;
}
