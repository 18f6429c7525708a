import fc from "fast-check";
import { jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { base64urlEncode } from "../../runtime/base64url.js";
import { type ApiAuth, authorize, type Role, roleAtLeast } from "../../runtime/rbac.js";

const KEY = "device api key, thirty-two bytes";
const TENANT = "acme";
const NS = "plant-7";
const NOW_S = 1_700_000_000;
const MAX_LIFETIME_S = 3_600;
const ROLES: Role[] = ["viewer", "operator", "admin"];
const options = {
  key: KEY,
  tenant: TENANT,
  ns: NS,
  nowMs: NOW_S * 1000,
  skewMs: 30_000,
  maxLifetimeSec: MAX_LIFETIME_S,
};

async function sign(claims: Record<string, unknown>, key = KEY, alg = "HS256"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(bytes(key));
}

function bytes(key: string): Uint8Array {
  return new TextEncoder().encode(key);
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: "alice",
    tenant: TENANT,
    ns: NS,
    roles: ["operator"],
    iat: NOW_S - 60,
    exp: NOW_S + 600,
    ...extra,
  };
}

describe("roleAtLeast", () => {
  it("orders viewer < operator < admin", () => {
    for (const have of ROLES) {
      for (const need of ROLES) {
        expect(roleAtLeast(have, need)).toBe(ROLES.indexOf(have) >= ROLES.indexOf(need));
      }
    }
    expect(roleAtLeast("admin", "root" as Role)).toBe(false);
    expect(roleAtLeast("root" as Role, "viewer")).toBe(false);
  });
});

describe("authorize", () => {
  it("grants the highest known role and names the subject and tenant", async () => {
    const token = await sign(claims({ roles: ["viewer", "superuser", "admin", "operator"] }));
    expect(authorize(`Bearer ${token}`, "admin", options)).toEqual({
      ok: true,
      subject: "alice",
      role: "admin",
      tenant: TENANT,
      ns: NS,
    });
    expect(authorize(`bEaReR ${token}`, "viewer", options)).toMatchObject({ ok: true });
  });

  it("answers 401 for a missing or malformed header, never repeating it", async () => {
    const token = await sign(claims());
    const headers = [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      `Bearer  ${token}`,
      `Bearer\t${token}`,
      ` Bearer ${token}`,
      `Bearer ${token} `,
      `Bearer ${token} extra`,
      `Basic ${token}`,
      `Bearer${token}`,
      token,
      `Bearer ${token.slice(0, 20)}\n${token.slice(20)}`,
    ];
    for (const header of headers) {
      const verdict = authorize(header, "viewer", options);
      expect(verdict, String(header)).toMatchObject({ ok: false, status: 401 });
      if (!verdict.ok) expect(verdict.error).not.toContain(token.slice(40));
    }
  });

  it("says which check refused a token", async () => {
    const cases: [Promise<string>, RegExp][] = [
      [sign(claims(), "another key"), /bad-signature/],
      [sign(claims({ exp: NOW_S - 31 })), /expired/],
      [sign(claims({ nbf: NOW_S + 31 })), /not-yet-valid/],
      [sign(claims(), KEY, "HS512"), /unsupported-alg/],
      [sign(claims({ exp: undefined })), /missing-claim/],
      [sign(claims({ iat: undefined })), /missing-claim/],
      [sign(claims({ iat: NOW_S + 31 })), /not-yet-valid/],
      [sign(claims({ iat: NOW_S - 10, exp: NOW_S - 10 + MAX_LIFETIME_S + 1 })), /too-long-lived/],
      [Promise.resolve("not.a.token"), /malformed/],
    ];
    for (const [token, reason] of cases) {
      const verdict = authorize(`Bearer ${await token}`, "viewer", options);
      expect(verdict).toMatchObject({
        ok: false,
        status: 401,
        error: expect.stringMatching(reason),
      });
    }
  });

  it("answers 403 for another tenant, no known role, or a role too low", async () => {
    const cases: [Record<string, unknown>, Role, RegExp][] = [
      [claims({ tenant: "other" }), "viewer", /another tenant/],
      [claims({ tenant: undefined }), "viewer", /another tenant/],
      [claims({ ns: "plant-8" }), "viewer", /another namespace/],
      [claims({ ns: undefined }), "viewer", /another namespace/],
      [claims({ roles: ["superuser", "Admin"] }), "viewer", /no role/],
      [claims({ roles: undefined }), "viewer", /no role/],
      [claims({ roles: ["viewer"] }), "operator", /viewer is below operator/],
      [claims({ roles: ["operator"] }), "admin", /operator is below admin/],
    ];
    for (const [c, need, reason] of cases) {
      const verdict = authorize(`Bearer ${await sign(c)}`, need, options);
      expect(verdict).toMatchObject({
        ok: false,
        status: 403,
        error: expect.stringMatching(reason),
      });
    }
  });

  /** The claim types verifyJwt requires and jose leaves to the caller. */
  function typed({ sub, tenant, ns, roles }: Record<string, unknown>): boolean {
    if (typeof sub !== "string") return false;
    if (tenant !== undefined && typeof tenant !== "string") return false;
    if (ns !== undefined && typeof ns !== "string") return false;
    return (
      roles === undefined || (Array.isArray(roles) && roles.every((r) => typeof r === "string"))
    );
  }

  type Expected =
    | { ok: true; subject: string; role: Role; tenant: string; ns: string }
    | { ok: false; status: 401 | 403; why?: string };

  /**
   * The verdict jose's `jwtVerify` and the rules of the brief give, in `authorize`'s words, for
   * a token signed over `signed` (then perhaps tampered with) sent with `header`.
   */
  async function reference(
    signed: Record<string, unknown>,
    header: string | undefined,
    need: Role,
    key: string,
    nowS: number,
    skewS: number,
  ): Promise<Expected> {
    const match = header === undefined ? null : /^bearer (\S+)$/i.exec(header);
    if (!match) return { ok: false, status: 401 };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(match[1], bytes(key), {
        algorithms: ["HS256"],
        requiredClaims: ["sub", "exp"],
        currentDate: new Date(nowS * 1000),
        clockTolerance: skewS,
      }));
    } catch (error) {
      const { code, claim } = error as { code?: string; claim?: string };
      if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
        return { ok: false, status: 401, why: "bad-signature" };
      }
      // verifyJwt checks the claims' types before the times, jose after: on a mistyped token the
      // two name different reasons, both 401.
      let why: string | undefined;
      if (code === "ERR_JWT_EXPIRED") why = "expired";
      if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && claim === "nbf") why = "not-yet-valid";
      return { ok: false, status: 401, why: typed(signed) ? why : undefined };
    }
    if (!typed(payload)) return { ok: false, status: 401 };
    // The lifetime rules jose has no option for: `iat` required, not in the future, `exp - iat` bounded.
    const { iat, exp } = payload as { iat?: number; exp: number };
    if (iat === undefined) return { ok: false, status: 401, why: "missing-claim" };
    if (iat > nowS + skewS) return { ok: false, status: 401, why: "not-yet-valid" };
    if (exp - iat > MAX_LIFETIME_S) return { ok: false, status: 401, why: "too-long-lived" };
    const { sub, tenant, ns, roles } = payload as {
      sub: string;
      tenant?: string;
      ns?: string;
      roles?: string[];
    };
    if (tenant !== TENANT || ns !== NS) return { ok: false, status: 403 };
    const best = Math.max(-1, ...(roles ?? []).map((r) => ROLES.indexOf(r as Role)));
    if (best < ROLES.indexOf(need)) return { ok: false, status: 403 };
    return { ok: true, subject: sub, role: ROLES[best], tenant, ns: ns as string };
  }

  const role = fc.constantFrom("viewer", "operator", "admin", "root", "Admin", "", "__proto__");
  const claimSet = fc.record(
    {
      sub: fc.oneof(
        { arbitrary: fc.string({ unit: "binary", maxLength: 10 }), weight: 8 },
        fc.constant(7),
      ),
      tenant: fc.oneof(
        { arbitrary: fc.constant(TENANT), weight: 8 },
        fc.constantFrom("other", "", "ACME", 7),
      ),
      ns: fc.oneof({ arbitrary: fc.constant(NS), weight: 8 }, fc.constantFrom("plant-8", "", 7)),
      roles: fc.oneof(
        { arbitrary: fc.array(role, { maxLength: 4 }), weight: 8 },
        fc.constantFrom("admin", [1]),
      ),
      exp: fc.integer({ min: -100, max: 100 }).map((d) => NOW_S + d),
      nbf: fc.integer({ min: -100, max: 100 }).map((d) => NOW_S + d),
      iat: fc.oneof(
        { arbitrary: fc.integer({ min: -100, max: 100 }).map((d) => NOW_S + d), weight: 8 },
        fc.constantFrom(NOW_S - 2 * MAX_LIFETIME_S, NOW_S + 200),
      ),
    },
    { requiredKeys: ["sub", "tenant", "ns", "roles", "iat"] },
  );
  const tampering = fc.oneof(
    { arbitrary: fc.constant("none"), weight: 10 },
    fc.constantFrom(
      "wrong-key",
      "flip-header",
      "flip-payload",
      "flip-signature",
      "truncate",
      "alg-none",
      "HS384",
    ),
  );
  const scheme = fc.oneof(
    { arbitrary: fc.constantFrom("Bearer ", "bearer ", "BEARER "), weight: 8 },
    fc.constantFrom("Bearer  ", "Basic ", "", "Bearer\t"),
  );

  async function tamper(token: string, how: string, c: Record<string, unknown>, key: string) {
    const flip = (segment: number) => {
      const parts = token.split(".");
      const s = parts[segment];
      const i = Math.floor(s.length / 2);
      parts[segment] = s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
      return parts.join(".");
    };
    switch (how) {
      case "wrong-key":
        return sign(c, `${key}!`);
      case "flip-header":
        return flip(0);
      case "flip-payload":
        return flip(1);
      case "flip-signature":
        return flip(2);
      case "truncate":
        return token.slice(0, -3);
      case "alg-none":
        return `${base64urlEncode('{"alg":"none"}')}.${token.split(".")[1]}.`;
      case "HS384":
        return sign(c, key, "HS384");
      default:
        return token;
    }
  }

  it("gives the verdict jose plus the role and tenant rules give, on random tokens", async () => {
    const seen = { ok: 0, 401: 0, 403: 0 };
    await fc.assert(
      fc.asyncProperty(
        claimSet,
        tampering,
        scheme,
        fc.constantFrom(...ROLES),
        fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 60 }),
        async (c, how, prefix, need, key, skewS) => {
          const token = await tamper(await sign(c, key), how, c, key);
          const header = prefix === "" ? undefined : prefix + token;
          const nowS = NOW_S;
          const expected = await reference(c, header, need, key, nowS, skewS);
          const verdict: ApiAuth = authorize(header, need, {
            key,
            tenant: TENANT,
            ns: NS,
            nowMs: nowS * 1000,
            skewMs: skewS * 1000,
            maxLifetimeSec: MAX_LIFETIME_S,
          });
          seen[expected.ok ? "ok" : expected.status]++;
          if (expected.ok) {
            expect(verdict).toEqual(expected);
            return;
          }
          expect(verdict).toMatchObject({ ok: false, status: expected.status });
          if (!verdict.ok) {
            if (expected.why) expect(verdict.error).toContain(expected.why);
            expect(verdict.error).not.toContain(token.split(".")[2] || token);
          }
        },
      ),
      // A fixed seed: the run is the same every time, and so is how often each verdict is reached.
      { numRuns: 700, seed: 7 },
    );
    // Each verdict must have been reached often enough for the comparison to mean something.
    expect(Math.min(seen.ok, seen[401], seen[403])).toBeGreaterThan(20);
  });
});
