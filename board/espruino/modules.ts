/**
 * Loads one of the interpreter's built-in modules (`Wifi`, `Storage`, `http`...).
 *
 * Through `globalThis.require`, not a bare `require(...)`: esbuild turns a bare call in an ES
 * module into a `__require` helper built on `Proxy`, which Espruino does not have. Throws, as
 * `require` does, when the firmware lacks the module.
 */
export function loadModule<T>(name: string): T {
  return (globalThis as unknown as { require(name: string): T }).require(name);
}
