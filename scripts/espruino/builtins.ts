/**
 * What the Espruino interpreter lacks, as measured (`builtins-2v29.json`, copied from the
 * interpreter probe), and a Node `vm` context that lacks the same things.
 *
 * One list serves the compatibility gate (what a bundle may not reference), the shim tests and
 * the interpreter check (what is deleted from the context before a bundle runs in it), so the
 * three can never disagree about what "missing on Espruino" means.
 */
import { readFileSync } from "node:fs";
import vm from "node:vm";

interface BuiltinsProbe {
  interpreter: string;
  globals: Record<string, string>;
  methods: Record<string, string>;
}

const probe: BuiltinsProbe = JSON.parse(
  readFileSync(new URL("./builtins-2v29.json", import.meta.url), "utf8"),
);

/** Probed as absent: `undefined`, or `ERR` where reading the property itself threw. */
const absent = (typeofResult: string) => typeofResult === "undefined" || typeofResult === "ERR";

export const interpreterProbed = probe.interpreter;

/** Global names Espruino does not define, e.g. `Map`, `Symbol`, `AbortController`. */
export const missingGlobals: readonly string[] = Object.keys(probe.globals).filter((name) =>
  absent(probe.globals[name]),
);

/** Dotted member paths Espruino does not define, e.g. `Array.from`, `Array.prototype.flat`. */
export const missingMethods: readonly string[] = Object.keys(probe.methods).filter((path) =>
  absent(probe.methods[path]),
);

/**
 * A fresh `vm` context holding only what Espruino has: every missing global and method is
 * deleted inside it. Code run there fails as it would on the board when it reaches for one.
 */
export function createEspruinoLikeContext(extra: Record<string, unknown> = {}): vm.Context {
  const context = vm.createContext({ ...extra });
  vm.runInContext(
    `(function (globals, methods) {
      for (var i = 0; i < globals.length; i++) delete globalThis[globals[i]];
      for (var j = 0; j < methods.length; j++) {
        var parts = methods[j].split(".");
        var owner = globalThis[parts[0]];
        for (var k = 1; k < parts.length - 1 && owner; k++) owner = owner[parts[k]];
        if (owner) delete owner[parts[parts.length - 1]];
      }
    })(${JSON.stringify(missingGlobals)}, ${JSON.stringify(missingMethods)});`,
    context,
  );
  return context;
}

/**
 * Which of the missing globals and methods a piece of code (the shim prelude) defines.
 *
 * Only what the code adds counts: `Number.EPSILON`, `MAX_SAFE_INTEGER` and `MIN_SAFE_INTEGER` are
 * non-configurable in V8, so the context cannot delete them and they read as defined before any
 * shim runs (nor can a shim assign them there, so they are never reported as provided).
 */
export function providedBy(code: string): string[] {
  const context = createEspruinoLikeContext();
  const before = new Set(definedIn(context));
  vm.runInContext(code, context);
  return definedIn(context).filter((name) => !before.has(name));
}

function definedIn(context: vm.Context): string[] {
  const defined = vm.runInContext(
    `(function (names) {
      return names.filter(function (name) {
        var parts = name.split(".");
        var value = globalThis;
        for (var i = 0; i < parts.length; i++) {
          if (value === undefined || value === null) return false;
          value = value[parts[i]];
        }
        return value !== undefined;
      });
    })(${JSON.stringify([...missingGlobals, ...missingMethods])})`,
    context,
  ) as string[];
  return Array.from(defined);
}
