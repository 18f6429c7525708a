import { transformSync } from "@babel/core";
import { describe, expect, it } from "vitest";
import { inlineConstants } from "../../../scripts/espruino/inlineConstants.js";

const inline = (code: string) =>
  transformSync(code, {
    babelrc: false,
    configFile: false,
    sourceType: "script",
    plugins: [inlineConstants],
  })!.code!;

/** Runs a program that pushes to `out`, returning `out`. */
const run = (code: string) => new Function(`var out = []; ${code}; return out;`)() as unknown[];

describe("inlineConstants", () => {
  const program = `
    var RUNNING = 1, NEGATIVE = -2, ON = true, NONE = null, BIG = 4294967296;
    var NAME = "logger", ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    var counter = 0;
    function step() { counter += RUNNING; return { RUNNING, NEGATIVE, ON, NONE, BIG, NAME, A: ALPHABET[3] }; }
    out.push(step(), counter, typeof RUNNING);
  `;

  it("writes numbers, booleans, null and short strings where they are read, and drops their names", () => {
    const code = inline(program);
    for (const name of ["RUNNING", "NEGATIVE", "ON", "NONE", "BIG", "NAME"]) {
      expect(code).not.toMatch(new RegExp(`\\b${name}\\s*=`));
    }
    expect(code).toContain("RUNNING: 1");
    expect(code).toContain("BIG: 4294967296");
    expect(code).toContain('NAME: "logger"');
  });

  it("keeps long strings and variables assigned again", () => {
    const code = inline(program);
    expect(code).toMatch(/ALPHABET = "ABC/);
    expect(code).toMatch(/counter = 0/);
  });

  it("leaves what the program does unchanged", () => {
    expect(run(inline(program))).toEqual(run(program));
  });

  it("leaves names inside functions alone", () => {
    const code = inline("function f() { var LIMIT = 3; return LIMIT; } out.push(f());");
    expect(code).toMatch(/LIMIT = 3/);
  });
});
