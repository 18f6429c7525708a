import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSimplePattern } from "../../../runtime/schema/patterns.js";
import { validate } from "../../../runtime/schema/validate.js";
import { textArb } from "../../fixtures/schemas.js";

/* ----------------------------------------------------------------------------------------------
 * Simple patterns
 * ------------------------------------------------------------------------------------------- */

const ACCEPTED = [
  "",
  "abc",
  "^a$",
  "^$",
  "$",
  "a*b+",
  "^[a-z][a-z0-9_-]*$",
  "[^ ]+",
  "[-a]",
  "[a-]",
  "[--]",
  "[^-]",
  "[^^]",
  "[\\d-]",
  "[.$*+?(){}/ ^]",
  "[\\]\\[\\\\\\-\\|]",
  "\\d\\D\\w\\W\\t\\n\\r\\f\\v",
  "\\^\\$\\\\\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/",
  ".*",
  "a/b",
  "^dhcp$|^static$",
  "ab|cd$",
  "x*",
];

const REFUSED: Array<[string, string]> = [
  ["(ab)", "groups"],
  ["a?", "optional"],
  ["a{2}", "counted repeat"],
  ["a*?", "lazy"],
  ["a**", "stacked quantifiers"],
  ["+a", "nothing to repeat"],
  ["^*", "quantified anchor"],
  ["\\s", "Unicode spaces differ"],
  ["\\S", "Unicode spaces differ"],
  ["\\b", "word boundary vs backspace"],
  ["\\B", "non-boundary"],
  ["\\1", "back reference"],
  ["\\x41", "hex escape"],
  ["\\u0041", "unicode escape"],
  ["\\-", "hyphen escape outside a class (a V8 `u` syntax error)"],
  ["\\e", "identity escape of a letter"],
  ["\\", "trailing backslash"],
  ["[a|b]", "bar inside a class"],
  ["^a|b", "anchored and unanchored alternatives"],
  ["a|^b", "anchored and unanchored alternatives"],
  ["a|", "empty alternative"],
  ["|a", "empty alternative"],
  ["a||b", "empty alternative"],
  ["[]", "empty class"],
  ["[^]", "empty negated class"],
  ["[a", "unclosed class"],
  ["[[]", "bracket inside a class"],
  ["]", "lone bracket"],
  ["}", "lone brace"],
  ["{", "lone brace"],
  ["[z-a]", "falling range"],
  ["[a-a]", "one-character range"],
  ["[a-\\d]", "escape as a range end"],
  ["[\\d-z]", "escape as a range start"],
  ["[a-c-e]", "hyphen between members"],
  ["[a\\b]", "backspace escape"],
  ["a^", "caret inside"],
  ["a$b", "dollar inside"],
  ["$a", "dollar first"],
  ["é", "non-ASCII"],
  ["\t", "control character"],
  ["[\t]", "control character in a class"],
];

describe("isSimplePattern", () => {
  it.each(ACCEPTED)("accepts %j, which V8 compiles with the u flag", (pattern) => {
    expect(isSimplePattern(pattern)).toBe(true);
    expect(() => new RegExp(pattern, "u")).not.toThrow();
  });

  it.each(REFUSED)("refuses %j (%s)", (pattern) => {
    expect(isSimplePattern(pattern)).toBe(false);
  });

  it("refuses what is not a string", () => {
    expect(isSimplePattern(1 as unknown as string)).toBe(false);
  });
});

const classMember = fc.oneof(
  fc.constantFrom(..."abz09_.$*+?(){}/ ^!"),
  fc.constantFrom("a-z", "0-9", "A-F", "!-/", " -~"),
  fc.constantFrom(
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\-",
    "\\]",
    "\\[",
    "\\\\",
    "\\n",
    "\\t",
    "\\|",
    "\\.",
  ),
);
const classArb = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom("", "-"),
    fc.array(classMember, { minLength: 1, maxLength: 3 }),
    fc.constantFrom("", "", "-"),
  )
  .map(([negated, lead, members, trail]) => {
    // A leading `^` member would negate the class instead.
    const body = lead + members.join("") + trail;
    return `[${negated ? "^" : ""}${!negated && body.startsWith("^") ? "a" : ""}${body}]`;
  });
const atomArb = fc.oneof(
  fc.constantFrom(..."abz0_- /!'\"#%&,:;<=>@`~"),
  fc.constant("."),
  fc.constantFrom(
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\t",
    "\\n",
    "\\.",
    "\\*",
    "\\/",
    "\\\\",
    "\\^",
    "\\$",
  ),
  classArb,
);
const termArb = fc
  .tuple(atomArb, fc.constantFrom("", "", "*", "+"))
  .map(([atom, quantifier]) => atom + quantifier);
/** Simple patterns built from the grammar in schema.ts, every feature included. */
const simplePatternArb = fc
  .tuple(
    fc.boolean(),
    fc.boolean(),
    fc.array(fc.array(termArb, { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  )
  .map(([anchorStart, anchorEnd, alternatives]) =>
    alternatives
      .map((terms) => {
        const body = (anchorStart ? "^" : "") + terms.join("") + (anchorEnd ? "$" : "");
        return body === "" && alternatives.length > 1 ? "a" : body;
      })
      .join("|"),
  );

const matchesInV8 = (pattern: string, text: string) => new RegExp(pattern, "u").test(text);

describe("simple patterns match as V8 matches them with the u flag (as ajv runs them)", () => {
  it("accepts every pattern the grammar builds, and matches each text alike", () => {
    fc.assert(
      fc.property(simplePatternArb, fc.array(textArb, { maxLength: 6 }), (pattern, texts) => {
        expect(isSimplePattern(pattern)).toBe(true);
        for (const text of texts) {
          expect(validate({ pattern }, text).valid, `${pattern} on ${JSON.stringify(text)}`).toBe(
            matchesInV8(pattern, text),
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts nothing V8 would refuse or match differently (random regex text)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."ab-^$.|*+?()[]{}\\dwsb/0 é"), maxLength: 8 }),
        fc.array(textArb, { maxLength: 4 }),
        (pattern, texts) => {
          if (!isSimplePattern(pattern)) return;
          accepted++;
          expect(() => new RegExp(pattern, "u"), pattern).not.toThrow();
          for (const text of texts) {
            expect(validate({ pattern }, text).valid, `${pattern} on ${JSON.stringify(text)}`).toBe(
              matchesInV8(pattern, text),
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
    // The random texts do reach the subset, not only its refusals.
    expect(accepted).toBeGreaterThan(300);
  });

  it.each([
    ["a[ab]+b", "ab", false],
    ["a[ab]+b", "abb", true],
    ["^a.b$", "a\nb", false],
    ["^a.b$", "a\u2028b", false],
    ["^a.b$", "a😀b", true],
    ["^[^a]$", "😀", true],
    ["^[^a]+[^b]+$", "é", false],
    ["^\\W$", "\u00a0", true],
    ["x*$", "abc", true],
    ["^dhcp$|^static$", "xstatic", false],
  ])("%j on %j is %s (the rewrites' cases)", (pattern, text, expected) => {
    expect(matchesInV8(pattern, text)).toBe(expected);
    expect(validate({ pattern }, text).valid).toBe(expected);
  });
});
