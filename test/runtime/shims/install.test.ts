/**
 * The shim prelude where it matters: built with esbuild and run in a Node `vm` context from which
 * every built-in Espruino lacks has been deleted. It must define them all, leave Node alone, give
 * the same answers as Node's built-ins to a script run in both, survive Babel's lowering without
 * calling itself, and be enough for unmodified xstate (same final snapshot as a native run).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { transformAsync } from "@babel/core";
import * as esbuild from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { installShims } from "../../../runtime/shims/install";
import { createEspruinoLikeContext, providedBy } from "../../../scripts/espruino/builtins";
import { runScenario } from "../../fixtures/shims-xstate-entry";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const preludePath = fileURLToPath(new URL("../../../runtime/shims/prelude.ts", import.meta.url));
const xstateEntryPath = fileURLToPath(
  new URL("../../fixtures/shims-xstate-entry.ts", import.meta.url),
);

/** The Babel transforms of the Espruino build (shared/espruino/LANGUAGE.md), non-loose. */
const ESPRUINO_BABEL_PLUGINS = [
  "destructuring",
  "parameters",
  "spread",
  "computed-properties",
  "block-scoping",
  "classes",
  "exponentiation-operator",
  "optional-chaining",
  "for-of",
].map((name) => `@babel/plugin-transform-${name}`);

/** Babel helpers that consume iterables: the shims must never need them. */
const ITERATION_HELPERS = [
  "_createForOfIteratorHelper",
  "_toConsumableArray",
  "_iterableToArray",
  "_slicedToArray",
  "_iterableToArrayLimit",
  "_unsupportedIterableToArray",
  "_arrayLikeToArray",
];

/** Everything the prelude must provide on Espruino. */
const REQUIRED = [
  "Map",
  "Set",
  "WeakMap",
  "Symbol",
  "AbortController",
  "Array.from",
  "Array.prototype.flat",
  "Array.prototype.flatMap",
  "Number.isNaN",
  "Number.isFinite",
];

async function bundle(entry: string, plugins: esbuild.Plugin[] = []): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    target: "es2020",
    mainFields: ["module", "main"],
    logLevel: "silent",
    plugins,
  });
  return result.outputFiles[0].text;
}

async function lower(code: string): Promise<string> {
  const result = await transformAsync(code, {
    babelrc: false,
    configFile: false,
    cwd: repoRoot,
    sourceType: "script",
    plugins: ESPRUINO_BABEL_PLUGINS,
  });
  if (!result?.code) throw new Error("Babel produced no code");
  return result.code;
}

/** Runs `script` in a context and returns what it returns (a JSON string). */
function evaluate(context: vm.Context, script: string): unknown {
  return JSON.parse(vm.runInContext(script, context) as string);
}

/**
 * ES5 only (no for…of, spread or destructuring), so it runs unchanged on the shims and on
 * Node's built-ins; it returns JSON of everything it saw.
 */
const CHECK_SCRIPT = `(function () {
  var out = {};
  function drain(it) { var r = [], s; while (!(s = it.next()).done) r.push(s.value); return r; }
  var m = new Map([[1, "a"], [NaN, "n"], ["k", {}]]);
  m.set(-0, "zero");
  var negativeZero = 0 * -1.5; // Espruino reads the literal -0 as the integer 0
  out.negativeZeroIsZero = String(1 / new Map([[negativeZero, 1]]).keys().next().value);
  var it = m.keys();
  out.first = it.next().value;
  m["delete"](NaN);
  m.set("late", 1);
  m.set(1, "again");
  out.rest = drain(it);
  out.entries = Array.from(m.entries());
  out.size = m.size;
  out.ownKeys = Object.keys(m);
  out.json = JSON.stringify(m);
  var whole = m[Symbol.iterator]();
  out.iteratorIsIterable = whole[Symbol.iterator]() === whole;
  out.nanKey = new Map([[NaN, 1]]).get(NaN);
  var s = new Set("hello");
  out.set = Array.from(s);
  out.setEntries = Array.from(s.entries());
  var seen = [];
  s.forEach(function (v) { seen.push(v); if (v === "h") s["delete"]("l"); if (v === "o") s.add("!"); });
  out.seenWhileMutating = seen;
  var cleared = new Set([1, 2, 3]);
  var during = cleared.values();
  during.next();
  cleared.clear();
  cleared.add(4);
  out.afterClear = drain(during);
  out.fromEntries = Object.fromEntries(new Map([["a", 1], ["b", 2], [3, "c"]]));
  var wm = new WeakMap();
  var key = { id: 1 };
  wm.set(key, "v");
  out.weak = [wm.get(key), wm.has({}), Object.keys(key), JSON.stringify(key), wm["delete"](key), wm.has(key)];
  try { wm.set(1, 2); out.weakError = false; } catch (e) { out.weakError = e instanceof TypeError; }
  out.flat = [1, [2, [3, [4]]], , 5].flat(2);
  out.flatDefault = [[1, [2]], [3]].flat();
  out.flatMap = [1, 2, 3].flatMap(function (x, i) { return i === 1 ? x : [x, [x * 10]]; });
  out.fromString = Array.from("a\\uD83D\\uDE00b");
  out.fromLike = Array.from({ length: 3, 0: "x" }, function (v, i) { return [v, i]; });
  out.numbers = [Number.isNaN(NaN), Number.isNaN("x"), Number.isFinite(1), Number.isFinite("1"),
    Number.isFinite(Infinity), Object.is(negativeZero, 0), Object.is(NaN, NaN)];
  out.symbolIsFunction = typeof Symbol === "function";
  var c = new AbortController();
  var calls = 0;
  c.signal.addEventListener("abort", function () { calls++; });
  var before = c.signal.aborted;
  c.abort();
  c.abort("again");
  out.abort = [before, c.signal.aborted, c.signal.reason.name, calls];
  var forIn = [];
  for (var k in [7, 8]) forIn.push(k);
  out.arrayForIn = forIn;
  return JSON.stringify(out);
})()`;

let prelude: string;

beforeAll(async () => {
  prelude = await bundle(preludePath);
});

describe("shim prelude in an Espruino-like context", () => {
  it("defines every built-in xstate and Babel's helpers need", () => {
    const provided = providedBy(prelude);
    for (const name of REQUIRED) expect(provided).toContain(name);
  });

  it("installs exactly what is missing, once, and nothing on Node", () => {
    const context = createEspruinoLikeContext();
    const target = vm.runInContext("globalThis", context);
    expect(installShims(target)).toEqual([
      "Symbol",
      "Map",
      "Set",
      "WeakMap",
      "WeakSet",
      "AbortController",
      "AbortSignal",
      "Array.from",
      "Array.prototype.flat",
      "Array.prototype.flatMap",
      "Number.isNaN",
      "Number.isFinite",
      "Object.is",
      "Object.fromEntries",
    ]);
    expect(installShims(target)).toEqual([]);
    expect(installShims(globalThis)).toEqual([]);
  });

  it("adds nothing enumerable to arrays or to the global object", () => {
    const context = createEspruinoLikeContext();
    vm.runInContext(prelude, context);
    expect(
      evaluate(
        context,
        `(function () {
          var forIn = [];
          for (var k in [1, 2]) forIn.push(k);
          return JSON.stringify([forIn, Object.keys(Array.prototype), Object.keys(Array),
            Object.keys(Number), Object.keys(Object), Object.keys(globalThis)]);
        })()`,
      ),
    ).toEqual([["0", "1"], [], [], [], [], []]);
  });

  it("answers a check script as Node's own built-ins do", () => {
    const native = vm.createContext({ AbortController });
    const shimmed = createEspruinoLikeContext();
    vm.runInContext(prelude, shimmed);
    const expected = evaluate(native, CHECK_SCRIPT);
    expect(evaluate(shimmed, CHECK_SCRIPT)).toEqual(expected);
    // And the check script does reach for what Espruino lacks: without the prelude it fails.
    expect(() => vm.runInContext(CHECK_SCRIPT, createEspruinoLikeContext())).toThrow();
  });

  it("lowered by Babel as in the Espruino build, uses no iteration helper and still works", async () => {
    const lowered = await lower(prelude);
    for (const helper of ITERATION_HELPERS) expect(lowered).not.toContain(helper);
    const provided = providedBy(lowered);
    for (const name of REQUIRED) expect(provided).toContain(name);
    const native = vm.createContext({ AbortController });
    const shimmed = createEspruinoLikeContext();
    vm.runInContext(lowered, shimmed);
    expect(evaluate(shimmed, CHECK_SCRIPT)).toEqual(evaluate(native, CHECK_SCRIPT));
  });
});

/** An Espruino interpreter (the Linux target of the firmware), where the environment names one. */
const espruinoBin = process.env.ESPRUINO_BIN;

describe.runIf(espruinoBin)("shim prelude on the real Espruino interpreter (ESPRUINO_BIN)", () => {
  it("answers the check script as Node does, but for `for…in` over arrays", async () => {
    const directory = mkdtempSync(join(tmpdir(), "shims-espruino-"));
    try {
      const file = join(directory, "check.js");
      const script = `${await lower(prelude)}\nconsole.log("RESULT " + ${CHECK_SCRIPT});\nquit();\n`;
      writeFileSync(file, script);
      const run = spawnSync(espruinoBin as string, [file], { input: "", timeout: 20_000 });
      const line = run.stdout
        .toString()
        .split("\n")
        .find((text) => text.startsWith("RESULT "));
      expect(line, run.stdout.toString()).toBeDefined();
      const expected = evaluate(vm.createContext({ AbortController }), CHECK_SCRIPT) as any;
      // Espruino cannot hide a method added to Array.prototype from for…in (see hidden.ts).
      expected.arrayForIn = expected.arrayForIn.concat(["flat", "flatMap"]);
      expect(JSON.parse((line as string).slice("RESULT ".length))).toEqual(expected);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("unmodified xstate on the shims", () => {
  /** Runs the fixture bundle in an Espruino-like context and waits for its report. */
  function runInEspruinoLikeContext(code: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const context = createEspruinoLikeContext({
        setTimeout,
        clearTimeout,
        reportShimsScenario: (json: string) => resolve(JSON.parse(json)),
      });
      try {
        vm.runInContext(code, context);
      } catch (error) {
        reject(error);
      }
    });
  }

  it("reaches the same final state, context, output and trace as on Node", async () => {
    const native = JSON.parse(JSON.stringify(await runScenario()));
    expect(native.status).toBe("done");
    expect(native.aborts).toEqual(["started aborted=false", "abort AbortError aborted=true"]);

    // Babel lowers for…of, spread and destructuring into helpers that look for "@@iterator"
    // and call Array.from: the path xstate's iteration takes on the device.
    const code = await lower(await bundle(xstateEntryPath));
    expect(await runInEspruinoLikeContext(code)).toEqual(native);
  }, 60_000);

  it("fails in the same context without the shim prelude (the context is really hostile)", async () => {
    const withoutShims: esbuild.Plugin = {
      name: "without-shims",
      setup(build) {
        build.onLoad({ filter: /runtime[\\/]shims[\\/]prelude\.ts$/ }, () => ({
          contents: "",
          loader: "ts",
        }));
      },
    };
    const code = await lower(await bundle(xstateEntryPath, [withoutShims]));
    const outcome = await runInEspruinoLikeContext(code).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: String(error) }),
    );
    // xstate's module code reaches for WeakMap first.
    expect(outcome).toEqual({ error: expect.stringMatching(/ReferenceError: \w+ is not defined/) });
  }, 60_000);
});
