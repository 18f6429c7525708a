/**
 * Log levels and the JSON Lines format: key order, collisions, timestamps, masking, and that
 * a line is always one parseable JSON object, whatever the record holds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatJsonLine,
  formatLogLine,
  isLogLevel,
  LOG_LEVELS,
  type LogRecord,
  levelAtLeast,
} from "../../runtime/log";
import { DEFAULT_MASKED_FIELDS, MASK } from "../../runtime/mask";
import { anyValue } from "../support/arbitraries.js";

const F = DEFAULT_MASKED_FIELDS;
const HEADER = ["ts", "level", "msg", "manager", "device", "tenant", "ns"];

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    ts: 1_700_000_000_000,
    level: "info",
    msg: "connected",
    manager: "network",
    device: "dev-1",
    tenant: "acme",
    ns: "sensors",
    ...overrides,
  };
}

/**
 * The top-level keys of a JSON object line in the order written. JSON.parse cannot tell: it
 * moves integer-like keys first.
 */
function keysInOrder(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === "\\" ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(line.slice(i, end + 1)));
      expectKey = false;
      i = end;
    } else if (c === "{" || c === "[") {
      depth++;
      expectKey = depth === 1;
    } else if (c === "}" || c === "]") {
      depth--;
    } else if (c === "," && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

function parse(line: string): Record<string, unknown> {
  expect(line.endsWith("\n")).toBe(true);
  expect(line.indexOf("\n")).toBe(line.length - 1);
  return JSON.parse(line);
}

describe("levels", () => {
  it("are ordered from debug to error", () => {
    expect(LOG_LEVELS).toEqual(["debug", "info", "warn", "error"]);
  });
  it.each([
    ["debug", "debug", true],
    ["info", "debug", true],
    ["error", "warn", true],
    ["warn", "warn", true],
    ["debug", "info", false],
    ["info", "warn", false],
    ["warn", "error", false],
  ] as const)("levelAtLeast(%s, %s) is %s", (level, threshold, expected) => {
    expect(levelAtLeast(level, threshold)).toBe(expected);
  });
  it.each([
    ["info", true],
    ["error", true],
    ["INFO", false],
    ["fatal", false],
    ["", false],
    [undefined, false],
    [1, false],
    [null, false],
  ])("isLogLevel(%j) is %s", (x, expected) => {
    expect(isLogLevel(x)).toBe(expected);
  });
});

describe("formatLogLine", () => {
  it("keeps its console shape", () => {
    expect(formatLogLine(12_345, "network", { level: "warn", msg: "timed out" })).toBe(
      "12.345 WARN  network    timed out",
    );
  });
});

describe("formatJsonLine", () => {
  it("writes the header keys first, in order, then the fields in theirs", () => {
    const line = formatJsonLine(record({ fields: { b: 1, a: 2, "7": 3, z: { y: 1 } } }), F);
    // Fields follow Object.keys: Node lists integer-like names first, Espruino keeps insertion.
    expect(keysInOrder(line)).toEqual([...HEADER, "7", "b", "a", "z"]);
    expect(parse(line)).toEqual({
      ts: "2023-11-14T22:13:20.000Z",
      level: "info",
      msg: "connected",
      manager: "network",
      device: "dev-1",
      tenant: "acme",
      ns: "sensors",
      b: 1,
      a: 2,
      "7": 3,
      z: { y: 1 },
    });
  });

  it("renames a field that collides with a header key, never overriding either", () => {
    const line = formatJsonLine(
      record({ fields: { ts: 1, level: "x", msg: "m", "field.ts": 2, other: 3 } }),
      F,
    );
    const parsed = parse(line);
    expect(keysInOrder(line)).toEqual([
      ...HEADER,
      "field.field.ts",
      "field.level",
      "field.msg",
      "field.ts",
      "other",
    ]);
    expect(parsed.ts).toBe("2023-11-14T22:13:20.000Z");
    expect(parsed.level).toBe("info");
    expect(parsed.msg).toBe("connected");
    expect(parsed["field.field.ts"]).toBe(1);
    expect(parsed["field.level"]).toBe("x");
    expect(parsed["field.msg"]).toBe("m");
    expect(parsed["field.ts"]).toBe(2);
  });

  it.each([
    [1_700_000_000_123, "2023-11-14T22:13:20.123Z"],
    [1e12, "2001-09-09T01:46:40.000Z"],
    [1e12 - 1, 1e12 - 1],
    [12_345.5, 12_345.5],
    [0, 0],
    [-5, -5],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [1e17, 1e17],
  ])("writes ts %s as %j", (ts, expected) => {
    expect(parse(formatJsonLine(record({ ts }), F)).ts).toEqual(expected);
  });

  it("masks the message and the fields", () => {
    const parsed = parse(
      formatJsonLine(
        record({
          msg: "login with password=hunter2 and Bearer abc",
          fields: { user: "bob", password: "hunter2", nested: { apiKey: [1, 2], ok: "token: t" } },
        }),
        F,
      ),
    );
    expect(parsed.msg).toBe(`login with password=${MASK} and Bearer ${MASK}`);
    expect(parsed.user).toBe("bob");
    expect(parsed.password).toBe(MASK);
    expect(parsed.nested).toEqual({ apiKey: MASK, ok: `token: ${MASK}` });
    expect(JSON.stringify(parsed)).not.toContain("hunter2");
  });

  it("uses the fields it is given", () => {
    const parsed = parse(formatJsonLine(record({ fields: { pin: 1234, password: "p" } }), ["pin"]));
    expect(parsed.pin).toBe(MASK);
    expect(parsed.password).toBe("p");
  });

  it("escapes newlines so the line stays one line", () => {
    const parsed = parse(formatJsonLine(record({ msg: "a\nb\r\n", fields: { s: "c\nd" } }), F));
    expect(parsed.msg).toBe("a\nb\r\n");
    expect(parsed.s).toBe("c\nd");
  });

  it("handles cycles, BigInt, throwing getters and errors in the fields", () => {
    const fields: Record<string, unknown> = { n: 10n, err: new Error("boom") };
    fields.self = fields;
    Object.defineProperty(fields, "bad", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    const parsed = parse(formatJsonLine(record({ fields }), F));
    expect(parsed.n).toBe("10");
    expect(parsed.err).toEqual({ name: "Error", message: "boom" });
    expect(parsed.self).toBe("[circular]");
    expect(parsed.bad).toBe("[unreadable]");
  });

  it("falls back to [unserializable] when the fields cannot be read at all", () => {
    const broken = record();
    Object.defineProperty(broken, "fields", {
      get() {
        throw new Error("no");
      },
    });
    const parsed = parse(formatJsonLine(broken, F));
    expect(parsed.msg).toBe("connected");
    expect(parsed.fields).toBe("[unserializable]");
  });

  it("still writes a parseable line when the header cannot be read", () => {
    const broken = record({ fields: { a: 1 } });
    Object.defineProperty(broken, "ts", {
      get() {
        throw new Error("no");
      },
    });
    const parsed = parse(formatJsonLine(broken, F));
    expect(parsed.msg).toBe("[unserializable]");
    expect(parsed.a).toBe(1);
  });

  it("writes non-record fields under `fields`, and none when absent", () => {
    const bogus = (fields: unknown) =>
      parse(formatJsonLine(record({ fields: fields as Record<string, unknown> }), F));
    expect(bogus([1, "password=x"]).fields).toEqual([1, `password=${MASK}`]);
    expect(bogus("text").fields).toBe("text");
    expect(keysInOrder(formatJsonLine(record(), F))).toEqual(HEADER);
    expect(keysInOrder(formatJsonLine(record({ fields: {} }), F))).toEqual(HEADER);
  });

  it("coerces header values of the wrong type instead of throwing", () => {
    const weird = {
      ...record(),
      msg: { toString: () => "token=t" },
      manager: undefined,
      device: 7,
      tenant: {
        toString() {
          throw new Error("no");
        },
      },
      ts: "soon",
    } as unknown as LogRecord;
    const parsed = parse(formatJsonLine(weird, F));
    expect(parsed.msg).toBe(`token=${MASK}`);
    expect(parsed.manager).toBe("");
    expect(parsed.device).toBe("7");
    expect(parsed.tenant).toBe("[unreadable]");
    expect(parsed.ts).toBeNull();
  });
});

// ---- Property tests over random records ----

/** Field names that are neither masked nor header keys. */
const fieldName = fc
  .string({ unit: fc.constantFrom(..."abcdefghijlmnoqruvwxyz0123456789_".split("")), minLength: 1 })
  .filter((name) => HEADER.indexOf(name) < 0);

/** Message text with nothing mask-shaped: no `=`, `:`, and no "bearer" / "eyJ". */
const plainText = fc
  .string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 ,.-_()!?\n\t"\\é€'.split("")),
  })
  .filter((s) => !/bearer|eyj/i.test(s));

const primitive = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  plainText,
);

const ts = fc.oneof(
  fc.integer({ min: 0, max: 999_999_999_999 }),
  fc.integer({ min: 1e12, max: 4_102_444_800_000 }),
  fc.double({ min: 0, max: 1e12 - 1, noNaN: true }),
);

const randomRecord = fc.record({
  ts,
  level: fc.constantFrom(...LOG_LEVELS),
  msg: plainText,
  manager: fc.string(),
  device: fc.string(),
  tenant: fc.string(),
  ns: fc.string(),
  fields: fc.option(fc.dictionary(fieldName, primitive, { maxKeys: 6 }), { nil: undefined }),
});

describe("formatJsonLine properties", () => {
  it("always writes one parseable line that round-trips the unmasked primitives", () => {
    fc.assert(
      fc.property(randomRecord, (r) => {
        const line = formatJsonLine(r, F);
        const parsed = parse(line);
        expect(keysInOrder(line).slice(0, 7)).toEqual(HEADER);
        expect(parsed.ts).toEqual(r.ts >= 1e12 ? new Date(r.ts).toISOString() : r.ts);
        expect(parsed.level).toBe(r.level);
        expect(parsed.msg).toBe(r.msg);
        expect(parsed.manager).toBe(r.manager);
        expect(parsed.device).toBe(r.device);
        expect(parsed.tenant).toBe(r.tenant);
        expect(parsed.ns).toBe(r.ns);
        const fields = r.fields ?? {};
        expect(keysInOrder(line).slice(7)).toEqual(Object.keys(fields));
        for (const name of Object.keys(fields)) {
          // JSON has no -0: it comes back as 0.
          const value = Object.is(fields[name], -0) ? 0 : fields[name];
          expect(parsed[name]).toEqual(value);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never throws and always parses, whatever the fields hold", () => {
    fc.assert(
      fc.property(anyValue, fc.anything(), (fields, msg) => {
        const line = formatJsonLine(
          record({ fields: fields as Record<string, unknown>, msg: msg as string }),
          F,
        );
        const parsed = parse(line);
        expect(keysInOrder(line).slice(0, 7)).toEqual(HEADER);
        expect(parsed.manager).toBe("network");
      }),
      { numRuns: 300 },
    );
  });
});
