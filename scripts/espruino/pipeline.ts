/**
 * How TypeScript becomes JavaScript the Espruino interpreter runs, in three passes:
 *
 * 1. esbuild bundles the entry into one script and lowers the ES2016+ syntax it can (`?.`,
 *    `??=`, `**`, class fields). XState itself stays on the laptop: `xstate` resolves to the
 *    device's compiled-chart runtime (`runtime/chart/xstate.ts`), and the empty chart registry
 *    (`runtime/chart/charts.ts`) is replaced by the charts the compiler made of every machine of
 *    the device (`scripts/charts/`).
 * 2. Babel lowers the ES2015 syntax Espruino lacks or gets wrong, with the transforms LANGUAGE.md
 *    names, in their spec-compliant (non-loose) form (loose spread turns `[...set]` into
 *    `[].concat(set)`, and loose for-of ignores iterators), plus arrow functions (see below). A second Babel pass removes
 *    labelled loops (`lowerLabels.ts`), on the loops the first pass left.
 * 3. esbuild minifies with every such feature marked unsupported, so minification cannot bring
 *    any of it back (it fails the build instead); a variable it named `of`, a keyword to
 *    Espruino, is renamed (`renameKeywords.ts`).
 *
 * A program (`program: true`) starts with the shim prelude; either way the gate checks the result.
 * Every bundle sees the global `FIRMWARE_VERSION`, the version the firmware says it is: the
 * package's unless a release is built under another (`firmwareVersion`), from the same source.
 * A firmware may carry only some managers (`managers`): `managers/list.ts` then lists those
 * alone, and only their charts are compiled in. A board that takes updates holds the firmware
 * twice, and the Linux build's (or an RP2040's) 256 KB of Storage cannot hold every manager twice.
 */

import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "@babel/core";
import * as esbuild from "esbuild";
import { walkLeaves } from "../../runtime/chart/leaves.js";
import { installersFor } from "../../runtime/shims/install.js";
import { deviceMachines } from "../../simulations/charts/deviceMachines.js";
import { chartsModule } from "../charts/compile.js";
import {
  checkLeafCounts,
  type LazyDefinition,
  lazyDefinitions,
} from "../charts/lazyDefinitions.js";
import { checkBundle } from "./gate.js";
import { inlineConstants } from "./inlineConstants.js";
import { lazyFunctions } from "./lazyFunctions.js";
import { lowerLabels } from "./lowerLabels.js";
import { renameEspruinoKeywords } from "./renameKeywords.js";

/** Syntax Espruino 2v29 does not run (or runs wrongly): none may survive the pipeline. */
const UNSUPPORTED: Record<string, boolean> = {
  "array-spread": false,
  arrow: false,
  "async-await": false,
  "async-generator": false,
  bigint: false,
  "class-field": false,
  "class-private-accessor": false,
  "class-private-brand-check": false,
  "class-private-field": false,
  "class-private-method": false,
  "class-private-static-accessor": false,
  "class-private-static-field": false,
  "class-private-static-method": false,
  "class-static-blocks": false,
  "class-static-field": false,
  "const-and-let": false,
  decorators: false,
  "default-argument": false,
  destructuring: false,
  "exponent-operator": false,
  "for-await": false,
  generator: false,
  "logical-assignment": false,
  "nested-rest-binding": false,
  "new-target": false,
  "object-rest-spread": false,
  "optional-chain": false,
  "regexp-match-indices": false,
  "regexp-named-capture-groups": false,
  "regexp-sticky-and-unicode-flags": false,
  "regexp-unicode-property-escapes": false,
  "rest-argument": false,
  "top-level-await": false,
  // `"\u{1F600}"`: Espruino cannot parse code point escapes; surrogate pairs it can.
  "unicode-escapes": false,
};

/** What esbuild may leave for Babel in pass 1: the ES2015 syntax esbuild cannot lower. */
const LEFT_FOR_BABEL = [
  "array-spread",
  "arrow",
  "object-rest-spread",
  "const-and-let",
  "default-argument",
  "destructuring",
  "nested-rest-binding",
  "rest-argument",
];

/** Babel's transforms, in the order LANGUAGE.md measured working with xstate. */
const BABEL_PLUGINS = [
  // Object spread and rest, by Babel rather than esbuild: esbuild's helpers read
  // `Object.getOwnPropertySymbols` and `Object.prototype.propertyIsEnumerable`, which Espruino
  // lacks; with the two assumptions below (exact where there are no symbols) Babel's use
  // `Object.assign` and plain key copies.
  "@babel/plugin-transform-object-rest-spread",
  "@babel/plugin-transform-destructuring",
  "@babel/plugin-transform-parameters",
  "@babel/plugin-transform-spread",
  "@babel/plugin-transform-computed-properties",
  "@babel/plugin-transform-block-scoping",
  "@babel/plugin-transform-classes",
  "@babel/plugin-transform-exponentiation-operator",
  "@babel/plugin-transform-optional-chaining",
  "@babel/plugin-transform-for-of",
  // Not in LANGUAGE.md's list, measured since: an arrow whose expression body holds another arrow
  // loses `this` on 2v29 (`o.f = function () { return [1].map((a) => this.x + g((b) => b)) }`
  // reads `this.x` as undefined). Lowering every arrow removes the whole class of bug.
  "@babel/plugin-transform-arrow-functions",
];

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(join(ROOT, "package.json"), "utf8"),
).version;
const DEVICE_XSTATE = fileURLToPath(new URL("../../runtime/chart/xstate.ts", import.meta.url));
const CHART_REGISTRY = /[\\/]runtime[\\/]chart[\\/]charts\.ts$/;

/**
 * The esbuild plugin that takes XState out of the bundle: `xstate` is the device's runtime, and
 * the chart registry holds the compiled chart of every machine of the device.
 */
function compiledCharts(managers: readonly string[] | undefined): esbuild.Plugin {
  return {
    name: "compiled-charts",
    setup(build) {
      const machines = deviceMachines()
        .filter((d) => !managers || d.id === "controller" || managers.includes(d.id))
        .map((d) => d.machine);
      const rewritten: LazyDefinition[] = [];
      build.onResolve({ filter: /^xstate$/ }, () => ({ path: DEVICE_XSTATE }));
      build.onLoad({ filter: CHART_REGISTRY }, () => ({
        contents: chartsModule(machines),
        loader: "js",
      }));
      // Every machine's definition, rewritten so that it never exists whole in RAM.
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
        const lazy = lazyDefinitions(readFileSync(args.path, "utf8"), relative(ROOT, args.path));
        if (!lazy) return undefined;
        rewritten.push(...lazy.machines);
        return { contents: lazy.code, loader: "js", resolveDir: dirname(args.path) };
      });
      build.onEnd(() => {
        const counts: Record<string, number> = {};
        for (const machine of machines) counts[machine.id] = leafCount(machine.config);
        checkLeafCounts(rewritten, counts);
      });
    },
  };
}

const MANAGER_LIST = /[\\/]managers[\\/]list\.ts$/;

/** The esbuild plugin that makes `managers/list.ts` list `managers` alone, in its order. */
function managerSubset(managers: readonly string[]): esbuild.Plugin {
  return {
    name: "manager-subset",
    setup(build) {
      build.onLoad({ filter: MANAGER_LIST }, (args) => {
        const source = readFileSync(args.path, "utf8");
        const lines: string[] = [];
        for (const id of managers) {
          const imported =
            /^\w+$/.test(id) &&
            new RegExp(`^import \\{ ${id} \\} from "[^"]+";$`, "m").exec(source);
          if (!imported) throw new Error(`managers/list.ts has no manager called ${id}`);
          lines.push(imported[0]);
        }
        lines.push(`export const MANAGERS = { ${managers.join(", ")} };`);
        return { contents: lines.join("\n"), loader: "ts", resolveDir: dirname(args.path) };
      });
    },
  };
}

function leafCount(config: Record<string, any>): number {
  let count = 0;
  walkLeaves(config, () => count++);
  return count;
}

export interface LoweredBundle {
  code: string;
  bytes: number;
}

function passOneSupported(): Record<string, boolean> {
  const supported = Object.assign({}, UNSUPPORTED);
  for (let i = 0; i < LEFT_FOR_BABEL.length; i++) delete supported[LEFT_FOR_BABEL[i]];
  return supported;
}

const SHIMS = "runtime/shims/install.ts";
const PRELUDE_MODULE = "espruino:prelude";

/**
 * The program's own prelude, as a module imported before the entry (modules run in order). The
 * shim modules only build their own classes and functions when loaded, so they are declared free
 * of side effects: those the prelude does not call are left out of the program.
 */
function preludeModule(contents: string): esbuild.Plugin {
  const shims = join(ROOT, dirname(SHIMS));
  return {
    name: "program-prelude",
    setup(build) {
      build.onResolve({ filter: /^espruino:prelude$/ }, () => ({
        path: PRELUDE_MODULE,
        namespace: "prelude",
      }));
      build.onLoad({ filter: /.*/, namespace: "prelude" }, () => ({
        contents,
        loader: "js",
        resolveDir: ROOT,
      }));
      build.onResolve({ filter: /^\.\/[a-zA-Z]+$/ }, (args) =>
        args.resolveDir === shims
          ? { path: join(shims, `${args.path}.ts`), sideEffects: false }
          : undefined,
      );
    },
  };
}

export interface LowerOptions {
  /** Keeps names and line breaks, for reading the interpreter's stack traces. */
  readable?: boolean;
  /**
   * A program a board runs: the shims it needs first (see `installersFor`), then the entry, in one namespace and at the
   * top level, with no function around it. On 2v29 a `new Error` inside a function that was
   * called without a name (as a wrapper is) converts that whole function to a string for the
   * stack trace: for a 170 KB firmware, out of memory at the first `require` of a module the
   * board lacks. At the top level nothing is copied, and the module-level functions close over
   * no wrapper scope (about 700 JsVars less on the 32-bit build). Without it the entry is wrapped
   * (`iife`) and its names stay its own, for bundles evaluated beside another (the boot stub).
   */
  program?: boolean;
  /** What `FIRMWARE_VERSION` is in the bundle: a release's version; the package's by default. */
  firmwareVersion?: string;
  /** The managers the firmware carries (`managers/list.ts`'s names); all by default. */
  managers?: readonly string[];
}

/**
 * Bundles and lowers one entry for Espruino; the syntax of the result is what the gate checks.
 */
export async function lowerForEspruino(
  entry: string,
  options: LowerOptions = {},
): Promise<LoweredBundle> {
  const { readable = false, program = false, firmwareVersion = PACKAGE_VERSION } = options;
  const build: Build = {
    define: {
      "process.env.NODE_ENV": '"production"',
      FIRMWARE_VERSION: JSON.stringify(firmwareVersion),
    },
    managers: options.managers,
    readable,
  };
  if (!program) return lowered(entry, { entryPoints: [entry] }, build, false);
  // The prelude holds the shims this entry needs and no other: each costs RAM on the board.
  const alone = await lowered(entry, { entryPoints: [entry] }, build, false);
  const installers = installersFor(alone.code, missingBuiltins(alone.code));
  const prelude = [
    `import { ${installers.join(", ")} } from "./${SHIMS}";`,
    ...installers.map((name) => `${name}([], globalThis);`),
  ].join("\n");
  return lowered(
    entry,
    {
      stdin: {
        contents: `import "${PRELUDE_MODULE}";\nimport "./${entry}";`,
        resolveDir: ROOT,
        loader: "ts",
      },
    },
    build,
    true,
    prelude,
  );
}

/** The built-ins Espruino lacks that `code` reads, as the gate names them (`Array.from`). */
function missingBuiltins(code: string): string[] {
  const names: string[] = [];
  for (const violation of checkBundle(code, { provided: [] })) {
    const name = violation.feature.replace(/^missing (global|method): /, "");
    if (name !== violation.feature && !names.includes(name)) names.push(name);
  }
  return names;
}

/** What every pass of one bundle is built with. */
interface Build {
  define: Record<string, string>;
  managers: readonly string[] | undefined;
  readable: boolean;
}

async function lowered(
  entry: string,
  input: Pick<esbuild.BuildOptions, "entryPoints" | "stdin">,
  { define, managers, readable }: Build,
  program: boolean,
  prelude?: string,
): Promise<LoweredBundle> {
  // The subset first: the charts plugin reads every other `.ts` file.
  const plugins = managers ? [managerSubset(managers)] : [];
  plugins.push(compiledCharts(managers));
  if (prelude !== undefined) plugins.push(preludeModule(prelude));
  const bundled = await esbuild.build({
    ...input,
    bundle: true,
    write: false,
    format: program ? "esm" : "iife",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["module"],
    define,
    supported: passOneSupported(),
    // The runtime's own members (`_snapshot`, `_observers`, ...) become names of 1 or 2
    // characters: on a board a property name longer than 4 costs a JsVar more per object.
    // Here, before Babel writes class methods as `{key: "_name"}` strings it cannot follow.
    mangleProps: readable ? undefined : /^_[a-zA-Z]/,
    // Class fields as assignments in the constructor, as TypeScript wrote them before ES2022: a
    // field declared without a value is then no property at all until the constructor sets it,
    // instead of a `__publicField(this, "name")` call per field and instance (the classes of
    // the runtime are written for it: what stays unset is `declare`d).
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    legalComments: "none",
    logLevel: "silent",
    plugins,
  });
  const babel = transformSync(bundled.outputFiles[0].text, {
    babelrc: false,
    configFile: false,
    sourceType: "script",
    compact: false,
    assumptions: { setSpreadProperties: true, objectRestNoSymbols: true },
    plugins: BABEL_PLUGINS,
  });
  const unlabelled = babel?.code
    ? transformSync(babel.code, {
        babelrc: false,
        configFile: false,
        sourceType: "script",
        compact: false,
        plugins: program ? [lowerLabels, inlineConstants, lazyFunctions] : [lowerLabels],
      })
    : null;
  if (!unlabelled?.code) throw new Error(`babel produced nothing for ${entry}`);
  const minified = await esbuild.transform(unlabelled.code, {
    minifyWhitespace: !readable,
    minifyIdentifiers: !readable,
    minifySyntax: true,
    // As a module, so that its top-level names are minified too (they are the program's own).
    format: program ? "esm" : undefined,
    supported: UNSUPPORTED,
    legalComments: "none",
    logLevel: "silent",
  });
  const code = renameEspruinoKeywords(minified.code, readable);
  return { code, bytes: Buffer.byteLength(code) };
}
