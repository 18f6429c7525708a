import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64urlEncode } from "../../../runtime/base64url.js";
import { utf8Encode } from "../../../runtime/utf8.js";
import {
  apiDevice,
  FAKE_ALARMS,
  fakeManager,
  parseAnswer,
  tenant,
} from "../../support/apiDevice.js";

const SECOND = 1000;

type Role = "viewer" | "operator" | "admin";
const RANK: Record<Role | "none", number> = { none: -1, viewer: 0, operator: 1, admin: 2 };

/** Every route with the role it needs, a body it accepts and what it answers when allowed. */
const ROUTES: Array<{
  method: string;
  path: string;
  need: Role | null;
  body?: string;
  ok: number;
}> = [
  { method: "GET", path: "/healthz", need: null, ok: 200 },
  { method: "GET", path: "/readyz", need: "viewer", ok: 200 },
  { method: "GET", path: "/metrics", need: "viewer", ok: 200 },
  { method: "GET", path: "/state", need: "viewer", ok: 200 },
  { method: "GET", path: "/config", need: "viewer", ok: 200 },
  { method: "GET", path: "/alarms", need: "viewer", ok: 200 },
  {
    method: "POST",
    path: "/alarms",
    need: "operator",
    body: '{"keys":["sensor-hot:probe"]}',
    ok: 202,
  },
  { method: "PUT", path: "/log-level", need: "operator", body: '{"level":"debug"}', ok: 200 },
  { method: "POST", path: "/reboot", need: "admin", ok: 202 },
];

describe("device API over real HTTP on loopback", () => {
  const d = apiDevice({
    loopback: true,
    extra: [fakeManager("alarms", FAKE_ALARMS)],
    // The matrix makes many calls from one address, on a clock that stands still while real
    // HTTP runs: limits are tested on their own below.
    api: { port: 0, rateLimit: { burst: 1000, refillPerSec: 1000 }, unverifiedPerSec: 1000 },
  });
  let origin = "";
  beforeAll(async () => {
    origin = `http://127.0.0.1:${await d.started()}`;
    d.clock.advance(120 * SECOND);
  });
  afterAll(() => d.actor.stop());

  const send = async (
    method: string,
    path: string,
    token?: string,
    body?: string,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(origin + path, {
      method,
      body,
      headers: Object.assign(token ? { authorization: `Bearer ${token}` } : {}, headers),
    });
    const text = await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      out[k] = v;
    });
    return parseAnswer({ status: res.status, headers: out, body: text });
  };

  it("answers every role × route as the roles order them, and refuses a missing token with 401", async () => {
    for (const route of ROUTES) {
      for (const role of ["none", "viewer", "operator", "admin"] as const) {
        const token = role === "none" ? undefined : d.token({ roles: [role], sub: `${role}-1` });
        const answer = await send(route.method, route.path, token, route.body);
        const expected =
          route.need === null
            ? route.ok
            : role === "none"
              ? 401
              : RANK[role] >= RANK[route.need]
                ? route.ok
                : 403;
        expect({ route: `${route.method} ${route.path}`, role, status: answer.status }).toEqual({
          route: `${route.method} ${route.path}`,
          role,
          status: expected,
        });
        if (!route.path.startsWith("/metrics") || answer.status !== 200) {
          expect(answer.json).toBeTypeOf("object");
        }
        if (answer.status >= 400) expect(answer.json.error).toBeTypeOf("string");
      }
    }
    expect(d.board.resets).toEqual([]);
    d.clock.advance(SECOND);
    // One admin reached /reboot: the simulated board was reset once, after the 202 went out.
    expect(d.board.resets).toEqual(["api-reboot"]);
    expect(d.contextOf("logger").level).toBe("debug");
    expect(d.contextOf("alarms").acknowledged).toEqual(["sensor-hot:probe", "sensor-hot:probe"]);
  });

  it("refuses another tenant's token with 403", async () => {
    const answer = await send("GET", "/state", d.token({ tenant: "someone-else" }));
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ error: "the token is for another tenant" });
  });

  it("refuses tampered, unsigned, expired and not-yet-valid tokens with 401", async () => {
    const good = d.token();
    const [header, payload, signature] = good.split(".");
    const now = Math.floor(d.clock.now() / 1000);
    const b64 = (o: unknown) => base64urlEncode(utf8Encode(JSON.stringify(o)));
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const flipped = signature[5] === "A" ? "B" : "A";
    const tampered: Record<string, string> = {
      "payload changed": `${header}.${b64(Object.assign({}, claims, { roles: ["admin"] }))}.${signature}`,
      "signature changed": `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`,
      "alg none": `${b64({ alg: "none", typ: "JWT" })}.${payload}.`,
      "alg none, signature kept": `${b64({ alg: "none", typ: "JWT" })}.${payload}.${signature}`,
      "signed with another key": d.token({}, "not-the-device-key"),
      expired: d.token({ iat: now - 7200, nbf: now - 7200, exp: now - 60 }),
      "not yet valid": d.token({ nbf: now + 120 }),
      "not a JWT": "hello",
    };
    for (const [name, token] of Object.entries(tampered)) {
      const answer = await send("GET", "/state", token);
      expect({ name, status: answer.status }).toEqual({ name, status: 401 });
      expect(answer.json.error).toMatch(/token refused|Bearer/);
      expect(answer.body).not.toContain(token);
    }
    // Within the skew (30 s) a token just past its expiry still passes, as the issue asks.
    expect((await send("GET", "/state", d.token({ exp: now - 10 }))).status).toBe(200);
    expect(
      (await send("GET", "/state", "x", undefined, { authorization: "Basic abc" })).status,
    ).toBe(401);
  });

  it("answers bad input with a status and a JSON error: oversize, malformed, unknown, wrong method", async () => {
    const operator = d.token({ roles: ["operator"] });
    const big = await send("POST", "/alarms", operator, `{"keys":["${"x".repeat(5000)}"]}`);
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ error: "payload too large" });
    const malformed = await send("PUT", "/log-level", operator, "{level: debug");
    expect([malformed.status, malformed.json]).toEqual([400, { error: "the body is not JSON" }]);
    const badLevel = await send("PUT", "/log-level", operator, '{"level":"loud"}');
    expect(badLevel.status).toBe(400);
    for (const forMs of ["1h", 999, 86_400_001, 1.5]) {
      const badExpiry = await send(
        "PUT",
        "/log-level",
        operator,
        JSON.stringify({ level: "debug", forMs }),
      );
      expect([badExpiry.status, badExpiry.json]).toEqual([
        400,
        { error: "forMs: must be an integer from 1000 to 86400000" },
      ]);
    }
    const lifted = await send("PUT", "/log-level", operator, '{"level":null}');
    expect([lifted.status, lifted.json]).toEqual([200, { level: null }]);
    const badKeys = await send("POST", "/alarms", operator, '{"keys":"all"}');
    expect(badKeys.status).toBe(400);
    const unknown = await send("GET", "/nothing-here", operator);
    expect([unknown.status, unknown.json]).toEqual([404, { error: "no such route" }]);
    expect((await send("GET", "/__proto__")).status).toBe(404);
    const wrong = await send("DELETE", "/alarms", operator);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("GET, POST");
    expect(wrong.json.error).toMatch(/method not allowed/);
  });
});

describe("device API on the in-memory network", () => {
  it("publishes /metrics that parse strictly, equal what the managers hold, and pass promtool", async () => {
    const { parsePromText } = await import("../../support/promText.js");
    const d = apiDevice({
      extra: [
        fakeManager("alarms", FAKE_ALARMS),
        fakeManager("watchdog", { missedTotal: 4 }),
        fakeManager("ota", { results: { committed: 2, "rolled-back": 1 } }),
      ],
    });
    d.actor.start();
    d.clock.advance(30 * SECOND);
    const viewer = d.token();
    // Requests beyond the default burst (20) add to the API's own counter first.
    for (let i = 0; i < 22; i++) d.call("GET", "/state", { from: "10.7.7.7" });
    expect(d.api().context.rateLimited).toBe(2);
    const sentAt = d.clock.now();
    const answer = d.call("GET", "/metrics", { token: viewer });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const families = parsePromText(answer.body);
    const value = (name: string, labels: Record<string, string> = {}) => {
      const family = families.find((f) => f.name === name);
      const sample = family?.samples.find(
        (s) => JSON.stringify(s.labels) === JSON.stringify(labels),
      );
      return sample?.value;
    };

    const controller = d.actor.getSnapshot();
    for (const id of Object.keys(controller.children)) {
      const state = (controller.children as any)[id].getSnapshot().value;
      const name =
        typeof state === "string" ? state : Object.entries(state).map(([k, v]) => `${k}.${v}`)[0];
      expect(value("device_manager_state", { manager: id, state: name })).toBe(1);
      expect(value("device_manager_restarts_total", { manager: id })).toBe(0);
    }
    const network = d.contextOf("network");
    expect(value("device_network_connections_total")).toBe(network.connections);
    expect(value("device_network_attempts_total")).toBe(network.attempts);
    expect(value("device_watchdog_missed_heartbeats_total")).toBe(4);
    for (const outcome of ["raised", "deduplicated", "delivered", "dropped"] as const) {
      expect(value("device_alarms_total", { outcome })).toBe(FAKE_ALARMS.counters[outcome]);
    }
    expect(value("device_alarms_pending")).toBe(2);
    expect(value("device_log_lines_dropped_total")).toBe(d.contextOf("logger").dropped);
    expect(value("device_ota_results_total", { result: "committed" })).toBe(2);
    expect(value("device_ota_results_total", { result: "rolled-back" })).toBe(1);
    expect(value("device_api_rate_limited_total")).toBe(d.api().context.rateLimited);
    expect(value("device_config_version")).toBeUndefined(); // no document: nothing to report
    // Handled one latency (1 ms) after it was sent, on a clock the device booted at 0.
    expect(value("device_uptime_seconds")).toBe((sentAt + 1) / 1000);
    expect(value("device_free_memory")).toBeGreaterThan(0);
    const auth = d.contextOf("auth");
    expect(value("device_token_expiry_seconds")).toBe((auth.expiresAt - (sentAt + 1)) / 1000);
    expect(auth.expiresAt).toBeGreaterThan(sentAt);

    const { spawnSync } = await import("node:child_process");
    const promtool = spawnSync("promtool", ["check", "metrics"], {
      input: answer.body,
      encoding: "utf8",
    });
    if (promtool.error) {
      console.log("promtool is not installed: skipped `promtool check metrics`");
    } else {
      expect({ status: promtool.status, out: promtool.stdout + promtool.stderr }).toEqual({
        status: 0,
        out: "",
      });
    }
    d.actor.stop();
  });

  it("publishes what the real alarm and watchdog managers hold", async () => {
    const { parsePromText } = await import("../../support/promText.js");
    const d = apiDevice();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    for (let i = 0; i < 5; i++) {
      d.actor.send({
        type: "ALARM",
        alarm: { type: "overheat", severity: "error", source: `probe-${i % 2}` },
      });
    }
    // The radio goes: heartbeats are missed and alarms wait.
    d.board.radio.outageFor(3 * 60 * SECOND);
    d.clock.advance(2 * 60 * SECOND);
    const answer = d.call("GET", "/metrics", { token: d.token() });
    const families = parsePromText(answer.body);
    const value = (name: string, labels: Record<string, string> = {}) =>
      families
        .find((f) => f.name === name)
        ?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    const alarms = d.contextOf("alarms").counters as Record<string, number>;
    expect(alarms.raised).toBe(5);
    for (const outcome of ["raised", "deduplicated", "delivered", "dropped"]) {
      expect(value("device_alarms_total", { outcome })).toBe(alarms[outcome]);
    }
    expect(value("device_alarms_pending")).toBe(alarms.pending);
    const missed = d.contextOf("watchdog").missedTotal as number;
    expect(missed).toBeGreaterThan(0);
    expect(value("device_watchdog_missed_heartbeats_total")).toBe(missed);
    d.actor.stop();
  });

  it("gives a burst beyond the limit 429 with Retry-After, and refills the bucket as configured", () => {
    const d = apiDevice({ api: { rateLimit: { burst: 3, refillPerSec: 1 } } });
    d.actor.start();
    d.clock.advance(5 * SECOND);
    const viewer = d.token();
    // The first call from an unverified token spends its address's bucket; it then counts as its subject.
    expect(d.call("GET", "/state", { token: viewer }).status).toBe(200);
    const burst = [1, 2, 3, 4, 5].map(() => d.call("GET", "/state", { token: viewer }));
    expect(burst.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(burst[3].headers["retry-after"]).toBe("1");
    expect(burst[3].json).toEqual({ error: "too many requests", retryAfterSec: 1 });
    d.clock.advance(SECOND);
    expect([1, 2].map(() => d.call("GET", "/state", { token: viewer }).status)).toEqual([200, 429]);
    d.clock.advance(3 * SECOND);
    const refilled = [1, 2, 3, 4].map(() => d.call("GET", "/state", { token: viewer }).status);
    expect(refilled).toEqual([200, 200, 200, 429]);
    expect(d.api().context.rateLimited).toBe(4);

    // Forged tokens naming a new subject each time still spend one address's bucket.
    const forged = [1, 2, 3, 4].map(
      (i) =>
        d.call("GET", "/state", {
          token: d.token({ sub: `mallory-${i}` }, "guess"),
          from: "10.6.6.6",
        }).status,
    );
    expect(forged).toEqual([401, 401, 401, 429]);
    // Health checks need no token, but each pings the controller: limited like the rest.
    const probes = [1, 2, 3, 4].map(() => d.call("GET", "/healthz", { from: "10.7.7.7" }).status);
    expect(probes).toEqual([200, 200, 200, 429]);
    // Another client is not affected, and a configured burst applies at once, buckets kept.
    expect(
      d.call("GET", "/state", { token: d.token({ sub: "other" }), from: "10.0.0.10" }).status,
    ).toBe(200);
    d.child("api")!.send({
      type: "CONFIGURE",
      settings: { rateLimit: { burst: 1, refillPerSec: 1 } },
    });
    d.clock.advance(10 * SECOND);
    expect([1, 2].map(() => d.call("GET", "/state", { token: viewer }).status)).toEqual([200, 429]);
    expect(d.api().value).toEqual({ running: "serving" });
    d.actor.stop();
  });

  it("audits each authenticated call, and sums up refused ones per client and minute", () => {
    const d = apiDevice();
    d.actor.start();
    d.clock.advance(5 * SECOND);
    const operator = d.token({ sub: "op-1", roles: ["operator"] });
    expect(d.call("PUT", "/log-level", { token: operator, body: '{"level":"warn"}' }).status).toBe(
      200,
    );
    expect(d.call("PUT", "/log-level", { token: operator, body: "{" }).status).toBe(400);
    expect(d.call("POST", "/reboot", { token: operator }).status).toBe(403);
    expect(d.call("POST", "/reboot", { body: "{}", from: "10.1.1.1" }).status).toBe(401);
    // A refused GET of a protected route is counted too.
    expect(d.call("GET", "/state", { from: "10.1.1.1" }).status).toBe(401);
    expect(d.call("GET", "/state", { token: operator }).status).toBe(200);
    d.clock.advance(SECOND);
    expect(d.board.resets).toEqual([]);
    const row = (l: Record<string, unknown>) => [
      l.msg,
      l.who,
      l.result,
      l.role,
      l["field.tenant"],
      l["field.ns"],
    ];
    expect(d.audit.map(row)).toEqual([
      ["PUT /log-level", "op-1", "200", "operator", tenant, "sim-ns"],
      ["PUT /log-level", "op-1", "400 the body is not JSON", "operator", tenant, "sim-ns"],
    ]);
    // Nothing refused is written one record each: the summary comes once the minute is over.
    expect(d.refused).toEqual([]);
    d.clock.advance(60 * SECOND);
    expect(
      d.refused.map((l) => [
        l.msg,
        l.who,
        l.result,
        l.counts,
        l.last,
        l["field.tenant"],
        l["field.ns"],
      ]),
    ).toEqual([
      [
        "refused requests",
        "op-1",
        "1 refused",
        { 403: 1 },
        "POST /reboot 403 role operator is below admin",
        tenant,
        "sim-ns",
      ],
      [
        "refused requests",
        "anonymous@10.1.1.1",
        "2 refused",
        { 401: 2 },
        "GET /state 401 no Authorization header",
        null,
        null,
      ],
    ]);
    expect(d.contextOf("logger").level).toBe("warn");
    d.actor.stop();
  });

  it("answers 503 on protected routes until it has an API key and a tenant, /healthz all along", () => {
    const d = apiDevice({ noApiKey: true });
    d.actor.start();
    d.clock.advance(5 * SECOND);
    const answer = d.call("GET", "/state", { token: d.token() });
    expect([answer.status, answer.json]).toEqual([
      503,
      { error: "device not provisioned", detail: "no API key in flash (api.key)" },
    ]);
    expect(d.call("GET", "/healthz").status).toBe(200);
    d.board.storage.write("api.key", "sim-api-key-0001");
    expect(d.call("GET", "/state", { token: d.token() }).status).toBe(200);
    d.actor.stop();

    // Before registration the device does not know its tenant.
    const early = apiDevice();
    early.actor.start();
    early.clock.advance(50);
    expect(early.call("GET", "/state", { token: early.token() }).json).toEqual({
      error: "device not provisioned",
      detail: "no tenant yet: the device has not registered",
    });
    early.actor.stop();
  });

  it("answers /healthz 503 naming a manager that stopped answering, /readyz 503 naming what is not ready", () => {
    const d = apiDevice({ extra: [fakeManager("wedged", {}, { silent: true })] });
    d.actor.start();
    d.clock.advance(5 * SECOND);
    expect(d.call("GET", "/healthz").status).toBe(200);
    expect(d.call("GET", "/readyz", { token: d.token() }).status).toBe(200);
    d.clock.advance(25 * SECOND);
    const health = d.call("GET", "/healthz");
    expect([health.status, health.json]).toEqual([
      503,
      { error: "managers not answering", unresponsive: ["wedged"] },
    ]);
    d.actor.stop();

    const unready = apiDevice({
      extra: [fakeManager("sensor", {}, { notReady: "no probe attached" })],
    });
    unready.actor.start();
    unready.clock.advance(5 * SECOND);
    const ready = unready.call("GET", "/readyz", { token: unready.token() });
    expect([ready.status, ready.json]).toEqual([
      503,
      { error: "not ready", failing: { sensor: "no probe attached" } },
    ]);
    unready.actor.stop();
  });

  it("backs off while its port is taken, then serves", () => {
    const d = apiDevice({
      before: (net) =>
        net.listen("http://device.sim", (_req, respond) =>
          respond({ status: 418, headers: {}, body: "" }),
        ),
    });
    d.actor.start();
    d.clock.advance(10);
    expect(d.api().value).toBe("backoff");
    expect(d.api().context.lastError).toBe("port: address in use");
    d.net.unlisten("http://device.sim");
    d.clock.advance(60 * SECOND);
    expect(d.api().value).toEqual({ running: "serving" });
    expect(d.call("GET", "/healthz").status).toBe(200);
    d.actor.stop();
  });
});
