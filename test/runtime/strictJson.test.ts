import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonMemberCount } from "../../runtime/strictJson.js";

const text = fc.string({ unit: "binary", maxLength: 20 });

describe("jsonMemberCount, the grammar check that stands in for Espruino's lenient JSON.parse", () => {
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      text,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(text, tie("value"), { maxKeys: 4 }),
    ),
  })).value;
  const layout = fc.constantFrom(undefined, 0, 1, 2, "\t", " \r\n");

  function members(parsed: unknown): number {
    if (typeof parsed !== "object" || parsed === null) return 0;
    if (Array.isArray(parsed)) return parsed.reduce((n: number, v) => n + members(v), 0);
    return Object.values(parsed).reduce(
      (n: number, v) => n + members(v),
      Object.keys(parsed).length,
    );
  }

  function parses(candidate: string): boolean {
    try {
      JSON.parse(candidate);
      return true;
    } catch {
      return false;
    }
  }

  it("accepts JSON.stringify's output, whitespace and all, and counts its members", () => {
    fc.assert(
      fc.property(value, layout, (v, space) => {
        const json = JSON.stringify(v, null, space as string | number | undefined);
        expect(jsonMemberCount(json)).toBe(members(JSON.parse(json)));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses every edit of a JSON text that JSON.parse refuses", () => {
    const edit = fc.constantFrom(..."{}[],:\"\\'0123456789.eE+-xtrufalsn \t\n\u0000\u001f\u00a0");
    let refused = 0;
    fc.assert(
      fc.property(value, fc.nat(), fc.integer({ min: 0, max: 2 }), edit, (v, at, kind, c) => {
        const json = JSON.stringify(v);
        const i = at % (json.length + 1);
        const candidate =
          kind === 0
            ? json.slice(0, i) + c + json.slice(i)
            : kind === 1
              ? json.slice(0, i) + json.slice(i + 1)
              : json.slice(0, i) + c + json.slice(i + 1);
        const count = jsonMemberCount(candidate);
        if (!parses(candidate)) {
          expect(count, candidate).toBe(-1);
          refused++;
        } else if (!/\d{19}/.test(candidate)) {
          expect(count, candidate).toBe(members(JSON.parse(candidate)));
        }
      }),
      { numRuns: 2000 },
    );
    expect(refused).toBeGreaterThan(500);
  });

  it("refuses what Espruino's JSON.parse takes and RFC 8259 does not", () => {
    const lenient = [
      '{"a":1,}',
      "[1,]",
      "[,]",
      "{'a':1}",
      "{a:1}",
      "0x10",
      "01",
      "-01",
      "1.",
      ".5",
      "+1",
      "-",
      "1e",
      "1e+",
      '"\\x41"',
      '"\\q"',
      '"\\u12"',
      '"a\nb"',
      '"a\u0000"',
      '{"a":1} x',
      "{} {}",
      "tru",
      "nul",
      "NaN",
      "Infinity",
      "undefined",
      "[1 2]",
      '{"a" 1}',
      '{"a":1 "b":2}',
      '{"a":}',
      "\u00a0{}",
      "",
      " ",
      '"unterminated',
      "[",
      "]",
      "{",
      "}",
    ];
    for (const candidate of lenient) {
      expect(parses(candidate), candidate).toBe(false);
      expect(jsonMemberCount(candidate), candidate).toBe(-1);
    }
  });
});
