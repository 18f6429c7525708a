import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { Counter, Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { exposition, type MetricFamily } from "../../runtime/prometheus.js";
import { PromTextError, type PromTextReason, parsePromText } from "./promText.js";

function reasonOf(text: string): PromTextReason | "accepted" {
  try {
    parsePromText(text);
    return "accepted";
  } catch (error) {
    if (error instanceof PromTextError) return error.reason;
    throw error;
  }
}

const HEAD = "# HELP g A gauge.\n# TYPE g gauge\n";

describe("parsePromText", () => {
  it("reads prom-client's output: blank lines between families, Nan, label order as set", async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: "requests_total",
      help: "Requests \\ by\nroute",
      labelNames: ["route", "code"],
      registers: [registry],
    });
    counter.inc({ code: "200", route: '/a"b' }, 3);
    counter.inc({ route: "/x" });
    const gauge = new Gauge({ name: "temp", help: "t", registers: [registry] });
    gauge.set(Number.NaN);
    new Gauge({ name: "unset", help: "u", labelNames: ["a"], registers: [registry] });
    expect(parsePromText(await registry.metrics())).toEqual([
      {
        name: "requests_total",
        help: "Requests \\ by\nroute",
        type: "counter",
        samples: [
          { labels: { code: "200", route: '/a"b' }, value: 3 },
          { labels: { route: "/x" }, value: 1 },
        ],
      },
      { name: "temp", help: "t", type: "gauge", samples: [{ labels: {}, value: Number.NaN }] },
      { name: "unset", help: "u", type: "gauge", samples: [] },
    ]);
  });

  it("accepts what Prometheus accepts and the strict rules allow", () => {
    const text = [
      "",
      "# a comment",
      "#",
      "  # TYPE g gauge",
      "# HELP g  leading blanks go",
      'g{a="1",} 1 1700000000000',
      'g { b = "2" , a="3" }\t-.5e1',
      'g{c="x"}+Inf',
      'g{d="y"} inf',
      'g{e="z"} -InFiNiTy',
      'g{f="w"} nan  -5  ',
      "g{} 5.",
      "",
      "# TYPE u untyped",
      "u 0",
      "",
    ].join("\n");
    expect(parsePromText(text)).toEqual([
      {
        name: "g",
        help: "leading blanks go",
        type: "gauge",
        samples: [
          { labels: { a: "1" }, value: 1, timestampMs: 1_700_000_000_000 },
          { labels: { b: "2", a: "3" }, value: -5 },
          { labels: { c: "x" }, value: Infinity },
          { labels: { d: "y" }, value: Infinity },
          { labels: { e: "z" }, value: -Infinity },
          { labels: { f: "w" }, value: Number.NaN, timestampMs: -5 },
          { labels: {}, value: 5 },
        ],
      },
      { name: "u", type: "untyped", samples: [{ labels: {}, value: 0 }] },
    ]);
    expect(parsePromText("")).toEqual([]);
  });

  describe("refuses a broken text, for the right reason", () => {
    const corpus: [string, string, PromTextReason][] = [
      ["no newline at the end", `${HEAD}g 1`, "no-final-newline"],
      ["a sample before any TYPE", "g 1\n", "no-type"],
      ["a sample after HELP only", "# HELP g h\ng 1\n", "no-type"],
      ["a family with HELP and no TYPE", "# HELP g h\n# TYPE h gauge\nh 1\n", "no-type"],
      ["a last family without TYPE", `${HEAD}g 1\n# HELP h h\n`, "no-type"],
      ["a second HELP", `${HEAD}# HELP g again\ng 1\n`, "duplicate-help"],
      ["a second TYPE", `${HEAD}# TYPE g gauge\ng 1\n`, "duplicate-type"],
      ["a TYPE after the samples", `${HEAD}g 1\n# TYPE g gauge\n`, "metadata-after-samples"],
      ["a HELP after the samples", "# TYPE g gauge\ng 1\n# HELP g h\n", "metadata-after-samples"],
      ["a family in two groups", `${HEAD}g 1\n# TYPE h gauge\nh 1\ng{a="b"} 2\n`, "not-contiguous"],
      ["metadata of a closed family", `${HEAD}g 1\n# TYPE h gauge\n# HELP g x\n`, "not-contiguous"],
      ["the same series twice", `${HEAD}g{a="1",b="2"} 1\ng{b="2",a="1"} 2\n`, "duplicate-series"],
      ["an empty label and none", `${HEAD}g 1\ng{a=""} 2\n`, "duplicate-series"],
      ["a counter not named _total", "# TYPE requests counter\nrequests 1\n", "counter-name"],
      ["an unknown type", "# TYPE g gauges\ng 1\n", "bad-type"],
      ["a type in capitals", "# TYPE g GAUGE\ng 1\n", "bad-type"],
      ["a type with a trailing blank", "# TYPE g gauge \ng 1\n", "bad-type"],
      ["a summary", "# TYPE g summary\ng 1\n", "bad-type"],
      ["a TYPE without a type", "# TYPE g\ng 1\n", "bad-type"],
      ["a TYPE without a name", "# TYPE\n", "syntax"],
      ["a metric name with a dash", `${HEAD}g-x 1\n`, "bad-metric-name"],
      ["a metric name starting with a digit", "# TYPE 1g gauge\n", "bad-metric-name"],
      ["a bad name in a HELP line", "# HELP g-x help\n", "bad-metric-name"],
      ["a label name with a dash", `${HEAD}g{a-b="1"} 1\n`, "bad-label-name"],
      ["a label name starting with a digit", `${HEAD}g{1a="1"} 1\n`, "bad-label-name"],
      ["a label without =", `${HEAD}g{a "1"} 1\n`, "bad-label-name"],
      ["__name__ as a label", `${HEAD}g{__name__="g"} 1\n`, "reserved-label"],
      ["a __ label", `${HEAD}g{__meta="x"} 1\n`, "reserved-label"],
      ["a label twice", `${HEAD}g{a="1",a="2"} 1\n`, "duplicate-label"],
      ["an unquoted label value", `${HEAD}g{a=1} 1\n`, "syntax"],
      ["an unterminated label value", `${HEAD}g{a="1} 1\n`, "syntax"],
      ["labels without a separator", `${HEAD}g{a="1" b="2"} 1\n`, "syntax"],
      ["a doubled comma", `${HEAD}g{a="1",,b="2"} 1\n`, "bad-label-name"],
      ["\\t in a label value", `${HEAD}g{a="\\t"} 1\n`, "bad-escape"],
      ["\\x in a label value", `${HEAD}g{a="\\x41"} 1\n`, "bad-escape"],
      ['\\" in HELP', '# HELP g say \\"hi\\"\n# TYPE g gauge\n', "bad-escape"],
      ["a backslash ending HELP", "# HELP g ends \\\n# TYPE g gauge\n", "bad-escape"],
      ["a lone surrogate in a label value", `${HEAD}g{a="\ud800"} 1\n`, "bad-utf8"],
      ["no value", `${HEAD}g\n`, "bad-value"],
      ["no value after labels", `${HEAD}g{a="1"}\n`, "bad-value"],
      ["a word as value", `${HEAD}g one\n`, "bad-value"],
      ["a hexadecimal value", `${HEAD}g 0x10\n`, "bad-value"],
      ["a value with _", `${HEAD}g 1_000\n`, "bad-value"],
      ["a hex float", `${HEAD}g 0x1p-2\n`, "bad-value"],
      ["a value out of range", `${HEAD}g 1e400\n`, "bad-value"],
      ["+NaN", `${HEAD}g +NaN\n`, "bad-value"],
      ["Infinit", `${HEAD}g Infinit\n`, "bad-value"],
      ["a fractional timestamp", `${HEAD}g 1 1.5\n`, "bad-timestamp"],
      ["a timestamp beyond int64", `${HEAD}g 1 9223372036854775808\n`, "bad-timestamp"],
      ["text after the timestamp", `${HEAD}g 1 2 3\n`, "syntax"],
      ["a carriage return", `${HEAD}g 1\r\n`, "bad-value"],
    ];
    for (const [what, text, reason] of corpus) {
      it(what, () => {
        expect(reasonOf(text)).toBe(reason);
      });
    }
    it("a reason carries its line", () => {
      expect(() => parsePromText(`${HEAD}g 1\ng 2\n`)).toThrow(/^line 4: duplicate-series/);
    });
  });
});

/**
 * Families promtool's linter has nothing to say about: snake_case names of plain words, no
 * unit abbreviations or non-base units, no `_total`, `_count`, `_sum`, `_bucket` on gauges, no
 * `le` or `quantile` label. Help texts, label values and values are as random as elsewhere.
 */
const word = fc.constantFrom(
  "device",
  "api",
  "wifi",
  "queue",
  "depth",
  "requests",
  "errors",
  "log",
);
const lintClean: fc.Arbitrary<MetricFamily[]> = fc.uniqueArray(
  fc
    .record({
      words: fc.array(word, { minLength: 1, maxLength: 3 }),
      type: fc.constantFrom("counter" as const, "gauge" as const),
      // promtool's lint wants some help text: a blank one ("\t") is "no help text".
      help: fc.string({ unit: "binary", maxLength: 30 }).map((s) => `about ${s}`),
      values: fc.array(
        fc.record({
          label: fc.string({
            unit: fc.oneof(
              fc.constantFrom("\\", "\n", '"'),
              fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
            ),
            maxLength: 12,
          }),
          value: fc.oneof(fc.double(), fc.integer()),
        }),
        { maxLength: 4 },
      ),
    })
    .map(({ words, type, help, values }) => ({
      name: words.join("_") + (type === "counter" ? "_total" : "_now"),
      type,
      help,
      samples: values
        .filter((v, i) => values.findIndex((w) => w.label === v.label) === i && v.label !== "")
        .map((v) => ({ labels: { route: v.label }, value: v.value })),
    })),
  { maxLength: 4, selector: (f) => f.name },
);

const promtool = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).stdout.trim();

describe("promtool check metrics", () => {
  it.runIf(promtool !== "")("passes exposition() of random families", () => {
    fc.assert(
      fc.property(lintClean, (families) => {
        const text = exposition(families);
        const run = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
        expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
          status: 0,
          output: "",
        });
      }),
      { numRuns: 40 },
    );
  });

  it.runIf(promtool !== "")("fails a text the strict parser refuses, so the check can fail", () => {
    const run = spawnSync(promtool, ["check", "metrics"], {
      input: '# HELP g h\n# TYPE g gauge\ng{a="\\t"} 1\n',
      encoding: "utf8",
    });
    expect(run.status).not.toBe(0);
  });

  it.skipIf(promtool !== "")("is skipped: promtool is not installed", () => {
    console.log("promtool is not installed: skipping promtool check metrics");
  });
});
