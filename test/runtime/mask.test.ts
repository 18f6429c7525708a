/**
 * Secret masking: which names are masked, how values and text are masked, and, on random nested
 * data, that planted secrets never survive while data without secrets is kept exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_MASKED_FIELDS, isMaskedName, MASK, maskText, maskValue } from "../../runtime/mask";
import { anyValue } from "../support/arbitraries.js";

const F = DEFAULT_MASKED_FIELDS;

describe("isMaskedName", () => {
  const masked = [
    "token",
    "password",
    "secret",
    "key",
    "authorization",
    "apiKey",
    "api_key",
    "x-api-key",
    "apikey",
    "APIKey",
    "API_KEY",
    "accessToken",
    "refresh_token",
    "Authorization",
    "HTTPAuthorization",
    "db_password",
    "db.password",
    "clientSecret",
    "client secret",
    "passwords",
    "tokens",
    "secrets",
    "apiKeys",
    "accessTokens",
    // Decision: `keys` is masked like every plural (a list of keys may be a list of API keys).
    "keys",
    "changedKeys",
    // Hump inside a field: the name without separators still ends with it.
    "passWord",
    "pass_word",
    // Fields of 5+ letters are caught anywhere in a separator-free name.
    "passwordhash",
    "userpasswordhash",
    "tokenizer",
    // A word that is or ends with a field, anywhere in the name.
    "keyId",
    "tokenExpiresAt",
    "key2",
    "oauth2token",
    "wifiPassword1",
    // End-of-word over-masking, accepted.
    "monkey",
  ];
  const plain = [
    "id",
    "name",
    "username",
    "user",
    "ssid",
    "host",
    "url",
    "count",
    "retries",
    "level",
    "message",
    "keyboard",
    "keynote",
    "author",
    "auth",
    "pass",
    "tok",
    "ke",
    "",
    "_",
    "-.-",
    "rssi",
    "settings",
    "changed",
    // Espruino's indexOf says "fieldts" contains "secrets" (a prefix hits the end): must not count.
    "field.ts",
    "stats",
  ];
  it.each(masked)("masks %j", (name) => {
    expect(isMaskedName(name, F)).toBe(true);
  });
  it.each(plain)("keeps %j", (name) => {
    expect(isMaskedName(name, F)).toBe(false);
  });
  it("compares the configured fields case-insensitively", () => {
    expect(isMaskedName("wifiPin", ["PIN"])).toBe(true);
    expect(isMaskedName("PINS", ["pin"])).toBe(true);
    expect(isMaskedName("spinner", ["pin"])).toBe(false);
    expect(isMaskedName("password", ["pin"])).toBe(false);
  });
  it("ignores empty and non-string fields instead of masking everything", () => {
    expect(isMaskedName("id", [""])).toBe(false);
    expect(isMaskedName("id", [1 as unknown as string, "token"])).toBe(false);
    expect(isMaskedName("token", [])).toBe(false);
  });
  it("sees a different list on the next call (no stale cache)", () => {
    expect(isMaskedName("pin", ["pin"])).toBe(true);
    expect(isMaskedName("pin", ["token"])).toBe(false);
    expect(isMaskedName("pin", ["pin"])).toBe(true);
  });
});

describe("maskValue", () => {
  it("replaces the whole value of a masked property at any depth, through arrays", () => {
    const input = {
      id: 7,
      password: "hunter2",
      nested: {
        apiKey: { id: "k1", value: "abc" },
        list: [{ accessToken: ["a", "b"] }, { ok: true }],
      },
      secrets: [1, 2, 3],
      token: null,
    };
    expect(maskValue(input, F)).toEqual({
      id: 7,
      password: MASK,
      nested: { apiKey: MASK, list: [{ accessToken: MASK }, { ok: true }] },
      secrets: MASK,
      token: MASK,
    });
  });

  it("does not change its input", () => {
    const input = { password: "x", nested: { token: "y" } };
    maskValue(input, F);
    expect(input).toEqual({ password: "x", nested: { token: "y" } });
  });

  it("masks strings everywhere, property names included", () => {
    const out = maskValue(
      { note: "Authorization: Bearer abc", list: ["password=x"], "Bearer zz": 1 },
      F,
    );
    expect(out).toEqual({
      note: `Authorization: Bearer ${MASK}`,
      list: [`password=${MASK}`],
      [`Bearer ${MASK}`]: 1,
    });
  });

  it("follows JSON for functions, undefined, symbols and toJSON", () => {
    const out = maskValue(
      {
        f: () => 1,
        u: undefined,
        s: Symbol("s"),
        list: [1, undefined, () => 2, Symbol("t")],
        at: new Date(0),
        n: 1.5,
        b: false,
        z: null,
      },
      F,
    );
    expect(out).toEqual({
      list: [1, null, null, null],
      at: "1970-01-01T00:00:00.000Z",
      n: 1.5,
      b: false,
      z: null,
    });
    expect(maskValue(undefined, F)).toBeUndefined();
    expect(maskValue(() => 1, F)).toBeUndefined();
  });

  it("turns cycles into [circular] but copies shared objects twice", () => {
    const shared = { v: 1 };
    const input: Record<string, unknown> = { a: shared, b: shared, list: [] as unknown[] };
    input.self = input;
    (input.list as unknown[]).push(input, shared);
    expect(maskValue(input, F)).toEqual({
      a: { v: 1 },
      b: { v: 1 },
      list: ["[circular]", { v: 1 }],
      self: "[circular]",
    });
  });

  it("stops below depth 8", () => {
    let deep: unknown = { leaf: 1 };
    for (let i = 0; i < 12; i++) deep = { d: deep };
    let out = maskValue(deep, F) as Record<string, unknown>;
    // Containers at depths 0..8 are copied; the one at depth 9 is not.
    for (let i = 0; i < 9; i++) out = out.d as Record<string, unknown>;
    expect(out).toBe("[too deep]");
    expect(maskValue([[[[[[[[[1]]]]]]]]], F)).toEqual([[[[[[[[[1]]]]]]]]]);
    expect(maskValue([[[[[[[[[[1]]]]]]]]]], F)).toEqual([[[[[[[[["[too deep]"]]]]]]]]]);
  });

  it("turns an Error into { name, message } with the message masked", () => {
    expect(maskValue(new TypeError("bad token=abc"), F)).toEqual({
      name: "TypeError",
      message: `bad token=${MASK}`,
    });
    class AuthError extends Error {
      constructor(message: string) {
        super(message);
        this.name = "AuthError";
      }
    }
    expect(maskValue({ error: new AuthError("Bearer xyz") }, F)).toEqual({
      error: { name: "AuthError", message: `Bearer ${MASK}` },
    });
  });

  it("never throws: throwing getters, throwing toJSON, proxies, BigInt", () => {
    const input: Record<string, unknown> = { ok: 1, big: 12n };
    Object.defineProperty(input, "bad", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    let secretRead = false;
    Object.defineProperty(input, "password", {
      enumerable: true,
      get() {
        secretRead = true;
        return "x";
      },
    });
    input.j = {
      toJSON() {
        throw new Error("no");
      },
    };
    input.p = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("no");
        },
      },
    );
    expect(maskValue(input, F)).toEqual({
      ok: 1,
      big: "12",
      bad: "[unreadable]",
      password: MASK,
      j: "[unreadable]",
      p: "[unreadable]",
    });
    expect(secretRead).toBe(false);
  });

  it("drops a __proto__ key instead of changing the copy's prototype", () => {
    const out = maskValue(JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}'), F) as object;
    expect(out).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe("maskText", () => {
  const jwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  const cases: [string, string][] = [
    [`jwt ${jwt} end`, `jwt ${MASK} end`],
    [`(${jwt})`, `(${MASK})`],
    ["unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. end", `unsigned ${MASK} end`],
    ["Authorization: Bearer abc.def-ghi", `Authorization: Bearer ${MASK}`],
    ["sent bearer abc123 then", `sent bearer ${MASK} then`],
    ["BEARER\tq,w;e&r end", `BEARER\t${MASK} end`],
    ["Bearer a Bearer b", `Bearer ${MASK} Bearer ${MASK}`],
    ["Authorization: Basic dXNlcjpwYXNz", `Authorization: Basic ${MASK}`],
    ["password=hunter2", `password=${MASK}`],
    ["GET /x?api_key=abc&page=2", `GET /x?api_key=${MASK}&page=2`],
    ["user=bob; password=hunter2; retry=1", `user=bob; password=${MASK}; retry=1`],
    ["token: abc, next: 1", `token: ${MASK}, next: 1`],
    ["secret = abc", `secret = ${MASK}`],
    ['{"password":"a b c","user":"x"}', `{"password":"${MASK}","user":"x"}`],
    ['{"password": "a\\"b", "n": 1}', `{"password": "${MASK}", "n": 1}`],
    ["{'apiKey': 'k k'}", `{'apiKey': '${MASK}'}`],
    ['body {\\"token\\":\\"abc def\\"}', `body {\\"token\\":\\"${MASK}\\"}`],
    ['"secret":"never closed', `"secret":"${MASK}`],
    ['config {"key": {"a": [1, "}"]}, "n": 2}', `config {"key": ${MASK}, "n": 2}`],
    ["x-api-key: k1 host: a", `x-api-key: ${MASK} host: a`],
    ["db.password=p1 db.host=h", `db.password=${MASK} db.host=h`],
  ];
  it.each(cases)("masks %j", (input, expected) => {
    expect(maskText(input, F)).toBe(expected);
  });

  const unchanged = [
    "",
    "connected after 3 attempt(s)",
    "at 12:30:45 rssi=-60 ssid=home",
    "user=bob, host: example.org",
    "password reset requested",
    "token=",
    "key:",
    "Bearer",
    "Bearer   ",
    "eyJ not a token",
    "eyJabc.def",
    "keyboard=us",
    "author: Ann",
    "ends in ey",
  ];
  it.each(unchanged)("keeps %j", (input) => {
    expect(maskText(input, F)).toBe(input);
  });

  it("uses the given fields for pairs (JWTs and Bearer tokens always)", () => {
    expect(maskText("pin=1234 password=x", ["pin"])).toBe(`pin=${MASK} password=x`);
    expect(maskText(`Bearer abc ${jwt}`, [])).toBe(`Bearer ${MASK} ${MASK}`);
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const once = maskText(text, F);
        expect(maskText(once, F)).toBe(once);
      }),
    );
  });
});

// ---- Property tests: planted secrets never survive; secret-free data is kept exactly. ----

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Uppercase letters never appear in the safe strings below, so this cannot occur by chance. */
const SECRET_MARK = "S3CR3T-";
const secret = fc
  .string({ unit: fc.constantFrom(...ALNUM.split("")), minLength: 16, maxLength: 16 })
  .map((s) => SECRET_MARK + s);

/** Text with no secret shape: lowercase, digits and mild punctuation, no `=`, `:` or quotes. */
const safeText = fc
  .string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789 ,.-_/()!?".split("")) })
  .filter((s) => !/bearer|eyj/i.test(s));

const SAFE_NAMES = ["id", "name", "count", "ssid", "host", "items", "mode", "data", "rssi", "note"];
const safeName = fc.constantFrom(...SAFE_NAMES);

const leaf = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  safeText,
);

const { tree: safeTree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(safeName, tie("tree"), { maxKeys: 4 }),
  ),
}));

function spell(words: string[], style: string): string {
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  switch (style) {
    case "camel":
      return words.map((w, i) => (i === 0 ? w : cap(w))).join("");
    case "pascal":
      return words.map(cap).join("");
    case "snake":
      return words.join("_");
    case "kebab":
      return words.join("-");
    case "dot":
      return words.join(".");
    case "upper":
      return words.join("_").toUpperCase();
    default:
      return words.join("");
  }
}

const maskedName = fc
  .record({
    prefix: fc.constantFrom("", "api", "access", "refresh", "db", "client", "wifi", "x"),
    field: fc.constantFrom(...F),
    plural: fc.boolean(),
    style: fc.constantFrom("camel", "pascal", "snake", "kebab", "dot", "upper", "flat"),
  })
  .map(({ prefix, field, plural, style }) =>
    spell(prefix ? [prefix, field + (plural ? "s" : "")] : [field + (plural ? "s" : "")], style),
  );

/** A secret, bare or wrapped in objects and arrays a few levels deep. */
const secretHolder = fc
  .tuple(secret, fc.array(fc.tuple(fc.boolean(), safeName), { maxLength: 3 }))
  .map(([s, wraps]) => {
    let value: unknown = s;
    for (const [inArray, name] of wraps) value = inArray ? [1, value] : { [name]: value };
    return value;
  });

const base64url = fc.string({
  unit: fc.constantFrom(...`${ALNUM}-_`.split("")),
  minLength: 1,
  maxLength: 12,
});

/** Text carrying a secret in one of the shapes maskText knows. */
const secretText = fc
  .tuple(
    safeText,
    secret,
    safeText,
    fc.constantFrom("jwt-payload", "jwt-signature", "bearer", "pair", "json-pair"),
    base64url,
    maskedName,
    fc.constantFrom("=", ": ", ":", " = "),
    fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR"),
  )
  .map(([before, s, after, shape, b64, name, sep, bearer]) => {
    let carrier: string;
    if (shape === "jwt-payload") carrier = `eyJ${b64}.${b64}${s}${b64}.${b64}`;
    else if (shape === "jwt-signature") carrier = `eyJ${b64}.${b64}.${s}`;
    else if (shape === "bearer") carrier = `${bearer} ${s}`;
    else if (shape === "pair") carrier = `${name}${sep}${s}`;
    else carrier = `{"${name}"${sep}"${s} ${b64}"}`;
    return `${before} ${carrier} ${after}`;
  });

type Carrier = { kind: "field"; name: string; value: unknown } | { kind: "text"; text: string };

const carrier: fc.Arbitrary<Carrier> = fc.oneof(
  fc.record({ kind: fc.constant("field" as const), name: maskedName, value: secretHolder }),
  fc.record({ kind: fc.constant("text" as const), text: secretText }),
);

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

/** Plants `item` in the container reached by following `choices` down from `root`. */
function plant(root: unknown[], item: Carrier, choices: number[]): void {
  let here: Record<string, unknown> | unknown[] = root;
  for (const choice of choices) {
    const children: (Record<string, unknown> | unknown[])[] =
      Object.values(here).filter(isContainer);
    if (children.length === 0) break;
    here = children[choice % children.length];
  }
  if (Array.isArray(here)) {
    here.push(item.kind === "field" ? { [item.name]: item.value } : item.text);
  } else if (item.kind === "field") {
    here[item.name] = item.value;
  } else {
    here.note = item.text;
  }
}

const plantedTree = fc
  .tuple(
    safeTree,
    fc.array(fc.tuple(carrier, fc.array(fc.nat(), { maxLength: 10 })), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([tree, carriers]) => {
    const root = [structuredClone(tree)];
    for (const [item, choices] of carriers) plant(root, item, choices);
    return root;
  });

describe("masking properties", () => {
  it("no planted secret survives maskValue", () => {
    fc.assert(
      fc.property(plantedTree, (tree) => {
        // The assertion below can fail: the secret is really in the input.
        expect(JSON.stringify(tree)).toContain(SECRET_MARK);
        expect(JSON.stringify(maskValue(tree, F))).not.toContain(SECRET_MARK);
      }),
      { numRuns: 500 },
    );
  });

  it("no secret survives maskText, wherever it sits in the message", () => {
    fc.assert(
      fc.property(fc.array(secretText, { minLength: 1, maxLength: 3 }), safeText, (parts, tail) => {
        const msg = parts.join(" ") + tail;
        expect(msg).toContain(SECRET_MARK);
        expect(maskText(msg, F)).not.toContain(SECRET_MARK);
      }),
      { numRuns: 500 },
    );
  });

  it("data with no secret names or shapes is kept exactly", () => {
    fc.assert(
      fc.property(safeTree, (tree) => {
        expect(maskValue(tree, F)).toEqual(tree);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws and always yields something JSON.stringify accepts", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const out = maskValue(value, F);
        expect(() => JSON.stringify(out)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it("is idempotent on JSON data", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = maskValue(value, F);
        expect(maskValue(once, F)).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });
});
