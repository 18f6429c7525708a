/**
 * The Prometheus text exposition format, version 0.0.4, for the device's `/metrics`.
 *
 * Guarantees of `exposition`: each family is written as one contiguous group, `# HELP` then
 * `# TYPE` then its samples in the order given, every line ending with `\n`; the text parses as
 * the same families in Prometheus (and in `test/support/promText.ts`, a strict parser) and passes
 * `promtool check metrics` for names that follow Prometheus' naming conventions. HELP text escapes
 * `\` and newline; label values escape `\`, `"` and newline; nothing else is touched (the text
 * is UTF-8 once sent). Blanks at the start of a HELP text are lost to every 0.0.4 reader, which
 * skips them after the name; the format has no escape for them. Values are written as Prometheus writes them: `+Inf`, `-Inf`, `NaN`, an
 * integer below 2^53 in plain digits (built from two exact halves, so Espruino, whose `String(n)`
 * keeps about 11 significant digits, writes it exactly too), and any other number with
 * `String(n)` (the shortest exact form on Node; on Espruino about 11 digits, enough for what a
 * sensor measures).
 *
 * What it throws on, since each is a bug in the caller and not something to serve: a metric or
 * label name outside the grammar (`[a-zA-Z_:][a-zA-Z0-9_:]*`, `[a-zA-Z_][a-zA-Z0-9_]*`), a label
 * name beginning with `__` (reserved to Prometheus), a counter not named `*_total`, a type other
 * than counter or gauge, a value that is not a number, two families of one name, and two samples
 * of one series. A label with an empty value is no label at all to Prometheus, so `{a=""}` and
 * `{}` count as the same series.
 *
 * Espruino notes: strings are joined with binary `+` and `join` only, and escaped with `split`
 * and `join`, because template literals, `+=` and `slice` mangle unicode text there (see
 * `runtime/schema.ts`); names are checked by character codes, not regular expressions, which
 * Espruino matches per UTF-8 byte.
 */
// biome-ignore-all lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see above).

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: MetricSample[];
}

/** 2^53: integers below it in magnitude are exact doubles and are written in plain digits. */
const EXACT_INTEGERS = 9007199254740992;
const BILLION = 1000000000;

export function exposition(families: readonly MetricFamily[]): string {
  const names: string[] = [];
  let out = "";
  for (let i = 0; i < families.length; i++) {
    const family = families[i];
    const name = family.name;
    if (!isMetricName(name)) throw new Error("exposition: bad metric name " + JSON.stringify(name));
    if (names.indexOf(name) >= 0) throw new Error("exposition: two families named " + name);
    names.push(name);
    if (family.type !== "counter" && family.type !== "gauge") {
      throw new Error("exposition: " + name + " has type " + String(family.type));
    }
    if (family.type === "counter" && !endsWithTotal(name)) {
      throw new Error("exposition: counter " + name + " is not named *_total");
    }
    out = out + "# HELP " + name + " " + escapeHelp(String(family.help)) + "\n";
    out = out + "# TYPE " + name + " " + family.type + "\n";
    const series: string[] = [];
    for (let j = 0; j < family.samples.length; j++) {
      const sample = family.samples[j];
      const labels: string[] = [];
      const present: string[] = [];
      renderLabels(name, sample.labels, labels, present);
      // The same text for the same series, whatever the order of its labels.
      const key = present.sort().join(",");
      if (series.indexOf(key) >= 0) {
        throw new Error("exposition: two samples of " + name + " {" + key + "}");
      }
      series.push(key);
      if (typeof sample.value !== "number") {
        throw new Error("exposition: a value of " + name + " is not a number");
      }
      const labelText = labels.length > 0 ? "{" + labels.join(",") + "}" : "";
      out = out + name + labelText + " " + formatValue(sample.value) + "\n";
    }
  }
  return out;
}

/** A sample value as Prometheus writes it (Go's parser reads every form this returns). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value === Math.floor(value) && value < EXACT_INTEGERS && value > -EXACT_INTEGERS) {
    return value < 0 ? "-" + integerDigits(-value) : integerDigits(value);
  }
  return String(value);
}

/** Decimal digits of a non-negative integer below 2^53, from halves that fit in 32 bits. */
function integerDigits(value: number): string {
  if (value < BILLION) return String(value | 0);
  let high = Math.floor(value / BILLION);
  let low = value - high * BILLION;
  // The division may round up to the next integer; the exact remainder says so.
  if (low < 0) {
    high--;
    low += BILLION;
  }
  return String(high | 0) + String(low | 0).padStart(9, "0");
}

/**
 * `name="value"` for each label into `all`, in the order given (label names cannot be array
 * indices, so `Object.keys` keeps that order on Espruino too), and into `present` those with a
 * value; throws on a bad or reserved name.
 */
function renderLabels(
  metric: string,
  labels: Record<string, string> | undefined,
  all: string[],
  present: string[],
): void {
  if (!labels) return;
  const names = Object.keys(labels);
  for (let i = 0; i < names.length; i++) {
    const label = names[i];
    if (!isLabelName(label) || (label.charCodeAt(0) === 95 && label.charCodeAt(1) === 95)) {
      throw new Error("exposition: bad label name " + JSON.stringify(label) + " on " + metric);
    }
    const value = String(labels[label]);
    const text = label + '="' + escapeLabelValue(value) + '"';
    all.push(text);
    if (value !== "") present.push(text);
  }
}

function escapeHelp(text: string): string {
  return text.split("\\").join("\\\\").split("\n").join("\\n");
}

function escapeLabelValue(text: string): string {
  return escapeHelp(text).split('"').join('\\"');
}

/** For a name already checked, hence ASCII, which `slice` counts right on Espruino too. */
function endsWithTotal(name: string): boolean {
  return name.slice(-6) === "_total";
}

function isNameCode(c: number, first: boolean, colon: boolean): boolean {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) return true;
  if (colon && c === 58) return true;
  return !first && c >= 48 && c <= 57;
}

function isName(text: string, colon: boolean): boolean {
  if (typeof text !== "string" || text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    if (!isNameCode(text.charCodeAt(i), i === 0, colon)) return false;
  }
  return true;
}

export function isMetricName(text: string): boolean {
  return isName(text, true);
}

export function isLabelName(text: string): boolean {
  return isName(text, false);
}
