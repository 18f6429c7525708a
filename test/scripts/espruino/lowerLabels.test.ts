import { transformSync } from "@babel/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerLabels } from "../../../scripts/espruino/lowerLabels.js";

const lower = (code: string) =>
  transformSync(code, { babelrc: false, configFile: false, plugins: [lowerLabels] })!.code!;

/** Runs a snippet that pushes to `out`, returning `out`. */
const run = (code: string) => new Function(`var out = []; ${code}; return out;`)() as unknown[];

describe("lowerLabels", () => {
  const programs: Array<[string, string]> = [
    [
      "break out of two loops (the xstate shape)",
      `loop: for (var i = 0; i < 4; i++) { for (var j = 0; j < 4; j++) { if (i * j === 2) break loop; out.push(i + ":" + j); } }`,
    ],
    [
      "continue the outer loop from an inner one",
      `outer: for (var i = 0; i < 4; i++) { for (var j = 0; j < 4; j++) { if (j > i) continue outer; out.push(i + ":" + j); } out.push("end" + i); }`,
    ],
    [
      "break from a switch inside a while",
      `var n = 0; w: while (n < 10) { n++; switch (n % 3) { case 0: out.push("z" + n); break; case 2: if (n > 6) break w; out.push("t" + n); break; default: out.push("o" + n); } }`,
    ],
    [
      "continue from a switch inside a do-while",
      `var k = 0; d: do { k++; switch (k) { case 2: continue d; default: out.push(k); } out.push("after" + k); } while (k < 4);`,
    ],
    [
      "three levels with both jumps",
      `a: for (var i = 0; i < 3; i++) { for (var j = 0; j < 3; j++) { for (var k = 0; k < 3; k++) { if (k === 1 && j === 1) continue a; if (i === 2 && k === 2) break a; out.push("" + i + j + k); } } }`,
    ],
    [
      "a plain break of the labelled loop",
      `x: for (var i = 0; i < 5; i++) { if (i === 3) break x; out.push(i); }`,
    ],
  ];

  it.each(programs)("%s: same result, no label left", (_name, code) => {
    const lowered = lower(code);
    expect(lowered).not.toMatch(/\b(break|continue) [A-Za-z_$]/);
    expect(lowered).not.toMatch(/^\s*[A-Za-z_$][\w$]*:\s*(for|while|do)\b/m);
    expect(run(lowered)).toEqual(run(code));
  });

  it("keeps results equal on random nested loops with random labelled jumps", () => {
    const jump = fc.constantFrom("break L", "continue L", "break", "continue", "");
    fc.assert(
      fc.property(
        fc.tuple(jump, jump, fc.nat(5), fc.nat(5), fc.nat(5)),
        ([first, second, a, b, c]) => {
          const code = `var guard = 0; L: for (var i = 0; i < 5; i++) { out.push("i" + i); for (var j = 0; j < 5; j++) { if (++guard > 200) break L; if (i === ${a} && j === ${b}) { ${first}; } switch (j) { case ${c}: if (i > 1) { ${second}; } out.push("s" + i + j); break; default: out.push(j); } } }`;
          expect(run(lower(code))).toEqual(run(code));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a labelled block, which it cannot lower", () => {
    expect(() => lower("b: { break b; }")).toThrow(/labelled BlockStatement/);
  });

  it("leaves labels of nested functions to their own visit", () => {
    const code = `L: for (var i = 0; i < 3; i++) { (function () { M: for (var j = 0; j < 3; j++) { for (;;) { break M; } } out.push("f" + i); })(); if (i === 1) break L; }`;
    const lowered = lower(code);
    expect(lowered).not.toMatch(/\b(break|continue) [A-Za-z_$]/);
    expect(run(lowered)).toEqual(run(code));
  });
});
