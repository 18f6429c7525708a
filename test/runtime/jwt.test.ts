import { createHash } from "node:crypto";
import fc from "fast-check";
import { generateKeyPair, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { base64urlDecode, base64urlEncode } from "../../runtime/base64url.js";
import { hmacSha256 } from "../../runtime/hmac.js";
import {
  decodeJwtUnverified,
  type JwtClaims,
  type JwtError,
  signJwt,
  verifyJwt,
} from "../../runtime/jwt.js";

type Verdict = "ok" | JwtError;

const KEY = new TextEncoder().encode("a key of thirty-two bytes, ok?!!");
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;

/** jose's verdict, in this module's words, for the checks `verifyJwt` promises. */
async function jose(token: unknown, key: Uint8Array, nowMs: number, skewMs = 30_000) {
  try {
    await jwtVerify(token as string, key, {
      algorithms: ["HS256"],
      requiredClaims: ["sub", "exp"],
      currentDate: new Date(nowMs),
      clockTolerance: skewMs / 1000,
    });
    return "ok";
  } catch (error) {
    const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
    // A missing or non-string alg is an unsupported algorithm here (jose: an invalid header).
    if (
      code === "ERR_JWS_INVALID" &&
      /"alg" \(Algorithm\) Header Parameter missing/.test(String(error))
    ) {
      return "unsupported-alg";
    }
    if (code === "ERR_JWS_INVALID" || code === "ERR_JWT_INVALID") return "malformed";
    if (code === "ERR_JOSE_ALG_NOT_ALLOWED" || code === "ERR_JOSE_NOT_SUPPORTED") {
      return "unsupported-alg";
    }
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return "bad-signature";
    if (code === "ERR_JWT_EXPIRED") return "expired";
    if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
      return claim === "nbf" && reason === "check_failed" ? "not-yet-valid" : "missing-claim";
    }
    return `jose failed otherwise: ${String(error)}`;
  }
}

function mine(token: unknown, key: Uint8Array | string, nowMs: number, skewMs = 30_000): Verdict {
  const result = verifyJwt(token as string, key, { nowMs, skewMs });
  return result.ok ? "ok" : result.error;
}

/** A correctly signed token over any header and payload text: reaches the checks after the MAC. */
function forge(header: string, payload: string | Uint8Array, key: Uint8Array = KEY): string {
  const input = `${base64urlEncode(header)}.${base64urlEncode(payload)}`;
  return `${input}.${base64urlEncode(hmacSha256(key, input))}`;
}

function baseClaims(extra: Record<string, unknown> = {}): JwtClaims {
  return {
    sub: "device-7",
    tenant: "acme",
    ns: "sensors",
    roles: ["reader"],
    iat: NOW_S - 60,
    nbf: NOW_S - 60,
    exp: NOW_S + 3600,
    ...extra,
  };
}

const REGISTERED = ["sub", "tenant", "ns", "roles", "iat", "nbf", "exp", "__proto__"];
const text = fc.string({ unit: "binary", maxLength: 20 });
const leaf = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
  fc.boolean(),
  fc.constant(null),
);
const extraValue = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(text, leaf, { maxKeys: 3 }),
);
/** Claims around `nowS`: times before and after it, so some tokens are valid and some not. */
const scenario = fc
  .record({
    nowS: fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }),
    skewS: fc.integer({ min: 0, max: 120 }),
    nbfOffset: fc.integer({ min: -400, max: 200 }),
    expOffset: fc.integer({ min: -300, max: 600 }),
    sub: text,
    tenant: text,
    ns: text,
    roles: fc.array(text, { maxLength: 4 }),
    extra: fc.dictionary(
      text.filter((k) => !REGISTERED.includes(k)),
      extraValue,
      { maxKeys: 3 },
    ),
    key: fc.uint8Array({ minLength: 1, maxLength: 80 }),
  })
  .map((s) => ({
    nowMs: s.nowS * 1000,
    skewMs: s.skewS * 1000,
    key: s.key,
    claims: {
      ...s.extra,
      sub: s.sub,
      tenant: s.tenant,
      ns: s.ns,
      roles: s.roles,
      iat: s.nowS + s.nbfOffset,
      nbf: s.nowS + s.nbfOffset,
      exp: s.nowS + s.expOffset,
    } as JwtClaims,
  }));

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe("verifyJwt against jose", () => {
  it("accepts what jose signs exactly when jose accepts it, with the same claims", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(scenario, async ({ nowMs, skewMs, key, claims }) => {
        const token = await new SignJWT(claims)
          .setProtectedHeader({ alg: "HS256", typ: "JWT" })
          .sign(key);
        const result = verifyJwt(token, key, { nowMs, skewMs });
        const verdict = result.ok ? "ok" : result.error;
        seen.add(verdict);
        expect(verdict).toBe(await jose(token, key, nowMs, skewMs));
        if (result.ok) {
          const { payload } = await jwtVerify(token, key, {
            currentDate: new Date(nowMs),
            clockTolerance: 1e9,
          });
          expect(result.claims).toEqual(payload);
        }
      }),
      { numRuns: 200 },
    );
    // The times really straddle the window: all three outcomes came up.
    expect([...seen].sort()).toEqual(["expired", "not-yet-valid", "ok"]);
  });

  it("signs what jose accepts exactly when this verifier does, with the same claims", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ nowMs, skewMs, key, claims }) => {
        const token = signJwt(claims, key);
        const verdict = mine(token, key, nowMs, skewMs);
        expect(verdict).toBe(await jose(token, key, nowMs, skewMs));
        const { payload } = await jwtVerify(token, key, {
          currentDate: new Date(nowMs),
          clockTolerance: 1e9,
        });
        expect(payload).toEqual(plain(claims));
      }),
      { numRuns: 200 },
    );
  });

  it("writes the same token as jose for ASCII claims, and an ASCII payload for any", async () => {
    const claims = baseClaims({ extra: { nested: [1, "two", null, true] } });
    const theirs = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(KEY);
    expect(signJwt(claims, KEY)).toBe(theirs);
    const header = base64urlDecode(signJwt(claims, KEY).split(".")[0]) as Uint8Array;
    expect(new TextDecoder().decode(header)).toBe('{"alg":"HS256","typ":"JWT"}');

    const unicode = baseClaims({ sub: "dé😀\u2028", roles: ["\u007f"] });
    const payload = base64urlDecode(signJwt(unicode, KEY).split(".")[1]) as Uint8Array;
    expect(payload.every((byte) => byte < 0x7f)).toBe(true);
    expect(new TextDecoder().decode(payload)).toContain('"d\\u00E9\\uD83D\\uDE00\\u2028"');
  });

  it("refuses forged tokens (every bit of every character flipped), and the spellings jose accepts", async () => {
    const token = signJwt(baseClaims(), KEY);
    const segments = token.split(".");
    const originalMac = base64urlDecode(segments[2]) as Uint8Array;
    const accepted: string[] = [];
    let tried = 0;
    for (let segment = 0; segment < 3; segment++) {
      for (let position = 0; position < segments[segment].length; position++) {
        for (let bit = 0; bit < 7; bit++) {
          const parts = segments.slice();
          const original = parts[segment];
          const flipped = String.fromCharCode(original.charCodeAt(position) ^ (1 << bit));
          parts[segment] = original.slice(0, position) + flipped + original.slice(position + 1);
          const forged = parts.join(".");
          const where = `segment ${segment}, character ${position}, bit ${bit}`;
          const verdict = mine(forged, KEY, NOW_MS);
          const theirs = await jose(forged, KEY, NOW_MS);
          tried++;
          expect(verdict, where).not.toBe("ok");
          const decoded = parts.map(base64urlDecode);
          if (decoded.every((bytes) => bytes !== null)) {
            // Still canonical base64url: refused, as the MAC covers every other spelling.
            expect(verdict, where).not.toBe("ok");
            expect(verdict, where).toBe(theirs);
          } else if (
            segment === 2 &&
            /^[A-Za-z0-9_-]+$/.test(parts[2]) &&
            Buffer.compare(Buffer.from(parts[2], "base64url"), originalMac) === 0
          ) {
            // The flip hit the unused low bits of the MAC's last character: jose reads the same
            // MAC and accepts; this verifier refuses the second spelling as malformed.
            expect([verdict, theirs], where).toEqual(["malformed", "ok"]);
            accepted.push(where);
          } else {
            // jose reads segments through atob, which skips whitespace; it refuses all the same.
            expect(verdict, where).toBe("malformed");
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(1000);
    // 43 characters carry 32 bytes: the last one has 2 unused bits. A flip keeps the MAC when it
    // gives another alphabet character that differs from the original only in those bits: jose
    // takes those second spellings of one token, this verifier does not.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = segments[2].charAt(42);
    const harmless = [0, 1, 2, 3, 4, 5, 6]
      .filter((bit) => {
        const value = alphabet.indexOf(String.fromCharCode(last.charCodeAt(0) ^ (1 << bit)));
        return value >= 0 && value >> 2 === alphabet.indexOf(last) >> 2;
      })
      .map((bit) => `segment 2, character 42, bit ${bit}`);
    expect(harmless.length).toBeGreaterThan(0);
    expect(accepted).toEqual(harmless);
  });

  it("refuses other algorithms, none included, before looking at the signature", async () => {
    const payload = JSON.stringify(baseClaims());
    const none = forge('{"alg":"none"}', payload);
    const noneUnsigned = none.slice(0, none.lastIndexOf(".") + 1);
    const hs512 = await new SignJWT(baseClaims()).setProtectedHeader({ alg: "HS512" }).sign(KEY);
    const { privateKey } = await generateKeyPair("RS256");
    const rs256 = await new SignJWT(baseClaims())
      .setProtectedHeader({ alg: "RS256" })
      .sign(privateKey);
    const sameKeyHs256Header = forge('{"alg":"RS256","typ":"JWT"}', payload);
    const cases: Array<[string, string]> = [
      ["none, signed", none],
      ["none, empty signature", noneUnsigned],
      ["HS512", hs512],
      ["RS256", rs256],
      ["RS256 header over an HMAC", sameKeyHs256Header],
      ["lowercase hs256", forge('{"alg":"hs256"}', payload)],
      ["unknown critical extension", forge('{"alg":"HS256","crit":["exp"]}', payload)],
    ];
    for (const [name, token] of cases) {
      expect(mine(token, KEY, NOW_MS), name).toBe("unsupported-alg");
      expect(await jose(token, KEY, NOW_MS), name).toBe("unsupported-alg");
    }
    // A missing or non-string alg (jose's "invalid header", mapped in `jose` above).
    for (const header of ['{"typ":"JWT"}', '{"alg":256}', '{"alg":null}', '{"alg":""}']) {
      const token = forge(header, payload);
      expect(mine(token, KEY, NOW_MS), header).toBe("unsupported-alg");
      expect(await jose(token, KEY, NOW_MS), header).toBe("unsupported-alg");
    }
  });

  it("refuses a wrong key, and a good token is accepted", async () => {
    const token = signJwt(baseClaims(), KEY);
    expect(mine(token, KEY, NOW_MS)).toBe("ok");
    expect(await jose(token, KEY, NOW_MS)).toBe("ok");
    const other = KEY.slice();
    other[0] ^= 1;
    expect(mine(token, other, NOW_MS)).toBe("bad-signature");
    expect(await jose(token, other, NOW_MS)).toBe("bad-signature");
    expect(mine(token, "a key of thirty-two bytes, ok?!!", NOW_MS)).toBe("ok");
  });

  it("checks exp and nbf against the clock, with the skew, exactly as jose does", async () => {
    const exp = NOW_S + 100;
    const nbf = NOW_S - 100;
    const token = signJwt(baseClaims({ exp, nbf }), KEY);
    const cases: Array<[number, number, Verdict]> = [
      [exp * 1000 - 1000, 0, "ok"],
      [exp * 1000, 0, "expired"],
      [exp * 1000 + 29_000, 30_000, "ok"],
      [exp * 1000 + 30_000, 30_000, "expired"],
      [exp * 1000 + 60_000, 30_000, "expired"],
      [nbf * 1000, 0, "ok"],
      [nbf * 1000 - 1000, 0, "not-yet-valid"],
      [nbf * 1000 - 30_000, 30_000, "ok"],
      [nbf * 1000 - 31_000, 30_000, "not-yet-valid"],
      [nbf * 1000 - 600_000, 30_000, "not-yet-valid"],
    ];
    for (const [nowMs, skewMs, expected] of cases) {
      expect(mine(token, KEY, nowMs, skewMs), `${nowMs} ± ${skewMs}`).toBe(expected);
      expect(await jose(token, KEY, nowMs, skewMs), `${nowMs} ± ${skewMs}`).toBe(expected);
    }
    // 30 s unless told; between whole seconds the boundary is exact to the millisecond.
    expect(verifyJwt(token, KEY, { nowMs: exp * 1000 + 29_999 }).ok).toBe(true);
    expect(verifyJwt(token, KEY, { nowMs: exp * 1000 + 30_000 }).ok).toBe(false);
    // No usable clock: refused, never accepted.
    expect(verifyJwt(token, KEY, { nowMs: Number.NaN }).ok).toBe(false);
    expect(
      verifyJwt(signJwt(baseClaims({ nbf: undefined }), KEY), KEY, { nowMs: Number.NaN }).ok,
    ).toBe(false);
  });

  it("calls malformed what jose calls malformed", async () => {
    const token = signJwt(baseClaims(), KEY);
    const [h, p, s] = token.split(".");
    const good = JSON.stringify(baseClaims());
    const cases: Array<[string, unknown]> = [
      ["two segments", `${h}.${p}`],
      ["four segments", `${token}.${s}`],
      ["empty", ""],
      ["dots only", ".."],
      ["bad base64url in the header", `${h.slice(0, 5)}*${h.slice(6)}.${p}.${s}`],
      ["bad base64url in the signature", `${h}.${p}.${s.slice(0, 5)}!${s.slice(6)}`],
      ["impossible length", `${h}.${p}.A`],
      ["header not JSON", forge("{alg:HS256}", good)],
      ["header an array", forge('["HS256"]', good)],
      ["payload not JSON", forge('{"alg":"HS256"}', "{sub:1}")],
      ["payload an array", forge('{"alg":"HS256"}', "[1,2]")],
      ["payload null", forge('{"alg":"HS256"}', "null")],
      ["payload a number", forge('{"alg":"HS256"}', "42")],
      ["payload a string", forge('{"alg":"HS256"}', '"sub"')],
      ["payload not UTF-8", forge('{"alg":"HS256"}', new Uint8Array([0x7b, 0xff, 0x7d]))],
      ["trailing comma", forge('{"alg":"HS256"}', '{"sub":"d","exp":9999999999,}')],
      ["single quotes", forge('{"alg":"HS256"}', "{'sub':'d','exp':9999999999}")],
      ["leading zero", forge('{"alg":"HS256"}', '{"sub":"d","exp":09999999999}')],
      ["hex number", forge('{"alg":"HS256"}', '{"sub":"d","exp":0x7fffffff}')],
      ["bad escape", forge('{"alg":"HS256"}', '{"sub":"\\x41","exp":9999999999}')],
      ["trailing text", forge('{"alg":"HS256"}', '{"sub":"d","exp":9999999999} x')],
      ["not a string", 42],
      ["null", null],
    ];
    for (const [name, candidate] of cases) {
      expect(mine(candidate, KEY, NOW_MS), name).toBe("malformed");
      expect(await jose(candidate, KEY, NOW_MS), name).toBe("malformed");
    }
  });

  it("calls missing-claim what jose's requiredClaims and type checks refuse", async () => {
    const header = '{"alg":"HS256"}';
    const cases = [
      '{"exp":9999999999}',
      '{"sub":"d"}',
      '{"sub":"d","exp":"9999999999"}',
      '{"sub":"d","exp":null}',
      '{"sub":"d","exp":9999999999,"nbf":"0"}',
      '{"sub":"d","exp":9999999999,"iat":[]}',
    ];
    for (const payload of cases) {
      const token = forge(header, payload);
      expect(mine(token, KEY, NOW_MS), payload).toBe("missing-claim");
      expect(await jose(token, KEY, NOW_MS), payload).toBe("missing-claim");
    }
  });

  it("is stricter than jose where Espruino could not agree with Node, or a claim is mistyped", async () => {
    const header = '{"alg":"HS256"}';
    const deep = `${"[".repeat(31)}${"]".repeat(31)}`;
    const cases: Array<[string, string, Verdict]> = [
      // RFC 7519 §4 lets a parser refuse duplicates; Espruino would keep the first, Node the last.
      ["duplicate name", '{"sub":"d","exp":1,"exp":9999999999}', "malformed"],
      ["lone surrogate escape", '{"sub":"\\ud800","exp":9999999999}', "malformed"],
      ["lone low surrogate escape", '{"sub":"\\udc00x","exp":9999999999}', "malformed"],
      ["reversed surrogate escapes", '{"sub":"\\ude00\\ud83d","exp":9999999999}', "malformed"],
      [
        "integer beyond 18 digits",
        '{"sub":"d","exp":9999999999,"n":1234567890123456789}',
        "malformed",
      ],
      ["nesting beyond 30 levels", `{"sub":"d","exp":9999999999,"n":${deep}}`, "malformed"],
      ["infinite exp", '{"sub":"d","exp":1e400}', "missing-claim"],
      ["numeric sub", '{"sub":7,"exp":9999999999}', "missing-claim"],
      ["numeric tenant", '{"sub":"d","exp":9999999999,"tenant":7}', "malformed"],
      ["ns an object", '{"sub":"d","exp":9999999999,"ns":{}}', "malformed"],
      ["roles a string", '{"sub":"d","exp":9999999999,"roles":"admin"}', "malformed"],
      ["roles holding a number", '{"sub":"d","exp":9999999999,"roles":["a",1]}', "malformed"],
    ];
    for (const [name, payload, expected] of cases) {
      const token = forge(header, payload);
      expect(mine(token, KEY, NOW_MS), name).toBe(expected);
      expect(await jose(token, KEY, NOW_MS), name).toBe("ok");
    }
    // Right at the limits, both accept.
    const shallow = `${"[".repeat(29)}${"]".repeat(29)}`;
    for (const payload of [
      `{"sub":"d","exp":9999999999,"n":${shallow},"m":123456789012345678,"s":"\\ud83d\\ude00"}`,
    ]) {
      expect(mine(forge(header, payload), KEY, NOW_MS)).toBe("ok");
      expect(await jose(forge(header, payload), KEY, NOW_MS)).toBe("ok");
    }
    // jose's atob takes padding and whitespace inside segments; RFC 7515 has neither. (In the
    // signature only: elsewhere they change the signed text, and both refuse.)
    const token = signJwt(baseClaims(), KEY);
    for (const variant of [`${token}=`, `${token.slice(0, -10)} ${token.slice(-10)}`]) {
      expect(mine(variant, KEY, NOW_MS)).toBe("malformed");
      expect(await jose(variant, KEY, NOW_MS)).toBe("ok");
    }
  });
});

describe("verifyJwt on any input", () => {
  it("never throws on garbage, and refuses it as jose does", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const segment = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 60 });
    const garbage = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({
        unit: fc.constantFrom(".", "A", "e", "y", "J", "=", " ", "é", "😀"),
        maxLength: 80,
      }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join(".")),
      fc.tuple(segment, segment).map(([payload, sig]) => `eyJhbGciOiJIUzI1NiJ9.${payload}.${sig}`),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (token) => {
        const verdict = mine(token, KEY, NOW_MS);
        expect(verdict).not.toBe("ok");
        expect(await jose(token, KEY, NOW_MS)).not.toBe("ok");
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withTypedArray: true }), (value) => {
        expect(() => verifyJwt(value as string, KEY, { nowMs: NOW_MS })).not.toThrow();
        expect(mine(value, KEY, NOW_MS)).not.toBe("ok");
      }),
    );
  });

  it("refuses huge tokens unread, and reads them without throwing when allowed to", () => {
    const token = signJwt(baseClaims({ pad: "x".repeat(20_000) }), KEY);
    expect(verifyJwt(token, KEY, { nowMs: NOW_MS })).toMatchObject({
      ok: false,
      error: "malformed",
    });
    expect(verifyJwt(token, KEY, { nowMs: NOW_MS, maxLength: 50_000 }).ok).toBe(true);
    const huge = `${"A".repeat(1_000_000)}.${"B".repeat(1_000_000)}.${"C".repeat(43)}`;
    expect(mine(huge, KEY, NOW_MS)).toBe("malformed");
    const bigVerdict = verifyJwt(huge, KEY, { nowMs: NOW_MS, maxLength: Number.POSITIVE_INFINITY });
    expect(bigVerdict.ok).toBe(false);
  });

  it("never throws on odd keys either, and refuses an empty one", () => {
    const token = signJwt(baseClaims(), KEY);
    for (const key of [null, undefined, 42, {}]) {
      expect(mine(token, key as unknown as string, NOW_MS)).toBe("bad-signature");
    }
    // The API takes a string; jose would also take the token's bytes.
    expect(mine(new TextEncoder().encode(token), KEY, NOW_MS)).toBe("malformed");
    const emptyKeyToken = forge('{"alg":"HS256"}', JSON.stringify(baseClaims()), new Uint8Array(0));
    expect(mine(emptyKeyToken, new Uint8Array(0), NOW_MS)).toBe("bad-signature");
    expect(mine(emptyKeyToken, "", NOW_MS)).toBe("bad-signature");
  });
});

describe("signJwt", () => {
  it("refuses claims verifyJwt would refuse, and an empty key", () => {
    expect(() => signJwt(baseClaims({ sub: undefined }), KEY)).toThrow(/sub/);
    expect(() => signJwt(baseClaims({ exp: Number.NaN }), KEY)).toThrow(/exp/);
    expect(() => signJwt(baseClaims({ nbf: Number.POSITIVE_INFINITY }), KEY)).toThrow(/nbf/);
    expect(() => signJwt(baseClaims({ roles: ["a", 1] }), KEY)).toThrow(/roles/);
    expect(() => signJwt(baseClaims(), "")).toThrow(/empty key/);
    // Beyond what the verifier's grammar takes: a lone surrogate, a 21-digit integer.
    expect(() => signJwt(baseClaims({ roles: ["\ud800"] }), KEY)).toThrow(/JSON/);
    expect(() => signJwt(baseClaims({ n: 1.2e20 }), KEY)).toThrow(/JSON/);
    expect(signJwt(baseClaims({ n: 1.2e21 }), KEY)).toMatch(/^eyJ/);
  });

  it("uses the hash it is given, for signing and for checking", () => {
    const native = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
    const token = signJwt(baseClaims(), KEY);
    expect(signJwt(baseClaims(), KEY, native)).toBe(token);
    expect(verifyJwt(token, KEY, { nowMs: NOW_MS }, native).ok).toBe(true);
    const broken = (data: Uint8Array) => native(data).map((b) => b ^ 1);
    expect(verifyJwt(token, KEY, { nowMs: NOW_MS }, broken)).toMatchObject({
      error: "bad-signature",
    });
  });
});

describe("decodeJwtUnverified", () => {
  it("reads the claims of any well-formed token, trusted or not", () => {
    const claims = baseClaims({ exp: NOW_S - 10 });
    const token = signJwt(claims, KEY);
    expect(decodeJwtUnverified(token)).toEqual(claims);
    const other = signJwt(claims, "another key");
    expect(decodeJwtUnverified(other)?.exp).toBe(NOW_S - 10);
  });

  it("gives null for anything else, without throwing", () => {
    expect(decodeJwtUnverified(forge('{"alg":"HS256"}', "[1]"))).toBeNull();
    expect(decodeJwtUnverified(forge('{"alg":"HS256"}', '{"exp":1}'))).toBeNull();
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.anything()), (value) => {
        expect(decodeJwtUnverified(value as string)).toBeNull();
      }),
    );
  });
});
