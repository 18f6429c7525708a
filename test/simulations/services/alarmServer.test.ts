import { afterEach, describe, expect, it } from "vitest";
import { loopbackHttp } from "../../../board/node/loopbackHttp.js";
import { realClock } from "../../../board/node/realClock.js";
import type { ServiceResponse } from "../../../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { HttpResponse } from "../../../board/types.js";
import type { ReportedAlarm } from "../../../simulations/services/alarmServer.js";
import {
  type DeviceRecord,
  serveServicesOnLoopback,
  startServices,
} from "../../../simulations/services/index.js";
import { signToken } from "../../../simulations/services/tokens.js";

const ALPHA: DeviceRecord = {
  deviceId: "dev-alpha",
  key: "alpha-secret-key",
  tenant: "acme",
  ns: "plant-1",
  roles: ["device"],
};
const BETA: DeviceRecord = {
  deviceId: "dev-beta",
  key: "beta-secret-key",
  tenant: "globex",
  ns: "plant-9",
  roles: ["device"],
};

const tokenFor = (d: DeviceRecord, key = d.key, exp = 3600) =>
  signToken({ sub: d.deviceId, tenant: d.tenant, ns: d.ns, roles: d.roles, iat: 0, exp }, key);

const alarm = (key: string, over: Partial<ReportedAlarm> = {}): ReportedAlarm => ({
  key,
  type: "sensor-stuck",
  severity: "error",
  source: "sensors",
  count: 3,
  firstSeen: 1_000,
  lastSeen: 5_000,
  details: { channel: 2 },
  ...over,
});

/** The AlarmServer alone on a virtual clock, called without a network in between. */
function server() {
  const clock = new VirtualClock();
  const services = startServices({ clock, devices: [ALPHA, BETA] });
  const alarms = services.alarms;
  /** The answer, or undefined when the server never answers. */
  const post = (
    body: unknown,
    options: { device?: DeviceRecord; token?: string; batchKey?: string; method?: string } = {},
  ): ServiceResponse | undefined => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const token = options.token ?? tokenFor(options.device ?? ALPHA);
    if (token !== "") headers.authorization = `Bearer ${token}`;
    if (options.batchKey !== "") headers["idempotency-key"] = options.batchKey ?? "batch-1";
    let answer: ServiceResponse | undefined;
    alarms.handler(
      {
        method: options.method ?? "POST",
        path: "/v1/alarms",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
      },
      (res) => {
        answer = res;
      },
    );
    return answer;
  };
  return { clock, alarms, post };
}

const bodyOf = (res: ServiceResponse | undefined) => JSON.parse(res!.body);

describe("AlarmServer: batches under idempotency keys", () => {
  it("keeps each alarm of a batch and acknowledges every key", () => {
    const s = server();
    s.clock.advance(7_000);
    const res = s.post({ alarms: [alarm("a-1"), alarm("a-2", { type: "overheat", count: 1 })] });
    expect(res!.status).toBe(200);
    expect(bodyOf(res)).toEqual({ acknowledged: ["a-1", "a-2"] });
    expect(s.alarms.alarms(ALPHA.deviceId)).toEqual([
      {
        ...alarm("a-1"),
        deviceId: ALPHA.deviceId,
        tenant: "acme",
        ns: "plant-1",
        receivedAt: 7_000,
        receipts: 1,
      },
      expect.objectContaining({ key: "a-2", type: "overheat", count: 1, receipts: 1 }),
    ]);
    expect(s.alarms.stats).toMatchObject({ batches: 1, accepted: 2, duplicates: 0 });
  });

  it("acknowledges a retried batch again but counts it once, keeping the first copy", () => {
    const s = server();
    s.post({ alarms: [alarm("a-1")] });
    const again = s.post({ alarms: [alarm("a-1", { count: 99 })] });
    expect(bodyOf(again)).toEqual({ acknowledged: ["a-1"] });
    const kept = s.alarms.alarms();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ count: 3, receipts: 2 });
    expect(s.alarms.stats).toMatchObject({ batches: 2, accepted: 1, duplicates: 1 });
  });

  it("acknowledges a key held from an earlier batch inside a new one", () => {
    const s = server();
    s.post({ alarms: [alarm("a-1")] }, { batchKey: "b-1" });
    const res = s.post({ alarms: [alarm("a-1"), alarm("a-2")] }, { batchKey: "b-2" });
    expect(bodyOf(res)).toEqual({ acknowledged: ["a-1", "a-2"] });
    expect(s.alarms.alarms().map((a) => [a.key, a.receipts])).toEqual([
      ["a-1", 2],
      ["a-2", 1],
    ]);
  });

  it("keeps two devices' alarms apart even under the same keys", () => {
    const s = server();
    s.post({ alarms: [alarm("k-1")] }, { device: ALPHA });
    s.post({ alarms: [alarm("k-1", { count: 7 })] }, { device: BETA });
    expect(s.alarms.alarms(ALPHA.deviceId)).toEqual([expect.objectContaining({ count: 3 })]);
    expect(s.alarms.alarms(BETA.deviceId)).toEqual([
      expect.objectContaining({ count: 7, tenant: "globex" }),
    ]);
    expect(s.alarms.stats.duplicates).toBe(0);
  });

  it("refuses a batch key reused for other alarms with 422, applying nothing", () => {
    const s = server();
    s.post({ alarms: [alarm("a-1")] }, { batchKey: "b-1" });
    const res = s.post({ alarms: [alarm("a-2")] }, { batchKey: "b-1" });
    expect(res!.status).toBe(422);
    expect(bodyOf(res).error).toMatch(/idempotency-key/);
    expect(s.alarms.alarms().map((a) => a.key)).toEqual(["a-1"]);
  });
});

describe("AlarmServer: refusals", () => {
  it("refuses missing, forged and expired tokens with 401", () => {
    const s = server();
    const missing = s.post({ alarms: [alarm("a")] }, { token: "" });
    const forged = s.post({ alarms: [alarm("a")] }, { token: tokenFor(ALPHA, "wrong-key") });
    s.clock.advance(10_000);
    const expired = s.post({ alarms: [alarm("a")] }, { token: tokenFor(ALPHA, ALPHA.key, 5) });
    expect([missing, forged, expired].map((r) => [r!.status, bodyOf(r).error])).toEqual([
      [401, "missing bearer token"],
      [401, "bad signature"],
      [401, "token expired"],
    ]);
    expect(missing!.headers["www-authenticate"]).toContain("invalid_token");
    expect(s.alarms.alarms()).toEqual([]);
    expect(s.alarms.stats.refused).toBe(3);
  });

  it("answers bad bodies with 400 naming the first problem, and keeps nothing of them", () => {
    const s = server();
    const cases: Array<[unknown, RegExp, string?]> = [
      ["{not json", /JSON object/],
      [[alarm("a")], /JSON object/],
      [{ alarms: [] }, /1 to 100 alarms/],
      [{ alarms: Array.from({ length: 101 }, (_, i) => alarm(`k${i}`)) }, /1 to 100 alarms/],
      [{ alarms: [alarm("a"), 5] }, /alarms\[1\]: must be an object/],
      [{ alarms: [alarm("")] }, /alarms\[0\]\.key/],
      [{ alarms: [alarm("a", { type: "x".repeat(65) })] }, /alarms\[0\]\.type/],
      [{ alarms: [alarm("a", { severity: "fatal" as never })] }, /alarms\[0\]\.severity/],
      [{ alarms: [alarm("a", { count: 0 })] }, /alarms\[0\]\.count/],
      [{ alarms: [alarm("a", { count: 1.5 })] }, /alarms\[0\]\.count/],
      [{ alarms: [alarm("a", { firstSeen: "x" as never })] }, /firstSeen/],
      [{ alarms: [alarm("a", { lastSeen: 0 })] }, /lastSeen: must not be before/],
      [{ alarms: [alarm("a"), alarm("a")] }, /alarms\[1\]\.key: repeated/],
      [{ alarms: [alarm("a")] }, /idempotency-key header/, ""],
    ];
    for (const [body, error, batchKey] of cases) {
      const res = s.post(body, { batchKey });
      expect(res!.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(bodyOf(res).error).toMatch(error);
    }
    expect(s.alarms.alarms()).toEqual([]);
    expect(s.alarms.stats.invalid).toBe(cases.length);
  });

  it("answers other methods with 405 and other paths with 404", () => {
    const s = server();
    const get = s.post({ alarms: [alarm("a")] }, { method: "GET" });
    expect(get!.status).toBe(405);
    expect(get!.headers.allow).toBe("POST");
    let other: ServiceResponse | undefined;
    s.alarms.handler({ method: "POST", path: "/v1/alarm", headers: {}, body: "" }, (r) => {
      other = r;
    });
    expect(other!.status).toBe(404);
  });
});

describe("AlarmServer: faults", () => {
  it("fails and hangs without applying; malformed and lost answers are applied", () => {
    const s = server();
    s.alarms.faults.failNext(1, 503);
    expect(s.post({ alarms: [alarm("f")] }, { batchKey: "b-f" })!.status).toBe(503);
    s.alarms.faults.hangNext(1);
    expect(s.post({ alarms: [alarm("h")] }, { batchKey: "b-h" })).toBeUndefined();
    expect(s.alarms.alarms()).toEqual([]);

    s.alarms.faults.malformNext(1);
    const malformed = s.post({ alarms: [alarm("m")] }, { batchKey: "b-m" });
    expect(malformed!.status).toBe(200);
    expect(() => JSON.parse(malformed!.body)).toThrow();
    s.alarms.loseNext(1);
    expect(s.post({ alarms: [alarm("l")] }, { batchKey: "b-l" })).toBeUndefined();
    expect(s.alarms.alarms().map((a) => a.key)).toEqual(["m", "l"]);
    expect(s.alarms.stats.lost).toBe(1);

    // The retries after those answers: acknowledged, counted once.
    expect(bodyOf(s.post({ alarms: [alarm("m")] }, { batchKey: "b-m" }))).toEqual({
      acknowledged: ["m"],
    });
    expect(bodyOf(s.post({ alarms: [alarm("l")] }, { batchKey: "b-l" }))).toEqual({
      acknowledged: ["l"],
    });
    expect(s.alarms.alarms().map((a) => [a.key, a.receipts])).toEqual([
      ["m", 2],
      ["l", 2],
    ]);
  });

  it("loses only answers it would have sent as 200", () => {
    const s = server();
    s.alarms.loseNext(1);
    expect(s.post({ alarms: [] })!.status).toBe(400);
    expect(s.post({ alarms: [alarm("a")] })).toBeUndefined();
    expect(s.post({ alarms: [alarm("a")] })!.status).toBe(200);
  });
});

describe("AlarmServer over real loopback sockets", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it("takes a batch over HTTP", async () => {
    const services = startServices({ clock: realClock, devices: [ALPHA] });
    const served = await serveServicesOnLoopback(services);
    close = served.close;
    const token = signToken(
      {
        sub: ALPHA.deviceId,
        tenant: ALPHA.tenant,
        ns: ALPHA.ns,
        roles: ALPHA.roles,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
      },
      ALPHA.key,
    );
    const res = await new Promise<HttpResponse | undefined>((resolve) =>
      loopbackHttp(() => true).request(
        {
          method: "POST",
          url: `${served.alarms}/v1/alarms`,
          headers: {
            authorization: `Bearer ${token}`,
            "idempotency-key": "b-1",
            "content-type": "application/json",
          },
          body: JSON.stringify({ alarms: [alarm("net-1")] }),
          timeoutMs: 5_000,
        },
        (_error, r) => resolve(r),
      ),
    );
    expect(res?.status).toBe(200);
    expect(JSON.parse(res!.body)).toEqual({ acknowledged: ["net-1"] });
    expect(services.alarms.alarms()).toHaveLength(1);
  });
});
