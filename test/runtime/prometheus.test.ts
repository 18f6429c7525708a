import fc from "fast-check";
import { Counter, Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { exposition, formatValue, type MetricFamily } from "../../runtime/prometheus.js";
import { type ParsedFamily, parsePromText } from "../support/promText.js";

/** Characters the format escapes or splits on, mixed into any Unicode text. */
const tricky = fc.constantFrom(
  "\\",
  "\n",
  '"',
  "\\n",
  '\\"',
  " ",
  "\t",
  "\r",
  "{",
  "}",
  "=",
  ",",
  "#",
);
const char = fc.oneof(tricky, fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
const text = fc.string({ unit: char, maxLength: 24 });
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
const labelName = fc.stringMatching(/^(?:[a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]{0,8}$/);
const gaugeValue = fc.oneof(
  fc.double(),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.constantFrom(0, -0, 2 ** 53, -(2 ** 53), 1e21, -1e21, 1e-7, 5e-324, Number.MAX_VALUE),
);
const counterValue = fc.oneof(
  fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 0, max: 2 ** 53 - 1 }),
);

/** Labels with a value, sorted: the series a sample belongs to, as Prometheus sees it. */
function seriesKey(labels: Record<string, string> = {}): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([, value]) => value !== "")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

const family: fc.Arbitrary<MetricFamily & { labelNames: string[] }> = fc
  .record({
    name: metricName,
    // prom-client refuses an empty help; the fixed example above has one.
    help: fc.string({ unit: char, minLength: 1, maxLength: 24 }),
    type: fc.constantFrom("counter" as const, "gauge" as const),
    labelNames: fc.uniqueArray(labelName, { maxLength: 3 }),
  })
  .chain(({ name, help, type, labelNames }) =>
    fc
      .uniqueArray(
        fc.record({
          labels: fc
            .subarray(labelNames)
            .chain((names) =>
              fc.tuple(...names.map(() => text)).map((values) => pairs(names, values)),
            ),
          value: type === "counter" ? counterValue : gaugeValue,
        }),
        { maxLength: 5, selector: (sample) => seriesKey(sample.labels) },
      )
      .map((samples) => ({
        name: type === "counter" ? `${name}_total` : name,
        help,
        type,
        labelNames,
        samples,
      })),
  );
const families = fc.uniqueArray(family, { maxLength: 5, selector: (f) => f.name });

function pairs(names: string[], values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  names.forEach((name, i) => {
    labels[name] = values[i];
  });
  return labels;
}

async function throughPromClient(input: readonly (MetricFamily & { labelNames: string[] })[]) {
  const registry = new Registry();
  for (const f of input) {
    // A family without label names and without samples gets a `name 0` from prom-client.
    const labelNames = f.labelNames.length > 0 || f.samples.length > 0 ? f.labelNames : ["unused"];
    const options = { name: f.name, help: f.help, labelNames, registers: [registry] };
    if (f.type === "counter") {
      const counter = new Counter(options);
      for (const s of f.samples) counter.inc(s.labels ?? {}, s.value);
    } else {
      const gauge = new Gauge(options);
      for (const s of f.samples) gauge.set(s.labels ?? {}, s.value);
    }
  }
  return registry.metrics();
}

/** Families in name order, samples in series order: the order prom-client may impose aside. */
function canonical(parsed: ParsedFamily[]) {
  return [...parsed]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((f) => ({
      ...f,
      samples: [...f.samples].sort((a, b) => (seriesKey(a.labels) < seriesKey(b.labels) ? -1 : 1)),
    }));
}

/**
 * What the families should read back as: 0.0.4 parsers skip the blanks between a HELP's name and
 * its text, so leading blanks of a help text are lost whoever writes it; -0 reads back as 0.
 */
function expected(input: readonly MetricFamily[]): ParsedFamily[] {
  return input.map((f) => ({
    name: f.name,
    help: f.help.replace(/^[ \t]+/, ""),
    type: f.type,
    samples: f.samples.map((s) => ({ labels: s.labels ?? {}, value: s.value === 0 ? 0 : s.value })),
  }));
}

describe("exposition", () => {
  it("writes HELP, TYPE and samples, escaped, one line each", () => {
    const out = exposition([
      {
        name: "api_requests_total",
        help: 'Requests by route. Paths like C:\\tmp\nare "escaped"',
        type: "counter",
        samples: [
          { labels: { route: "/state", code: "200" }, value: 12 },
          { labels: { route: 'a\\b"c\nd', code: "" }, value: 9007199254740991 },
        ],
      },
      {
        name: "device_temperature_celsius",
        help: "température",
        type: "gauge",
        samples: [
          { labels: { sensor: "é😀" }, value: 21.5 },
          { labels: { sensor: "up" }, value: Infinity },
          { labels: { sensor: "down" }, value: -Infinity },
          { labels: { sensor: "broken" }, value: Number.NaN },
          { labels: { sensor: "tiny" }, value: -1.5e-7 },
        ],
      },
      { name: "empty_gauge", help: "", type: "gauge", samples: [] },
    ]);
    expect(out).toBe(
      [
        '# HELP api_requests_total Requests by route. Paths like C:\\\\tmp\\nare "escaped"',
        "# TYPE api_requests_total counter",
        'api_requests_total{route="/state",code="200"} 12',
        'api_requests_total{route="a\\\\b\\"c\\nd",code=""} 9007199254740991',
        "# HELP device_temperature_celsius température",
        "# TYPE device_temperature_celsius gauge",
        'device_temperature_celsius{sensor="é😀"} 21.5',
        'device_temperature_celsius{sensor="up"} +Inf',
        'device_temperature_celsius{sensor="down"} -Inf',
        'device_temperature_celsius{sensor="broken"} NaN',
        'device_temperature_celsius{sensor="tiny"} -1.5e-7',
        "# HELP empty_gauge ",
        "# TYPE empty_gauge gauge",
        "",
      ].join("\n"),
    );
  });

  it("writes no families as an empty text", () => {
    expect(exposition([])).toBe("");
  });

  it("writes integers below 2^53 in plain exact digits, other numbers as JavaScript does", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), (n) => {
        expect(formatValue(n)).toBe(BigInt(n).toString());
      }),
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const out = formatValue(x);
        expect(Number(out)).toBe(x === 0 ? 0 : x);
        if (!Number.isInteger(x) || Math.abs(x) >= 2 ** 53) expect(out).toBe(String(x));
      }),
    );
    // Around the halves the digits are built from.
    for (const n of [999_999_999, 1_000_000_000, 1_000_000_001, 1_999_999_999_999, 2 ** 53 - 1]) {
      expect(formatValue(n)).toBe(BigInt(n).toString());
    }
    expect(formatValue(-0)).toBe("0");
  });

  it("reads back as the families it was given, through the strict parser", () => {
    fc.assert(
      fc.property(families, (input) => {
        expect(parsePromText(exposition(input))).toEqual(expected(input));
      }),
    );
  });

  it("says what prom-client says for the same families", async () => {
    await fc.assert(
      fc.asyncProperty(families, async (input) => {
        const theirs = parsePromText(await throughPromClient(input));
        expect(canonical(parsePromText(exposition(input)))).toEqual(canonical(theirs));
      }),
    );
  });

  describe("throws on what is a bug in the caller", () => {
    const gauge = (patch: Partial<MetricFamily>): MetricFamily => ({
      name: "g",
      help: "h",
      type: "gauge",
      samples: [{ value: 1 }],
      ...patch,
    });
    const cases: [string, MetricFamily[], RegExp][] = [
      ["an empty name", [gauge({ name: "" })], /bad metric name/],
      ["a name starting with a digit", [gauge({ name: "1x" })], /bad metric name/],
      ["a name with a dash", [gauge({ name: "a-b" })], /bad metric name/],
      ["a non-ASCII name", [gauge({ name: "temp\u00e9" })], /bad metric name/],
      [
        "a label name with a colon",
        [gauge({ samples: [{ labels: { "a:b": "x" }, value: 1 }] })],
        /bad label name/,
      ],
      [
        "a label name starting with a digit",
        [gauge({ samples: [{ labels: { "1a": "x" }, value: 1 }] })],
        /bad label name/,
      ],
      [
        "a reserved label name",
        [gauge({ samples: [{ labels: { __name__: "x" }, value: 1 }] })],
        /bad label name/,
      ],
      [
        "an empty label name",
        [gauge({ samples: [{ labels: { "": "x" }, value: 1 }] })],
        /bad label name/,
      ],
      [
        "a counter not named _total",
        [gauge({ name: "requests", type: "counter" })],
        /not named \*_total/,
      ],
      ["another type", [gauge({ type: "histogram" as "gauge" })], /has type histogram/],
      ["two families of one name", [gauge({}), gauge({})], /two families named g/],
      [
        "a value that is not a number",
        [gauge({ samples: [{ value: "1" as unknown as number }] })],
        /not a number/,
      ],
      [
        "one series twice, labels in another order",
        [
          gauge({
            samples: [
              { labels: { a: "1", b: "2" }, value: 1 },
              { labels: { b: "2", a: "1" }, value: 2 },
            ],
          }),
        ],
        /two samples of g/,
      ],
      [
        "one series twice, once with an empty label",
        [gauge({ samples: [{ value: 1 }, { labels: { a: "" }, value: 2 }] })],
        /two samples of g/,
      ],
    ];
    for (const [what, input, message] of cases) {
      it(what, () => {
        expect(() => exposition(input)).toThrow(message);
      });
    }
  });
});
