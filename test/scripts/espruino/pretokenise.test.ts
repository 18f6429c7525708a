/**
 * The firmware is stored pretokenised (`scripts/espruino/pretokenise.ts`). On Node: the stored
 * form is bytes, smaller, and reads back as the same program. On the real interpreter
 * (`ESPRUINO_BIN`): a program of the literals and operators the tokeniser rewrites, run from
 * Storage in its stored form, computes what it computes stored as text, and what Node computes.
 */
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runFromStorage } from "../../../scripts/espruino/interpreter.js";
import { pretokenise, pretokeniser } from "../../../scripts/espruino/pretokenise.js";

/** Every kind of token the tokeniser rewrites, in the places minified code puts them. */
const PROGRAM = [
  "var out = [];",
  'out.push("", "a", "ten chars!", "quote \\" and \\\\ backslash\\nnew line", "\\xFF\\x00\\x80");',
  `out.push(${JSON.stringify("x".repeat(300))}.length, ${JSON.stringify("y".repeat(255))});`,
  "out.push(0, 1, -1, 127, -128, 128, -129, 255, 256, 32767, -32768, 32768, -32769, 1.5, -2.5, 1e3, 0x10);",
  "var a = 5; out.push(a-1, a-(-1), [-1, -127][1], a?-3:-4, {k:-7}.k);",
  "function f(n){if(n===0)return-1;switch(n){case-1:return 'minus';default:return typeof n}}",
  "out.push(f(0), f(-1), f(2), a !== 5, a == '5', a != 4, a >= 5 && a <= 5 || false);",
  "var b = 1; b += 2; b -= 1; b *= 3; b <<= 2; b >>= 1; b >>>= 0; b |= 64; b &= 127; b ^= 1; b++; b--;",
  "out.push(b, null, void 0 === undefined, this !== null, 'k' in {k: 1}, [] instanceof Array);",
  "try { throw new Error('caught') } catch (e) { out.push(e.message) } finally { out.push('finally') }",
  "for (var i = 0; i < 3; i++) { if (i === 1) continue; out.push(i) } do { i-- } while (i > 0);",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal in the program
  "out.push(/a+b/.test('caab'), `tem${a}plate`, `plain`, delete out[0]);",
].join("\n");

/** What `code` leaves in `out`, evaluated by Node. */
function outOf(code: string): unknown {
  const context: { out?: unknown } = {};
  runInNewContext(code, context);
  return JSON.parse(JSON.stringify(context.out));
}

/** Any string of bytes, as a binary string: what a string literal may hold pretokenised. */
const bytes = fc
  .array(fc.integer({ min: 0, max: 255 }), { maxLength: 600 })
  .map((codes) => String.fromCharCode(...codes));

describe("the firmware as a board stores it (pretokenised)", () => {
  it("is bytes, smaller than the text, with the lexer's one-byte tokens", () => {
    const stored = pretokenise(PROGRAM);
    expect([...stored].every((ch) => ch.charCodeAt(0) <= 0xff)).toBe(true);
    expect(stored.length).toBeLessThan(PROGRAM.length * 0.9);
    expect(stored).toContain("\xaa"); // `function`, LEX_R_FUNCTION in jslex.h
    expect(stored).toContain("\x8b"); // `===`, LEX_TYPEEQUAL
    expect(stored).toContain("\xd2\x2c\x01"); // the 300-byte literal: LEX_RAW_STRING16, length
  });

  it("keeps any string literal's bytes, whatever they are", () => {
    fc.assert(
      fc.property(bytes, (latin1) => {
        const code = `var out = ${JSON.stringify(latin1)};`;
        expect(outOf(pretokeniser().untokenise(pretokenise(code)))).toEqual(latin1);
      }),
    );
  });

  it("refuses a program it cannot store: a string literal of 64 KB or more, or `a - -b`", () => {
    const code = `var s = ${JSON.stringify("z".repeat(65536))};`;
    expect(() => pretokenise(code)).toThrow(/64 KB/);
    expect(() => pretokenise("var c = a - -b;")).toThrow(/"- -" at 12 would be stored as "--"/);
    expect(() => pretokenise("var c = a+ ++b;")).toThrow(/"\+ \+\+"/);
    expect(pretokenise("var c = a-(-b) - ~e;")).toBe("\xacc=a-(-b)-~e;"); // 0xAC: `var`
  });
});

const bin = process.env.ESPRUINO_BIN;

describe.skipIf(!bin)(
  bin
    ? "pretokenised code on the real interpreter"
    : "pretokenised code on the real interpreter: SKIPPED, ESPRUINO_BIN is not set",
  () => {
    it("computes, stored pretokenised, what it computes stored as text, and what Node computes", async () => {
      const outputs: unknown[] = [];
      for (const asText of [false, true]) {
        const run = await runFromStorage({
          bin: bin as string,
          code: PROGRAM,
          name: "tokens.js",
          epilogue: 'console.log("OUT " + JSON.stringify(out)); quit();',
          timeoutMs: 60_000,
          asText,
        });
        const line = run.output.match(/OUT (.*)/)?.[1];
        expect(line, run.output.slice(-2000)).toBeDefined();
        outputs.push(JSON.parse(line as string));
      }
      expect(outputs[0]).toEqual(outputs[1]);
      expect(outputs[0]).toEqual(outOf(PROGRAM));
    }, 90_000);
  },
);
