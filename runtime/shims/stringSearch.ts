/**
 * `String.prototype.indexOf`, `includes` and `replace` (with a string pattern) that do not match a
 * needle hanging off the end of the text.
 *
 * Who needs it: every caller. Espruino 2v29 reports a match where only the needle's start matches
 * the text's end: `"abcab".indexOf("abx")` is 3, `"abc".includes("cd")` is true and
 * `"abc".replace("cd", "X")` is `"abX"` (measured; `lastIndexOf`, `split` and regex patterns are
 * right). install.ts wraps the natives only where a probe shows the fault.
 *
 * Guarantees: the same results as the language defines. The native's first hit is either the
 * first real match or, when there is none, a partial one at the very end (no real match can lie
 * beyond it), so a hit that overruns the text means "not found".
 */

type IndexOf = (this: string, search: string, from?: number) => number;
type Replace = (this: string, pattern: unknown, replacement: unknown) => string;

/** Whether `indexOf` finds a needle that runs past the end of the text. */
export function overrunsEnd(indexOf: IndexOf): boolean {
  return indexOf.call("abc", "cd") !== -1;
}

export function exactIndexOf(indexOf: IndexOf): IndexOf {
  return function (this: string, search: string, from?: number): number {
    const needle = String(search);
    const text = String(this);
    const at = indexOf.call(text, needle, from);
    return at >= 0 && at + needle.length > text.length ? -1 : at;
  };
}

export function exactIncludes(indexOf: IndexOf) {
  return function (this: string, search: string, from?: number): boolean {
    return indexOf.call(this, search, from) >= 0;
  };
}

export function exactReplace(replace: Replace, indexOf: IndexOf): Replace {
  return function (this: string, pattern: unknown, replacement: unknown): string {
    if (typeof pattern === "string" && indexOf.call(this, pattern) < 0) return String(this);
    return replace.call(this, pattern, replacement);
  };
}
