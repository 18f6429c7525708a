/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests of `/metrics`.
 *
 * It refuses everything Prometheus' own parser (`expfmt.TextParser`, which `promtool` and the
 * scraper's metadata use) refuses, with the same rules for tokens:
 *
 * - metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`, `__name__`
 *   reserved, a label named twice on one sample;
 * - HELP escapes only `\\` and `\n`, label values only `\\`, `\"` and `\n`; a label value with a
 *   lone surrogate (invalid UTF-8 once encoded);
 * - values as Go's `strconv.ParseFloat` reads them without hex or `_` (`1`, `-.5`, `1e3`, `+Inf`,
 *   `inf`, `NaN` in any case; out of range is an error), timestamps as a 64-bit integer;
 * - a second HELP or TYPE line for a name, a TYPE after that family's samples, an unknown type
 *   (the type is the rest of the line: `gauge ` with a trailing blank is unknown), text not
 *   ending in `\n`.
 *
 * And on purpose it refuses more, because the device's exposition must not rely on leniency:
 * a sample whose family had no TYPE line before it, and a family with no TYPE at all (Prometheus
 * would call it untyped); HELP after samples; lines of one family not in one contiguous group
 * (the format requires it, Go's parser does not check); the same series twice, where a label with
 * an empty value counts as absent as it does in Prometheus; a counter not named `*_total`; label
 * names beginning `__` (Prometheus drops them after relabelling); types other than `counter`,
 * `gauge` and `untyped`, lowercase (the device writes no summary or histogram); and a HELP line
 * with no text counts as an empty HELP (Go ignores it).
 *
 * Blank lines, leading blanks, blanks around label tokens, a trailing comma in a label set, and
 * comments other than HELP and TYPE are accepted, as Go accepts them. Families without samples
 * are kept (Go drops them) so that a test can see them.
 */

export type PromTextReason =
  | "syntax"
  | "no-final-newline"
  | "bad-metric-name"
  | "bad-label-name"
  | "reserved-label"
  | "duplicate-label"
  | "bad-escape"
  | "bad-utf8"
  | "bad-value"
  | "bad-timestamp"
  | "bad-type"
  | "duplicate-help"
  | "duplicate-type"
  | "metadata-after-samples"
  | "no-type"
  | "not-contiguous"
  | "duplicate-series"
  | "counter-name";

export class PromTextError extends Error {
  constructor(
    readonly reason: PromTextReason,
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${reason}: ${detail}`);
  }
}

export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface ParsedFamily {
  name: string;
  help?: string;
  type: "counter" | "gauge" | "untyped";
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INFINITY = /^[+-]?(?:inf|infinity)$/i;
const NOT_A_NUMBER = /^nan$/i;
const TIMESTAMP = /^[+-]?[0-9]+$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const TYPES = ["counter", "gauge", "untyped"];
const INT64_MAX = 2n ** 63n - 1n;

interface Family extends ParsedFamily {
  /** Canonical keys of the series seen. */
  series: Set<string>;
}

export function parsePromText(text: string): ParsedFamily[] {
  const families: Family[] = [];
  const byName = new Map<string, Family>();
  let current: Family | undefined;
  const lines = text.split("\n");
  if (lines.pop() !== "") {
    throw new PromTextError("no-final-newline", lines.length + 1, "the last line has no \\n");
  }

  /** The family `name` continues or starts here; its earlier group must be the current one. */
  function familyFor(name: string, line: number): Family {
    const known = byName.get(name);
    if (known && known !== current) {
      throw new PromTextError("not-contiguous", line, `${name} appeared before, apart`);
    }
    if (current && current !== known && current.type === undefined) {
      throw new PromTextError("no-type", line, `${current.name} has no TYPE line`);
    }
    if (known) return known;
    const family = { name, type: undefined, samples: [], series: new Set<string>() };
    const created = family as unknown as Family;
    families.push(created);
    byName.set(name, created);
    current = created;
    return created;
  }

  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const cursor = new Cursor(lines[index], lineNo);
    cursor.skipBlanks();
    if (cursor.atEnd()) continue;
    if (cursor.peek() === "#") {
      cursor.next();
      cursor.skipBlanks();
      const keyword = cursor.word();
      if (keyword !== "HELP" && keyword !== "TYPE") continue;
      if (!cursor.skipBlanks()) throw cursor.fail("syntax", `# ${keyword} needs a metric name`);
      const name = cursor.name(METRIC_NAME, "bad-metric-name");
      if (!cursor.atEnd() && !cursor.skipBlanks()) {
        throw cursor.fail("bad-metric-name", `bad metric name in ${keyword} line`);
      }
      const family = familyFor(name, lineNo);
      if (family.samples.length > 0) {
        throw cursor.fail("metadata-after-samples", `${keyword} for ${name} after its samples`);
      }
      if (keyword === "HELP") {
        if (family.help !== undefined) throw cursor.fail("duplicate-help", `second HELP: ${name}`);
        family.help = cursor.escaped(["\\", "n"], "");
      } else {
        if (family.type !== undefined) throw cursor.fail("duplicate-type", `second TYPE: ${name}`);
        const type = cursor.rest();
        if (!TYPES.includes(type)) throw cursor.fail("bad-type", `type ${JSON.stringify(type)}`);
        if (type === "counter" && !name.endsWith("_total")) {
          throw cursor.fail("counter-name", `counter ${name} is not named *_total`);
        }
        family.type = type as ParsedFamily["type"];
      }
      continue;
    }
    const name = cursor.name(METRIC_NAME, "bad-metric-name");
    const family = familyFor(name, lineNo);
    if (family.type === undefined) throw cursor.fail("no-type", `sample of ${name} before TYPE`);
    const blankAfterName = cursor.skipBlanks();
    let labels: Record<string, string> = {};
    if (cursor.peek() === "{") {
      labels = cursor.labels();
      cursor.skipBlanks();
    } else if (!blankAfterName && !cursor.atEnd()) {
      throw cursor.fail(
        "bad-metric-name",
        `${name} is followed by ${JSON.stringify(cursor.rest())}`,
      );
    }
    const sample: ParsedSample = { labels, value: parseValue(cursor.word(), cursor) };
    if (cursor.skipBlanks() && !cursor.atEnd()) {
      sample.timestampMs = parseTimestamp(cursor.word(), cursor);
      cursor.skipBlanks();
    }
    if (!cursor.atEnd()) throw cursor.fail("syntax", `unexpected ${JSON.stringify(cursor.rest())}`);
    const key = seriesKey(labels);
    if (family.series.has(key)) throw cursor.fail("duplicate-series", `${name}{${key}} again`);
    family.series.add(key);
    family.samples.push(sample);
  }
  if (current && current.type === undefined) {
    throw new PromTextError("no-type", lines.length, `${current.name} has no TYPE line`);
  }
  return families.map(({ series: _series, ...family }) => family);
}

/** Labels with a value, sorted: `{a=""}` and `{}` are one series to Prometheus. */
function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([, value]) => value !== "")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function parseValue(word: string, cursor: Cursor): number {
  if (NOT_A_NUMBER.test(word)) return Number.NaN;
  if (INFINITY.test(word)) return word.startsWith("-") ? -Infinity : Infinity;
  const value = DECIMAL.test(word) ? Number(word) : Number.NaN;
  if (!Number.isFinite(value)) throw cursor.fail("bad-value", `value ${JSON.stringify(word)}`);
  return value;
}

function parseTimestamp(word: string, cursor: Cursor): number {
  const big = TIMESTAMP.test(word) ? BigInt(word) : undefined;
  if (big === undefined || big > INT64_MAX || big < -INT64_MAX - 1n) {
    throw cursor.fail("bad-timestamp", `timestamp ${JSON.stringify(word)}`);
  }
  return Number(big);
}

/** One line, read left to right. */
class Cursor {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly line: number,
  ) {}

  fail(reason: PromTextReason, detail: string): PromTextError {
    return new PromTextError(reason, this.line, detail);
  }

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.at);
  }

  next(): string {
    return this.text.charAt(this.at++);
  }

  rest(): string {
    const rest = this.text.slice(this.at);
    this.at = this.text.length;
    return rest;
  }

  /** Skips spaces and tabs; whether there were any. */
  skipBlanks(): boolean {
    const from = this.at;
    while (this.peek() === " " || this.peek() === "\t") this.at++;
    return this.at > from;
  }

  /** Up to the next blank or the end of the line. */
  word(): string {
    const from = this.at;
    while (!this.atEnd() && this.peek() !== " " && this.peek() !== "\t") this.at++;
    return this.text.slice(from, this.at);
  }

  name(grammar: RegExp, reason: PromTextReason): string {
    const match = grammar.exec(this.text.slice(this.at));
    if (!match)
      throw this.fail(reason, `no valid name at ${JSON.stringify(this.text.slice(this.at))}`);
    this.at += match[0].length;
    return match[0];
  }

  /** Text up to `until` (or the end of the line), with only the escapes `allowed` after `\`. */
  escaped(allowed: string[], until: string): string {
    let out = "";
    while (!this.atEnd() && this.peek() !== until) {
      const c = this.next();
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.next();
      if (!allowed.includes(e)) throw this.fail("bad-escape", `\\${e || "<end of line>"}`);
      out += e === "n" ? "\n" : e;
    }
    return out;
  }

  /** `{name="value",...}` with blanks around tokens and an optional trailing comma. */
  labels(): Record<string, string> {
    this.next();
    const labels: Record<string, string> = {};
    while (true) {
      this.skipBlanks();
      if (this.peek() === "}") break;
      const label = this.name(LABEL_NAME, "bad-label-name");
      if (label.startsWith("__")) throw this.fail("reserved-label", `label ${label} is reserved`);
      if (Object.hasOwn(labels, label)) throw this.fail("duplicate-label", `${label} twice`);
      this.skipBlanks();
      if (this.next() !== "=") throw this.fail("bad-label-name", `no = after label ${label}`);
      this.skipBlanks();
      if (this.next() !== '"') throw this.fail("syntax", `no opening " for label ${label}`);
      const value = this.escaped(["\\", "n", '"'], '"');
      if (this.next() !== '"') throw this.fail("syntax", `no closing " for label ${label}`);
      if (LONE_SURROGATE.test(value)) throw this.fail("bad-utf8", `label ${label} is not UTF-8`);
      labels[label] = value;
      this.skipBlanks();
      const separator = this.next();
      if (separator === "}") return labels;
      if (separator !== ",") throw this.fail("syntax", `expected , or } after label ${label}`);
    }
    this.next();
    return labels;
  }
}
