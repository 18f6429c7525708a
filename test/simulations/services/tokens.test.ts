import { describe, expect, it } from "vitest";
import type { HttpHandler, ServiceResponse } from "../../../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { type DeviceRecord, startServices } from "../../../simulations/services/index.js";
import { signToken } from "../../../simulations/services/tokens.js";

const DEVICE: DeviceRecord = {
  deviceId: "dev-1",
  key: "dev-1-secret",
  tenant: "acme",
  ns: "plant-1",
  roles: ["device"],
};

const DOC = `${DEVICE.tenant}/${DEVICE.ns}/${DEVICE.deviceId}`;

function services() {
  const clock = new VirtualClock();
  clock.advance(10_000);
  const s = startServices({ clock, devices: [DEVICE] });
  const call = (handler: HttpHandler, method: string, path: string, headers = {}, body = "{}") => {
    let answer: ServiceResponse | undefined;
    handler({ method, path, headers, body }, (res) => {
      answer = res;
    });
    return answer!;
  };
  /** Each service's device route, with the counter of its refusals. */
  const routes = [
    {
      name: "discovery",
      handler: s.discovery.handler,
      method: "POST",
      path: "/v1/token/refresh",
      stats: s.discovery.stats,
    },
    {
      name: "config",
      handler: s.config.handler,
      method: "GET",
      path: `/v1/config/${DOC}`,
      stats: s.config.stats,
    },
    {
      name: "alarms",
      handler: s.alarms.handler,
      method: "POST",
      path: "/v1/alarms",
      stats: s.alarms.stats,
    },
    {
      name: "state",
      handler: s.state.handler,
      method: "GET",
      path: `/v1/state/${DOC}`,
      stats: s.state.stats,
    },
  ];
  return { s, call, routes };
}

const claims = (over: object = {}) =>
  Object.assign(
    { sub: DEVICE.deviceId, tenant: DEVICE.tenant, ns: DEVICE.ns, roles: DEVICE.roles, iat: 0 },
    { exp: 3600 },
    over,
  );

const BAD_TOKENS: Array<[string, Record<string, string>, string]> = [
  ["no token", {}, "missing bearer token"],
  ["another scheme", { authorization: "Basic abc" }, "missing bearer token"],
  ["a malformed token", { authorization: "Bearer not-a-jwt" }, "malformed token"],
  [
    "a token signed with another key",
    { authorization: `Bearer ${signToken(claims(), "wrong-key")}` },
    "bad signature",
  ],
  [
    "an expired token",
    { authorization: `Bearer ${signToken(claims({ exp: 5 }), DEVICE.key)}` },
    "token expired",
  ],
];

describe("the device-token check every service shares", () => {
  for (const [what, headers, reason] of BAD_TOKENS) {
    it(`answers ${what} with the same 401, reason and challenge on every service`, () => {
      const { call, routes } = services();
      for (const route of routes) {
        const before = route.stats.refused;
        const res = call(route.handler, route.method, route.path, headers);
        expect({ service: route.name, status: res.status, body: JSON.parse(res.body) }).toEqual({
          service: route.name,
          status: 401,
          body: { error: reason },
        });
        expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
        expect(route.stats.refused).toBe(before + 1);
      }
    });
  }

  it("lets a good token through on every service", () => {
    const { call, routes } = services();
    const headers = {
      authorization: `Bearer ${signToken(claims(), DEVICE.key)}`,
      "idempotency-key": "batch-1",
    };
    for (const route of routes) {
      const res = call(route.handler, route.method, route.path, headers);
      expect({ service: route.name, status: res.status }).not.toEqual({
        service: route.name,
        status: 401,
      });
      expect(route.stats.refused).toBe(0);
    }
  });

  it("refuses an operator without the admin key, on the config and state services alike", () => {
    const { s, call } = services();
    const edits = [
      { handler: s.config.handler, path: `/v1/admin/config/${DOC}`, stats: s.config.stats },
      { handler: s.state.handler, path: `/v1/admin/state/${DOC}/desired`, stats: s.state.stats },
    ];
    for (const edit of edits) {
      for (const headers of [{}, { "x-admin-key": "sim-admi" }, { "x-admin-key": "sim-admin!" }]) {
        const res = call(edit.handler, "PUT", edit.path, headers);
        expect(res.status).toBe(401);
        expect(JSON.parse(res.body)).toEqual({ error: "admin key required" });
      }
      expect(edit.stats.refused).toBe(3);
      const ok = call(edit.handler, "PUT", edit.path, { "x-admin-key": "sim-admin" });
      expect(ok.status).not.toBe(401);
    }
  });
});
