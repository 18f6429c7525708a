import { transformSync } from "@babel/core";
import { describe, expect, it } from "vitest";
import { lazyFunctions } from "../../../scripts/espruino/lazyFunctions.js";

const lazy = (code: string) =>
  transformSync(code, {
    babelrc: false,
    configFile: false,
    sourceType: "script",
    plugins: [lazyFunctions],
  })!.code!;

/** Runs a program that pushes to `out`, returning `out`. */
const run = (code: string) => new Function(`var out = []; ${code}; return out;`)() as unknown[];

// As esbuild's bundle has it: each module's code after a comment naming its file.
const program = `
  // managers/example/effects.ts
  var counter = 0;
  function add(a, b) { counter++; return a + b; }
  function twice(n) { return add(n, n); }
  function factorial(n) { return n <= 1 ? 1 : n * factorial(n - 1); }
  function makeCounter(start) { var n = start; return function () { return ++n; }; }
  function handler(event) { return "handled " + event; }
  function Point(x) { this.x = x; }
  function reassigned() { return 1; }
  reassigned = function () { return 2; };
  function _helper(v) { return v; }
  out.push(twice(3), factorial(5), counter, [1, 2].map(handler), new Point(4).x, reassigned(), _helper(7));
  var next = makeCounter(10);
  out.push(next(), next(), add.length === undefined);
  // runtime/chart/actor.ts
  function hot(x) { return x + 1; }
  out.push(hot(1));
`;

describe("lazyFunctions", () => {
  it("moves the functions only ever called into dispatchers, declared first", () => {
    const code = lazy(program);
    for (const name of ["twice", "factorial", "makeCounter"]) {
      expect(code).not.toMatch(new RegExp(`function ${name}\\b`));
    }
    expect(code.trimStart()).toMatch(/^function _lazy\(_i\) \{\s*switch \(_i\)/);
    expect(code).toMatch(/out.push\(_lazy\(\d\)\(3\), _lazy\(\d\)\(5\)/);
  });

  it("leaves functions read as values, constructed, assigned, Babel's helpers and hot modules alone", () => {
    const code = lazy(program);
    // `add` is read once as a value (`add.length`), so it stays a function of its own.
    for (const name of ["add", "handler", "Point", "reassigned", "_helper", "hot"]) {
      expect(code).toMatch(new RegExp(`function ${name}\\(`));
    }
  });

  it("leaves what the program does unchanged, closures and recursion included", () => {
    expect(run(lazy(program))).toEqual(run(program));
  });

  it("puts at most eight functions in a dispatcher", () => {
    const many = Array.from({ length: 20 }, (_, i) => `function f${i}() { return ${i}; }`);
    const calls = Array.from({ length: 20 }, (_, i) => `out.push(f${i}());`);
    const code = lazy(`// managers/x.ts\n${many.join("\n")}\n${calls.join("\n")}`);
    expect(code.match(/function _lazy\d*\(/g)).toHaveLength(3);
    expect(run(code)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
