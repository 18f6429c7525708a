import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIMULATED_API_KEY } from "../../../simulations/device.js";
import { apiDevice, FAKE_ALARMS, fakeManager } from "../../support/apiDevice.js";
import { rawRequest } from "../../support/rawHttp.js";

const SECOND = 1000;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The same signature bytes spelled otherwise: a spare bit of the last character set. */
function respelled(token: string): string {
  const last = ALPHABET.indexOf(token.charAt(token.length - 1));
  return token.slice(0, -1) + ALPHABET.charAt(last ^ 1);
}

/** A token signed with the device's key over any claims, `exp` missing included. */
function signedAnyway(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", SIMULATED_API_KEY).update(input).digest("base64url")}`;
}

describe("hostile tokens over real HTTP", () => {
  const d = apiDevice({
    loopback: true,
    extra: [fakeManager("alarms", FAKE_ALARMS)],
    // The clock stands still while real HTTP runs: limits are tested in flood.test.ts.
    api: { port: 0, rateLimit: { burst: 1000, refillPerSec: 1000 }, unverifiedPerSec: 1000 },
  });
  let port = 0;
  beforeAll(async () => {
    port = await d.started();
    d.clock.advance(120 * SECOND);
  });
  afterAll(() => d.actor.stop());

  it("answers each case with its status, and no forged, foreign or ageless token reboots", async () => {
    const now = Math.floor(d.clock.now() / 1000);
    const viewer = d.token();
    const admin = (claims: Record<string, unknown> = {}) =>
      d.token(Object.assign({ sub: "root-1", roles: ["admin"] }, claims));
    const bearer = (token: string) => [`authorization: Bearer ${token}`];
    const cases: Array<{ name: string; path?: string; headers: string[]; status: number }> = [
      { name: "a good token", headers: bearer(viewer), status: 200 },
      { name: "scheme in lower case", headers: [`authorization: bearer ${viewer}`], status: 200 },
      { name: "scheme in upper case", headers: [`authorization: BEARER ${viewer}`], status: 200 },
      {
        name: "two spaces after the scheme",
        headers: [`authorization: Bearer  ${viewer}`],
        status: 401,
      },
      { name: "another scheme", headers: [`authorization: Basic ${viewer}`], status: 401 },
      { name: "another namespace", headers: bearer(d.token({ ns: "other-ns" })), status: 403 },
      { name: "no namespace", headers: bearer(d.token({ ns: undefined })), status: 403 },
      {
        name: "admin of another namespace reboots",
        path: "POST /reboot",
        headers: bearer(admin({ ns: "other-ns" })),
        status: 403,
      },
      { name: "another tenant", headers: bearer(d.token({ tenant: "other" })), status: 403 },
      { name: "no iat", headers: bearer(d.token({ iat: undefined })), status: 401 },
      {
        name: "no exp",
        headers: bearer(
          signedAnyway({
            sub: "p",
            tenant: "sim-tenant",
            ns: "sim-ns",
            roles: ["viewer"],
            iat: now,
          }),
        ),
        status: 401,
      },
      {
        name: "iat ahead beyond the skew",
        headers: bearer(d.token({ iat: now + 120 })),
        status: 401,
      },
      {
        name: "iat ahead within the skew",
        headers: bearer(d.token({ iat: now + 10 })),
        status: 200,
      },
      {
        name: "lifetime one second too long",
        headers: bearer(d.token({ iat: now, exp: now + 86_401 })),
        status: 401,
      },
      {
        name: "lifetime at the limit",
        headers: bearer(d.token({ iat: now, exp: now + 86_400 })),
        status: 200,
      },
      {
        name: "admin token for ten years reboots",
        path: "POST /reboot",
        headers: bearer(admin({ iat: now, exp: now + 10 * 365 * 86_400 })),
        status: 401,
      },
      { name: "signature respelled", headers: bearer(respelled(viewer)), status: 401 },
      { name: "signature padded", headers: bearer(`${viewer}=`), status: 401 },
      {
        name: "two Authorization headers, both good",
        headers: [...bearer(viewer), ...bearer(viewer)],
        status: 400,
      },
      {
        name: "two Authorization headers, admin after viewer",
        path: "POST /reboot",
        headers: [...bearer(viewer), ...bearer(admin())],
        status: 400,
      },
      {
        name: "two Authorization headers in different case",
        headers: [`Authorization: Bearer ${viewer}`, `authorization: Bearer ${viewer}`],
        status: 400,
      },
      {
        name: "two tokens in one header",
        headers: [`authorization: Bearer ${viewer}, Bearer ${viewer}`],
        status: 400,
      },
    ];
    const seen: Array<{ name: string; status: number }> = [];
    for (const c of cases) {
      const [method, path] = (c.path ?? "GET /state").split(" ");
      const answer = await rawRequest(port, [
        `${method} ${path} HTTP/1.1`,
        "host: device",
        "connection: close",
        ...c.headers,
      ]);
      seen.push({ name: c.name, status: answer.status });
      expect(answer.head).toMatch(/content-type: application\/json/i);
      if (answer.status >= 400) expect(JSON.parse(answer.body).error).toBeTypeOf("string");
    }
    expect(seen).toEqual(cases.map((c) => ({ name: c.name, status: c.status })));
    d.clock.advance(SECOND);
    expect(d.board.resets).toEqual([]);
  });
});
