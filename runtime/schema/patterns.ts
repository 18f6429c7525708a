/**
 * Simple patterns: the part of JSON Schema's `pattern` that matches alike on V8 and on Espruino
 * 2v29, and the rewriting that makes the two engines agree on it.
 *
 * Guarantees: `isSimplePattern` accepts exactly the grammar below; for a pattern it accepts,
 * `new RegExp(devicePattern(p)).test(deviceText(text))` gives, on either engine, the verdict
 * `new RegExp(p, "u").test(text)` gives on V8 (as ajv runs it). A translated copy of the text is
 * made only when it leaves printable ASCII, of the pattern only when it uses `+` or `.`.
 *
 * Simple patterns (`isSimplePattern`): Espruino's regex engine is a small backtracking matcher
 * over bytes with no `?`, `{n,m}`, groups or lookaround, and with bugs (measured on 2v29, and read
 * in jswrap_regexp.c): `X+` matches like `X*` once X matched, `|` inside a class splits the pattern,
 * a failed `^` skips the alternatives after it, an empty match at the end of the text is not found,
 * and text is matched byte by byte in UTF-8, where V8 matches code points. Accepted is exactly:
 *
 *   pattern     := alternative ( "|" alternative )*    (with "|", no alternative is empty, and
 *                                                       either every alternative starts with "^"
 *                                                       or none does)
 *   alternative := "^"? ( atom ( "*" | "+" )? )* "$"?
 *   atom        := literal | "." | escape | class
 *   literal     := printable ASCII (space to "~") except  \ ^ $ . | ? * + ( ) [ ] { }
 *   escape      := "\" one of  d D w W t n r f v  ^ $ \ . * + ? ( ) [ ] { } | /
 *   class       := "[" "^"? member+ "]"         ("-" is a member only first or last)
 *   member      := char | char "-" char (ascending) | "\" one of  d D w W t n r f v -  and the
 *                  escaped characters above
 *   char        := printable ASCII except  \ [ ] | -
 *
 * Run as JSON Schema runs it (unanchored, ajv's `u` flag). To make the two engines agree, the text
 * is first mapped so that every character no simple pattern can name becomes one ASCII stand-in
 * (`deviceText`), and the pattern is rewritten into forms both engines run alike (`devicePattern`).
 * `\s`, `\b`, groups, `?` and counted repeats are refused: they either differ (V8's `\s` knows
 * Unicode spaces, Espruino's `\b` is a backspace) or do not exist on the device.
 */
// biome-ignore-all lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see runtime/schema.ts).
import { isLowSurrogate } from "./json.js";

const BACKSLASH = 92;
const CARET = 94;
const DOLLAR = 36;
const DOT = 46;
const BAR = 124;
const STAR = 42;
const PLUS = 43;
const HYPHEN = 45;
const LEFT_BRACKET = 91;
const RIGHT_BRACKET = 93;

/** Stand-in for every character no simple pattern can name, but which `.` matches. */
const OTHER = "\x01";
/** Stand-in for U+2028 and U+2029, which `.` does not match (they end lines, as `\n` does). */
const LINE_END = "\x02";
/** `.` as V8 reads it with the `u` flag, over text mapped by `deviceText`. */
const ANY = "[^\\n\\r\\x02]";

/** Characters a pattern or a class may escape to mean themselves (V8's `u` flag allows no others). */
const SYNTAX = "^$\\.*+?()[]{}|/";
/** Printable characters that are not literals outside a class (`.` is an atom of its own). */
const SPECIAL = "^$\\.*+?()[]{}|";
/** Escapes with a meaning of their own that both engines share. */
const MEANINGFUL = "dDwWtnrfv";

function isPrintable(code: number): boolean {
  return code >= 32 && code <= 126;
}

function isOneOf(code: number, characters: string): boolean {
  for (let i = 0; i < characters.length; i++) if (characters.charCodeAt(i) === code) return true;
  return false;
}

function isLiteral(code: number): boolean {
  return isPrintable(code) && !isOneOf(code, SPECIAL);
}

function isEscapable(code: number, inClass: boolean): boolean {
  return isOneOf(code, SYNTAX) || isOneOf(code, MEANINGFUL) || (inClass && code === HYPHEN);
}

function isClassChar(code: number): boolean {
  return isPrintable(code) && !isOneOf(code, "\\[]|-");
}

/** Length of the class starting at `start` (a `[`), or 0 when it is not a simple class. */
function classLength(pattern: string, start: number): number {
  const end = pattern.length;
  let i = start + 1;
  if (pattern.charCodeAt(i) === CARET) i++;
  const first = i;
  while (i < end && pattern.charCodeAt(i) !== RIGHT_BRACKET) {
    const code = pattern.charCodeAt(i);
    const next = pattern.charCodeAt(i + 1);
    if (code === BACKSLASH) {
      if (!isEscapable(next, true)) return 0;
      i += 2;
    } else if (code === HYPHEN) {
      // Anywhere else the engines read a hyphen differently: V8 (`u`) refuses `[\d-z]`, Espruino
      // makes a range of it.
      if (i !== first && next !== RIGHT_BRACKET) return 0;
      i++;
    } else if (!isClassChar(code)) {
      return 0;
    } else if (next === HYPHEN && i + 2 < end && pattern.charCodeAt(i + 2) !== RIGHT_BRACKET) {
      // Espruino's range test is strict (`[a-a]` matches nothing there), V8 refuses a falling one.
      const high = pattern.charCodeAt(i + 2);
      if (!isClassChar(high) || high <= code) return 0;
      i += 3;
    } else {
      i++;
    }
  }
  return i < end && i > first ? i + 1 - start : 0;
}

/** Length of the atom starting at `start`, or 0 when none starts there. */
function atomLength(pattern: string, start: number): number {
  const code = pattern.charCodeAt(start);
  if (code === LEFT_BRACKET) return classLength(pattern, start);
  if (code === BACKSLASH) return isEscapable(pattern.charCodeAt(start + 1), false) ? 2 : 0;
  return code === DOT || isLiteral(code) ? 1 : 0;
}

/**
 * The source both engines run alike for a simple pattern, or null when the pattern is not simple.
 * Rewrites: `X+` becomes `XX*` (Espruino's `+` lets the rest match before X has consumed anything),
 * `.` becomes `ANY` (Espruino's matches line ends too), and a pattern with an alternative that is
 * unanchored and can match the empty string becomes the empty pattern: that alternative matches at
 * the end of any text, a place Espruino never tries.
 */
export function devicePattern(pattern: string): string | null {
  const end = pattern.length;
  let out = "";
  let copiedTo = 0;
  let rewritten = false;
  let alternatives = 0;
  let anchored = 0;
  let matchesAll = false;
  let i = 0;
  for (;;) {
    const start = i;
    const isAnchored = pattern.charCodeAt(i) === CARET;
    if (isAnchored) i++;
    let nullable = true;
    let ended = false;
    while (i < end && pattern.charCodeAt(i) !== BAR) {
      const code = pattern.charCodeAt(i);
      if (ended) return null;
      if (code === DOLLAR) {
        ended = true;
        i++;
        continue;
      }
      const length = atomLength(pattern, i);
      if (length === 0) return null;
      const quantifier = pattern.charCodeAt(i + length);
      const quantified = quantifier === STAR || quantifier === PLUS;
      if (quantifier !== STAR) nullable = false;
      if (code === DOT || quantifier === PLUS) {
        const atom = code === DOT ? ANY : pattern.slice(i, i + length);
        out += pattern.slice(copiedTo, i) + atom;
        if (quantified) out += quantifier === PLUS ? atom + "*" : "*";
        copiedTo = i + length + (quantified ? 1 : 0);
        rewritten = true;
      }
      i += length + (quantified ? 1 : 0);
    }
    if (i === start && (i < end || alternatives > 0)) return null;
    alternatives++;
    if (isAnchored) anchored++;
    if (nullable && !isAnchored) matchesAll = true;
    if (i >= end) break;
    i++;
  }
  if (anchored !== 0 && anchored !== alternatives) return null;
  if (matchesAll) return "";
  return rewritten ? out + pattern.slice(copiedTo) : pattern;
}

/** Whether `pattern` lies in the subset that matches alike on V8 and Espruino (see the header). */
export function isSimplePattern(pattern: string): boolean {
  return typeof pattern === "string" && devicePattern(pattern) !== null;
}

function isPlainText(code: number): boolean {
  return isPrintable(code) || (code >= 9 && code <= 13);
}

/**
 * The text a device pattern is run on. Every character outside printable ASCII and the five
 * spacing controls becomes one stand-in: no simple pattern names such a character, and every
 * negated atom and `.` matches it, so the verdict is unchanged, while Espruino, which matches
 * UTF-8 byte by byte, sees one character where V8 sees one code point. Plain text is returned as is.
 */
export function deviceText(text: string): string {
  const end = text.length;
  let i = 0;
  while (i < end && isPlainText(text.charCodeAt(i))) i++;
  if (i === end) return text;
  let out = text.slice(0, i);
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    if (isPlainText(code)) out += String.fromCharCode(code);
    else if (code === 0x2028 || code === 0x2029) out += LINE_END;
    else {
      if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++;
      out += OTHER;
    }
  }
  return out;
}
