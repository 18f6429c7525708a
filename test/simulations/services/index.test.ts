import { createHmac } from "node:crypto";
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackHttp } from "../../../board/node/loopbackHttp.js";
import { realClock } from "../../../board/node/realClock.js";
import { type HttpHandler, SimulatedNetwork } from "../../../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { Http, HttpResponse } from "../../../board/types.js";
import { Faults, withFaults } from "../../../simulations/services/faults.js";
import {
  CONFIG_ORIGIN,
  type DeviceRecord,
  DISCOVERY_ORIGIN,
  serveServicesOnLoopback,
  startServices,
} from "../../../simulations/services/index.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const LATENCY = 20;

const ALPHA: DeviceRecord = {
  deviceId: "dev-alpha",
  key: "alpha-secret-key-0123456789abcdef",
  tenant: "acme",
  ns: "plant-1",
  roles: ["sensor"],
};
const BETA: DeviceRecord = {
  deviceId: "dev-beta",
  key: "beta-secret-key-fedcba9876543210",
  tenant: "globex",
  ns: "plant-9",
  roles: ["sensor", "gateway"],
};
const SAMPLE_CONFIG = { sampleRateMs: 1000, thresholds: { temp: 42 } };

interface Reply {
  error: string | null;
  status?: number;
  headers: Record<string, string>;
  text: string;
  json: any;
}

function reply(error: string | null, res?: HttpResponse): Reply {
  let json: unknown;
  try {
    json = res === undefined ? undefined : JSON.parse(res.body);
  } catch (_error) {
    json = undefined;
  }
  return { error, status: res?.status, headers: res?.headers ?? {}, text: res?.body ?? "", json };
}

const proofOf = (key: string, deviceId: string, nonce: string) =>
  createHmac("sha256", key).update(`${deviceId}.${nonce}`).digest("base64url");

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const configPath = (d: DeviceRecord) => `/v1/config/${d.tenant}/${d.ns}/${d.deviceId}`;

/** Discovery and configuration on a simulated network, driven by a virtual clock. */
function simulatedWorld(seed?: number) {
  const clock = new VirtualClock();
  const network = new SimulatedNetwork(clock, { latencyMs: LATENCY });
  const services = startServices({ clock, devices: [ALPHA, BETA], network, seed });
  const http = network.client();
  /** One request, the clock run a millisecond at a time until it settles: timings stay exact. */
  const call = (
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = 5 * SECOND,
  ): Reply & { at: number } => {
    let result: Reply | undefined;
    const started = clock.now();
    http.request(
      {
        method,
        url,
        headers: { "content-type": "application/json", ...headers },
        body:
          body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        timeoutMs,
      },
      (error, res) => {
        result = reply(error, res);
      },
    );
    while (result === undefined && clock.now() - started <= timeoutMs) clock.advance(1);
    if (result === undefined) throw new Error("the request never settled");
    return { ...result, at: clock.now() - started };
  };
  const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    call("POST", `${DISCOVERY_ORIGIN}${path}`, body, headers);
  const register = (device: DeviceRecord) => {
    const { nonce } = post("/v1/register/challenge", { deviceId: device.deviceId }).json;
    const proof = proofOf(device.key, device.deviceId, nonce);
    return post("/v1/register", { deviceId: device.deviceId, nonce, proof });
  };
  const getConfig = (path: string, headers: Record<string, string>) =>
    call("GET", `${CONFIG_ORIGIN}${path}`, undefined, headers);
  return { clock, network, ...services, call, post, register, getConfig };
}

async function verifyWithJose(token: string, key: string, atMs: number) {
  return jwtVerify(token, new TextEncoder().encode(key), {
    algorithms: ["HS256"],
    currentDate: new Date(atMs),
  });
}

describe("service discovery on the simulated network", () => {
  it("registers: challenge, HMAC proof, a token the device can verify with its key", async () => {
    const w = simulatedWorld();
    w.clock.advance(5000 * SECOND);
    const challenge = w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId });
    expect(challenge.status).toBe(200);
    expect(challenge.headers["content-type"]).toBe("application/json");
    expect(challenge.at).toBe(2 * LATENCY);
    const nonce = challenge.json.nonce;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{16,}$/);

    const registered = w.post("/v1/register", {
      deviceId: ALPHA.deviceId,
      nonce,
      proof: proofOf(ALPHA.key, ALPHA.deviceId, nonce),
    });
    expect(registered.status).toBe(200);
    expect(registered.json.expiresIn).toBe(3600);
    const token = registered.json.token as string;
    expect(decodeProtectedHeader(token).alg).toBe("HS256");

    const { payload } = await verifyWithJose(token, ALPHA.key, w.clock.now());
    const now = Math.floor(w.clock.now() / 1000);
    expect(payload).toEqual({
      sub: ALPHA.deviceId,
      tenant: ALPHA.tenant,
      ns: ALPHA.ns,
      roles: ALPHA.roles,
      iat: now,
      nbf: now,
      exp: now + 3600,
    });
    await expect(verifyWithJose(token, BETA.key, w.clock.now())).rejects.toThrow();
    expect(w.discovery.stats).toMatchObject({ challenges: 1, registrations: 1, refused: 0 });
  });

  it("draws its nonces from the seed when given one: the same seed, the same nonces", () => {
    const nonces = (seed?: number) => {
      const w = simulatedWorld(seed);
      const drawn: string[] = [];
      for (let i = 0; i < 3; i++) {
        drawn.push(w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId }).json.nonce);
      }
      // A seeded nonce is still one the registration takes.
      expect(w.register(ALPHA).status).toBe(200);
      return drawn;
    };
    const seeded = nonces(7);
    for (const nonce of seeded) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(seeded).size).toBe(3);
    expect(nonces(7)).toEqual(seeded);
    expect(nonces(8)).not.toEqual(seeded);
    expect(nonces()).not.toEqual(nonces());
  });

  it("refuses a reused nonce, an expired one, another device's, and a bad proof (which spends it)", () => {
    const w = simulatedWorld();
    const challenge = () =>
      w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId }).json.nonce as string;
    const attempt = (nonce: string, proof = proofOf(ALPHA.key, ALPHA.deviceId, nonce)) =>
      w.post("/v1/register", { deviceId: ALPHA.deviceId, nonce, proof });

    const used = challenge();
    expect(attempt(used).status).toBe(200);
    const reused = attempt(used);
    expect(reused.status).toBe(401);
    expect(reused.json).toEqual({ error: "unknown or used nonce" });

    // Valid for 60 s of the clock from when it was issued (the answer takes one latency back).
    const fresh = challenge();
    w.clock.advance(MINUTE - 2 * LATENCY - 1);
    expect(attempt(fresh).status).toBe(200);
    const stale = challenge();
    w.clock.advance(MINUTE - 2 * LATENCY);
    const expired = attempt(stale);
    expect(expired.status).toBe(401);
    expect(expired.json.error).toBe("nonce expired");

    const betas = w.post("/v1/register/challenge", { deviceId: BETA.deviceId }).json.nonce;
    expect(attempt(betas).status).toBe(401);

    const guessed = challenge();
    const bad = attempt(guessed, proofOf("wrong key", ALPHA.deviceId, guessed));
    expect(bad.status).toBe(401);
    expect(bad.json.error).toBe("bad proof");
    expect(attempt(guessed).status).toBe(401);
    expect(w.discovery.stats.refused).toBe(5);
    expect(w.discovery.stats.registrations).toBe(2);
  });

  it("answers 404 for an unknown device, 400 for malformed bodies, 405 and 404 for routes", () => {
    const w = simulatedWorld();
    const unknown = w.post("/v1/register/challenge", { deviceId: "nobody" });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: "unknown device" });
    expect(w.post("/v1/register/challenge", "{not json").status).toBe(400);
    expect(w.post("/v1/register/challenge", { device: "dev-alpha" }).status).toBe(400);
    expect(w.post("/v1/register/challenge", [ALPHA.deviceId]).status).toBe(400);
    expect(w.post("/v1/register", { deviceId: ALPHA.deviceId, nonce: "n" }).status).toBe(400);
    const get = w.call("GET", `${DISCOVERY_ORIGIN}/v1/register/challenge`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
    expect(w.post("/v1/nothing", {}).status).toBe(404);
    expect(w.discovery.stats.challenges).toBe(0);
  });

  it("refreshes a valid token, refuses an expired, forged or rotated-out one with 401", async () => {
    const w = simulatedWorld();
    const token = w.register(ALPHA).json.token as string;
    w.clock.advance(30 * MINUTE);
    const refreshed = w.post("/v1/token/refresh", undefined, bearer(token));
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.expiresIn).toBe(3600);
    const { payload } = await verifyWithJose(refreshed.json.token, ALPHA.key, w.clock.now());
    expect(payload.iat).toBe(Math.floor(w.clock.now() / 1000));
    expect(payload.exp).toBe(Math.floor(w.clock.now() / 1000) + 3600);

    // The first token's hour is up; the refreshed one still has half an hour.
    w.clock.advance(30 * MINUTE);
    const expired = w.post("/v1/token/refresh", undefined, bearer(token));
    expect(expired.status).toBe(401);
    expect(expired.json.error).toBe("token expired");
    expect(expired.headers["www-authenticate"]).toContain("Bearer");
    expect(w.post("/v1/token/refresh", undefined, bearer(refreshed.json.token)).status).toBe(200);

    const forged = await new SignJWT({ tenant: ALPHA.tenant, ns: ALPHA.ns, roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(ALPHA.deviceId)
      .setIssuedAt(Math.floor(w.clock.now() / 1000))
      .setExpirationTime(Math.floor(w.clock.now() / 1000) + 600)
      .sign(new TextEncoder().encode("not the device key"));
    const refusedForged = w.post("/v1/token/refresh", undefined, bearer(forged));
    expect(refusedForged.status).toBe(401);
    expect(refusedForged.json.error).toBe("bad signature");
    expect(w.post("/v1/token/refresh").status).toBe(401);
    expect(w.post("/v1/token/refresh", undefined, { authorization: token }).status).toBe(401);

    const current = w.register(ALPHA).json.token as string;
    w.discovery.setKey(ALPHA.deviceId, "rotated-key");
    expect(w.post("/v1/token/refresh", undefined, bearer(current)).status).toBe(401);
  });

  it("accepts tokens jose signed with the device key, and refuses alg none", async () => {
    const w = simulatedWorld();
    w.clock.advance(HOUR);
    const now = Math.floor(w.clock.now() / 1000);
    const claims = { tenant: ALPHA.tenant, ns: ALPHA.ns, roles: ALPHA.roles };
    const joseToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(ALPHA.deviceId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(ALPHA.key));
    expect(w.post("/v1/heartbeat", {}, bearer(joseToken)).status).toBe(200);

    const part = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const unsigned = `${part({ alg: "none" })}.${part({ sub: ALPHA.deviceId, ...claims, exp: now + 60 })}.`;
    const none = w.post("/v1/heartbeat", {}, bearer(unsigned));
    expect(none.status).toBe(401);
    expect(none.json.error).toBe("unsupported algorithm");
    // Even with a correct HMAC-SHA256 signature, a header naming another algorithm is refused.
    const body = `${part({ alg: "HS384" })}.${part({ sub: ALPHA.deviceId, ...claims, exp: now + 60 })}`;
    const mislabelled = `${body}.${createHmac("sha256", ALPHA.key).update(body).digest("base64url")}`;
    expect(w.post("/v1/heartbeat", {}, bearer(mislabelled)).json.error).toBe(
      "unsupported algorithm",
    );

    const early = await w.discovery.issueToken(ALPHA.deviceId, ["sensor"], HOUR, { nbf: now + 60 });
    const notYet = w.post("/v1/heartbeat", {}, bearer(early));
    expect(notYet.status).toBe(401);
    expect(notYet.json.error).toBe("token not yet valid");
  });

  it("records heartbeats per device, refuses them without a token, 400 on non-JSON", () => {
    const w = simulatedWorld();
    const token = w.register(BETA).json.token as string;
    w.clock.advance(10 * SECOND);
    const beat = w.post("/v1/heartbeat", { uptimeS: 12, heap: 3400 }, bearer(token));
    expect(beat.status).toBe(200);
    expect(beat.json).toEqual({ ok: true });
    expect(w.discovery.lastHeartbeat(BETA.deviceId)).toEqual({
      at: w.clock.now() - LATENCY,
      body: { uptimeS: 12, heap: 3400 },
    });
    expect(w.discovery.lastHeartbeat(ALPHA.deviceId)).toBeUndefined();
    expect(w.post("/v1/heartbeat", { uptimeS: 13 }).status).toBe(401);
    expect(w.post("/v1/heartbeat", "up!", bearer(token)).status).toBe(400);
    expect(w.discovery.lastHeartbeat(BETA.deviceId)!.body).toEqual({ uptimeS: 12, heap: 3400 });
    expect(w.discovery.stats.heartbeats).toBe(1);
  });
});

describe("configuration server on the simulated network", () => {
  function withDocument() {
    const w = simulatedWorld();
    const set = w.config.setDocument(ALPHA.tenant, ALPHA.ns, ALPHA.deviceId, SAMPLE_CONFIG);
    const token = w.register(ALPHA).json.token as string;
    return { ...w, set, token };
  }

  it("serves the document with an ETag, then 304 with an empty body for the same ETag", () => {
    const w = withDocument();
    expect(w.set.version).toBe(1);
    expect(w.set.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const first = w.getConfig(configPath(ALPHA), bearer(w.token));
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ version: 1, config: SAMPLE_CONFIG });
    expect(first.headers.etag).toBe(w.set.etag);
    expect(w.config.document(ALPHA.tenant, ALPHA.ns, ALPHA.deviceId)!.etag).toBe(w.set.etag);

    const again = w.getConfig(configPath(ALPHA), {
      ...bearer(w.token),
      "if-none-match": first.headers.etag,
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers.etag).toBe(w.set.etag);

    const stale = w.getConfig(configPath(ALPHA), { ...bearer(w.token), "if-none-match": '"old"' });
    expect(stale.status).toBe(200);
    expect(w.config.stats).toMatchObject({ served: 2, notModified: 1 });
  });

  it("answers 404 without a document, 401 for missing, forged and expired tokens", async () => {
    const w = simulatedWorld();
    const token = w.register(ALPHA).json.token as string;
    const missing = w.getConfig(configPath(ALPHA), bearer(token));
    expect(missing.status).toBe(404);
    expect(missing.json.error).toEqual(expect.any(String));

    w.config.setDocument(ALPHA.tenant, ALPHA.ns, ALPHA.deviceId, SAMPLE_CONFIG);
    expect(w.getConfig(configPath(ALPHA), {}).status).toBe(401);
    const forged = await new SignJWT({ tenant: ALPHA.tenant, ns: ALPHA.ns, roles: [] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(ALPHA.deviceId)
      .setIssuedAt(0)
      .setExpirationTime(3600)
      .sign(new TextEncoder().encode(BETA.key));
    const refusedForged = w.getConfig(configPath(ALPHA), bearer(forged));
    expect(refusedForged.status).toBe(401);
    expect(refusedForged.json).toEqual({ error: "bad signature" });

    const expiredNow = await w.discovery.issueToken(ALPHA.deviceId, ALPHA.roles, -SECOND);
    expect(w.getConfig(configPath(ALPHA), bearer(expiredNow)).status).toBe(401);
    expect(w.getConfig(configPath(ALPHA), bearer(token)).status).toBe(200);
    w.clock.advance(HOUR);
    const expired = w.getConfig(configPath(ALPHA), bearer(token));
    expect(expired.status).toBe(401);
    expect(expired.json.error).toBe("token expired");
    expect(w.config.stats.refused).toBe(4);
  });

  it("answers 403 when the token belongs to another tenant, namespace or device", async () => {
    const w = withDocument();
    w.config.setDocument(BETA.tenant, BETA.ns, BETA.deviceId, { other: true });
    const betaToken = w.register(BETA).json.token as string;
    expect(w.getConfig(configPath(ALPHA), bearer(betaToken)).status).toBe(403);
    expect(w.getConfig(configPath(BETA), bearer(w.token)).status).toBe(403);
    const otherTenant = await w.discovery.issueToken(ALPHA.deviceId, ALPHA.roles, HOUR, {
      tenant: "evil-corp",
    });
    const refused = w.getConfig(configPath(ALPHA), bearer(otherTenant));
    expect(refused.status).toBe(403);
    expect(refused.json.error).toEqual(expect.any(String));
    const otherNs = await w.discovery.issueToken(ALPHA.deviceId, ALPHA.roles, HOUR, { ns: "x" });
    expect(w.getConfig(configPath(ALPHA), bearer(otherNs)).status).toBe(403);
    expect(w.getConfig(configPath(BETA), bearer(betaToken)).status).toBe(200);
    expect(w.config.stats.forbidden).toBe(4);
  });

  it("admin PUT bumps the version and the ETag, even for the same content; 401 without key", () => {
    const w = withDocument();
    const admin = (config: unknown, key?: string) =>
      w.call(
        "PUT",
        `${CONFIG_ORIGIN}/v1/admin/config/${ALPHA.tenant}/${ALPHA.ns}/${ALPHA.deviceId}`,
        { config },
        key === undefined ? {} : { "x-admin-key": key },
      );
    expect(admin({ sampleRateMs: 1 }).status).toBe(401);
    expect(admin({ sampleRateMs: 1 }, "guess").status).toBe(401);
    expect(w.config.document(ALPHA.tenant, ALPHA.ns, ALPHA.deviceId)!.version).toBe(1);

    const put = admin({ sampleRateMs: 250 }, "sim-admin");
    expect(put.status).toBe(200);
    expect(put.json.version).toBe(2);
    expect(put.json.etag).not.toBe(w.set.etag);
    const changed = w.getConfig(configPath(ALPHA), {
      ...bearer(w.token),
      "if-none-match": w.set.etag,
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ version: 2, config: { sampleRateMs: 250 } });
    expect(changed.headers.etag).toBe(put.json.etag);

    const same = admin({ sampleRateMs: 250 }, "sim-admin");
    expect(same.json.version).toBe(3);
    expect(same.json.etag).not.toBe(put.json.etag);
    // Whatever it is given, schema or not: refusing it is the device's job.
    expect(admin("not an object", "sim-admin").json.version).toBe(4);
    expect(
      w.call("PUT", `${CONFIG_ORIGIN}/v1/admin/config/a/b/c`, "{}", { "x-admin-key": "sim-admin" })
        .status,
    ).toBe(400);
  });
});

describe("faults", () => {
  it("adds latency on the service's clock", () => {
    const w = simulatedWorld();
    w.discovery.faults.latencyMs = 500;
    const slow = w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId });
    expect(slow.status).toBe(200);
    expect(slow.at).toBe(2 * LATENCY + 500);
    expect(w.discovery.faults.injected.delayed).toBe(1);
    w.discovery.faults.reset();
    expect(w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId }).at).toBe(2 * LATENCY);
  });

  it("fails the next n requests with the status asked, then serves again", () => {
    const w = simulatedWorld();
    w.discovery.faults.failNext(2, 502);
    const first = w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId });
    expect(first.status).toBe(502);
    expect(first.json).toEqual({ error: "injected fault" });
    expect(w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId }).status).toBe(502);
    expect(w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId }).status).toBe(200);
    expect(w.discovery.faults.injected.failed).toBe(2);
    expect(w.discovery.stats.challenges).toBe(1);
    w.config.faults.failNext(1);
    expect(w.getConfig(configPath(ALPHA), {}).status).toBe(503);
  });

  it("hangs the next request until the client times out", () => {
    const w = simulatedWorld();
    w.discovery.faults.hangNext(1);
    const hung = w.call(
      "POST",
      `${DISCOVERY_ORIGIN}/v1/register/challenge`,
      { deviceId: ALPHA.deviceId },
      {},
      3 * SECOND,
    );
    expect(hung.error).toBe("timeout");
    expect(hung.at).toBe(3 * SECOND);
    expect(w.discovery.faults.injected.hung).toBe(1);
    expect(w.discovery.stats.challenges).toBe(0);
    expect(w.post("/v1/register/challenge", { deviceId: ALPHA.deviceId }).status).toBe(200);
  });

  it("malforms the next answer: 200, not JSON, the service's headers (ETag too) kept", () => {
    const w = simulatedWorld();
    const set = w.config.setDocument(ALPHA.tenant, ALPHA.ns, ALPHA.deviceId, SAMPLE_CONFIG);
    const token = w.register(ALPHA).json.token as string;
    w.config.faults.malformNext(1);
    const cut = w.getConfig(configPath(ALPHA), bearer(token));
    expect(cut.status).toBe(200);
    expect(cut.text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(cut.text)).toThrow();
    expect(cut.headers.etag).toBe(set.etag);
    expect(w.config.faults.injected.malformed).toBe(1);
    expect(w.getConfig(configPath(ALPHA), bearer(token)).json.config).toEqual(SAMPLE_CONFIG);

    // Even an error or an empty answer comes back as a 200 that does not parse.
    w.discovery.faults.malformNext(2);
    const notFound = w.post("/v1/register/challenge", { deviceId: "nobody" });
    expect(notFound.status).toBe(200);
    expect(() => JSON.parse(notFound.text)).toThrow();
  });

  it("takes one fault per request, hang before fail before malform, and reset clears all", () => {
    const clock = new VirtualClock();
    const faults = new Faults();
    const handler: HttpHandler = (_req, respond) =>
      respond({ status: 200, headers: {}, body: JSON.stringify({ n: 12345 }) });
    const faulty = withFaults(handler, faults, clock);
    const answers: Array<number | string> = [];
    const send = () =>
      faulty({ method: "GET", path: "/", headers: {}, body: "" }, (res) =>
        answers.push(res.status === 200 ? res.body : res.status),
      );
    faults.malformNext(1);
    faults.failNext(1, 500);
    faults.hangNext(1);
    for (let i = 0; i < 4; i++) send();
    expect(answers).toEqual([500, '{"n":', '{"n":12345}']);
    expect(faults.injected).toEqual({ delayed: 0, failed: 1, hung: 1, malformed: 1 });
    faults.failNext(5);
    faults.latencyMs = 100;
    faults.reset();
    send();
    expect(answers.at(-1)).toBe('{"n":12345}');
    expect(faults.injected).toEqual({ delayed: 0, failed: 0, hung: 0, malformed: 0 });

    // Half of "12345678" is "1234", which parses: the cut must still not.
    const numeric = withFaults(
      (_req, respond) => respond({ status: 200, headers: {}, body: "12345678" }),
      faults,
      clock,
    );
    faults.malformNext(1);
    numeric({ method: "GET", path: "/", headers: {}, body: "" }, (res) => answers.push(res.body));
    expect(() => JSON.parse(String(answers.at(-1)))).toThrow();
    expect(String(answers.at(-1)).startsWith("1234")).toBe(true);
  });
});

describe("the main flow over real loopback", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()!();
  });

  function call(http: Http, method: string, url: string, body?: unknown, headers = {}) {
    return new Promise<Reply>((resolve) => {
      http.request(
        {
          method,
          url,
          headers: { "content-type": "application/json", ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: 5 * SECOND,
        },
        (error, res) => resolve(reply(error, res)),
      );
    });
  }

  it("registers, fetches the configuration with ETag/304, refreshes and beats", async () => {
    const services = startServices({ clock: realClock, devices: [ALPHA, BETA] });
    const origins = await serveServicesOnLoopback(services);
    closers.push(origins.close);
    expect(origins.discovery).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(origins.config).not.toBe(origins.discovery);
    const set = services.config.setDocument(ALPHA.tenant, ALPHA.ns, ALPHA.deviceId, SAMPLE_CONFIG);
    const http = loopbackHttp();

    const challenge = await call(http, "POST", `${origins.discovery}/v1/register/challenge`, {
      deviceId: ALPHA.deviceId,
    });
    expect(challenge.status).toBe(200);
    const nonce = challenge.json.nonce;
    const registered = await call(http, "POST", `${origins.discovery}/v1/register`, {
      deviceId: ALPHA.deviceId,
      nonce,
      proof: proofOf(ALPHA.key, ALPHA.deviceId, nonce),
    });
    expect(registered.status).toBe(200);
    const token = registered.json.token as string;
    const { payload } = await verifyWithJose(token, ALPHA.key, Date.now());
    expect(payload.sub).toBe(ALPHA.deviceId);

    const config = await call(
      http,
      "GET",
      `${origins.config}${configPath(ALPHA)}`,
      undefined,
      bearer(token),
    );
    expect(config.status).toBe(200);
    expect(config.json).toEqual({ version: 1, config: SAMPLE_CONFIG });
    expect(config.headers.etag).toBe(set.etag);
    const unchanged = await call(http, "GET", `${origins.config}${configPath(ALPHA)}`, undefined, {
      ...bearer(token),
      "if-none-match": set.etag,
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe("");

    const refreshed = await call(
      http,
      "POST",
      `${origins.discovery}/v1/token/refresh`,
      undefined,
      bearer(token),
    );
    expect(refreshed.status).toBe(200);
    const beat = await call(
      http,
      "POST",
      `${origins.discovery}/v1/heartbeat`,
      { ok: 1 },
      bearer(refreshed.json.token),
    );
    expect(beat.json).toEqual({ ok: true });
    expect(services.discovery.lastHeartbeat(ALPHA.deviceId)?.body).toEqual({ ok: 1 });
    const forbidden = await call(
      http,
      "GET",
      `${origins.config}${configPath(BETA)}`,
      undefined,
      bearer(token),
    );
    expect(forbidden.status).toBe(403);
  });
});
