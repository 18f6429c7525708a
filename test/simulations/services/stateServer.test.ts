import { afterEach, describe, expect, it } from "vitest";
import { loopbackHttp } from "../../../board/node/loopbackHttp.js";
import { realClock } from "../../../board/node/realClock.js";
import { callHandler, type ServiceResponse } from "../../../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { HttpResponse } from "../../../board/types.js";
import { serveServicesOnLoopback, startServices } from "../../../simulations/services/index.js";
import { StateServer } from "../../../simulations/services/stateServer.js";
import { signToken } from "../../../simulations/services/tokens.js";

const KEY = "state-test-key";
const DEVICE = { sub: "dev-1", tenant: "acme", ns: "plant-1", roles: ["device"] };
const DOC = `/v1/state/${DEVICE.tenant}/${DEVICE.ns}/${DEVICE.sub}`;

function server(maxWaitMs = 30_000) {
  const clock = new VirtualClock();
  const state = new StateServer({
    clock,
    keyOf: (id) => (id === DEVICE.sub ? KEY : undefined),
    maxWaitMs,
  });
  const token = (claims: object = {}) =>
    signToken(Object.assign({ iat: 0, exp: 3600 }, DEVICE, claims), KEY);
  /** Sends one request; the answer is read from `answers` (several when a poll is held). */
  const send = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${token()}` },
  ) => {
    const answers: Array<ServiceResponse & { json: any }> = [];
    callHandler(
      state.handler,
      {
        method,
        path,
        headers,
        body: body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body),
      },
      (res) => {
        let json: unknown;
        try {
          json = res.body === "" ? null : JSON.parse(res.body);
        } catch (_error) {
          json = "not JSON";
        }
        answers.push(Object.assign({ json }, res));
      },
    );
    return answers;
  };
  const admin = (desired: unknown, key = "sim-admin") =>
    send("PUT", `/v1/admin/state/${DEVICE.tenant}/${DEVICE.ns}/${DEVICE.sub}/desired`, desired, {
      "x-admin-key": key,
    });
  return { clock, state, token, send, admin };
}

describe("the StateServer's document", () => {
  it("serves version 0 with empty parts to a device never written to", () => {
    const s = server();
    expect(s.send("GET", DOC)[0]).toMatchObject({
      status: 200,
      json: { version: 0, reported: {}, desired: {} },
    });
  });

  it("applies a reported update with the expected version, and answers 409 with the current one", () => {
    const s = server();
    const first = s.send("PUT", `${DOC}/reported`, { version: 0, reported: { temp: 20 } })[0];
    expect(first).toMatchObject({ status: 200, json: { version: 1 } });
    const stale = s.send("PUT", `${DOC}/reported`, { version: 0, reported: { temp: 21 } })[0];
    expect(stale).toMatchObject({ status: 409, json: { version: 1 } });
    expect(s.state.document(DEVICE.tenant, DEVICE.ns, DEVICE.sub).reported).toEqual({ temp: 20 });

    const token = { authorization: `Bearer ${s.token()}` };
    const viaHeader = s.send(
      "PUT",
      `${DOC}/reported`,
      { reported: { temp: 22 } },
      {
        ...token,
        "if-match": '"1"',
      },
    )[0];
    expect(viaHeader).toMatchObject({ status: 200, json: { version: 2 } });
    expect(s.send("GET", DOC)[0].json).toEqual({ version: 2, reported: { temp: 22 }, desired: {} });
    expect(s.state.stats).toMatchObject({ updates: 2, conflicts: 1 });
  });

  it("bumps the one version for edits of desired too, by the admin route and the method", () => {
    const s = server();
    expect(s.admin({ desired: { logLevel: "debug" } })[0]).toMatchObject({
      status: 200,
      json: { version: 1 },
    });
    expect(s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { logLevel: "warn" })).toBe(2);
    const conflict = s.send("PUT", `${DOC}/reported`, { version: 1, reported: {} })[0];
    expect(conflict).toMatchObject({ status: 409, json: { version: 2 } });
    expect(s.send("GET", DOC)[0].json).toEqual({
      version: 2,
      reported: {},
      desired: { logLevel: "warn" },
    });
  });
});

describe("the StateServer's change poll", () => {
  it("answers at once when desired changed after `after`, else holds until the next change", () => {
    const s = server();
    s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { a: 1 });
    expect(s.send("GET", `${DOC}/changes?after=0`)[0]).toMatchObject({
      status: 200,
      json: { version: 1, desired: { a: 1 } },
    });
    const held = s.send("GET", `${DOC}/changes?after=1`);
    s.clock.advance(10_000);
    expect(held).toEqual([]);
    // A reported update moves the version but not desired: the poll stays held.
    s.send("PUT", `${DOC}/reported`, { version: 1, reported: { t: 1 } });
    expect(held).toEqual([]);
    s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { a: 2 });
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ status: 200, json: { version: 3, desired: { a: 2 } } });
  });

  it("answers 204 when the wait runs out, capped at the server's longest", () => {
    const s = server(20_000);
    const short = s.send("GET", `${DOC}/changes?after=0&wait=5000`);
    const long = s.send("GET", `${DOC}/changes?after=0&wait=999999`);
    s.clock.advance(4_999);
    expect(short).toEqual([]);
    s.clock.advance(1);
    expect(short[0]).toMatchObject({ status: 204, body: "" });
    s.clock.advance(14_999);
    expect(long).toEqual([]);
    s.clock.advance(1);
    expect(long[0].status).toBe(204);
    expect(s.state.stats.expired).toBe(2);
    // Expired polls are forgotten: a later change answers nobody twice.
    s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { a: 1 });
    expect(short).toHaveLength(1);
    expect(long).toHaveLength(1);
  });
});

describe("the StateServer's faults", () => {
  it("duplicates the latest notification, whatever the poll's `after`", () => {
    const s = server();
    s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { a: 1 });
    s.state.stateFaults.duplicateNext(2);
    for (let i = 0; i < 2; i++) {
      expect(s.send("GET", `${DOC}/changes?after=1`)[0].json).toEqual({
        version: 1,
        desired: { a: 1 },
      });
    }
    expect(s.send("GET", `${DOC}/changes?after=1`)).toEqual([]);
    expect(s.state.stateFaults.injected.duplicated).toBe(2);
  });

  it("serves a stale notification: the desired part before the latest, with its own version", () => {
    const s = server();
    s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { a: 1 });
    s.send("PUT", `${DOC}/reported`, { version: 1, reported: {} });
    s.state.setDesired(DEVICE.tenant, DEVICE.ns, DEVICE.sub, { a: 2 });
    s.state.stateFaults.staleNext(1);
    expect(s.send("GET", `${DOC}/changes?after=3`)[0].json).toEqual({
      version: 1,
      desired: { a: 1 },
    });
    expect(s.state.stateFaults.injected.stale).toBe(1);
  });

  it("loses the answer to an applied update", () => {
    const s = server();
    s.state.stateFaults.loseNext(1);
    expect(s.send("PUT", `${DOC}/reported`, { version: 0, reported: { t: 1 } })).toEqual([]);
    expect(s.state.document(DEVICE.tenant, DEVICE.ns, DEVICE.sub)).toMatchObject({
      version: 1,
      reported: { t: 1 },
    });
    // Only applied updates lose their answers: a conflict is still answered.
    s.state.stateFaults.loseNext(1);
    expect(s.send("PUT", `${DOC}/reported`, { version: 0, reported: {} })[0].status).toBe(409);
    expect(s.state.stateFaults.injected.lost).toBe(1);
  });

  it("takes the common faults in front of every route", () => {
    const s = server();
    s.state.faults.failNext(1, 503);
    expect(s.send("GET", DOC)[0].status).toBe(503);
    s.state.faults.malformNext(1);
    expect(s.send("GET", DOC)[0]).toMatchObject({ status: 200, json: "not JSON" });
    s.state.faults.hangNext(1);
    expect(s.send("GET", DOC)).toEqual([]);
  });
});

describe("the StateServer refuses bad input", () => {
  it("401 without a valid token, 403 for another tenant, namespace or device", () => {
    const s = server();
    expect(s.send("GET", DOC, undefined, {})[0].status).toBe(401);
    expect(s.send("GET", DOC, undefined, { authorization: "Bearer x.y.z" })[0].status).toBe(401);
    for (const claims of [{ tenant: "other" }, { ns: "plant-2" }]) {
      const headers = { authorization: `Bearer ${s.token(claims)}` };
      for (const path of [DOC, `${DOC}/changes?after=0`]) {
        expect(s.send("GET", path, undefined, headers)[0]).toMatchObject({
          status: 403,
          json: { error: "token does not cover this document" },
        });
      }
      const update = s.send("PUT", `${DOC}/reported`, { version: 0, reported: {} }, headers)[0];
      expect(update.status).toBe(403);
    }
    expect(s.send("GET", `/v1/state/acme/plant-1/dev-2`)[0].status).toBe(403);
    expect(s.state.stats).toMatchObject({ refused: 2, forbidden: 7, updates: 0 });
  });

  it("400 for malformed JSON and wrong shapes, 428 without a version", () => {
    const s = server();
    const put = (body: unknown, headers: Record<string, string> = {}) =>
      s.send("PUT", `${DOC}/reported`, body, {
        authorization: `Bearer ${s.token()}`,
        ...headers,
      })[0];
    expect(put("{not json")).toMatchObject({ status: 400 });
    expect(put([1, 2])).toMatchObject({ status: 400 });
    expect(put({ version: 0, reported: [1] })).toMatchObject({
      status: 400,
      json: { error: "reported: must be an object" },
    });
    expect(put({ version: -1, reported: {} }).status).toBe(400);
    expect(put({ version: "0", reported: {} }).status).toBe(400);
    expect(put({ reported: {} }, { "if-match": "zero" }).status).toBe(400);
    expect(put({ version: 1, reported: {} }, { "if-match": '"0"' })).toMatchObject({
      status: 400,
      json: { error: "if-match and version disagree" },
    });
    expect(put({ reported: {} }).status).toBe(428);
    expect(s.send("GET", `${DOC}/changes`)[0].status).toBe(400);
    expect(s.send("GET", `${DOC}/changes?after=x`)[0].status).toBe(400);
    expect(s.send("GET", `${DOC}/changes?after=0&wait=-5`)[0].status).toBe(400);
    expect(s.admin("{oops")[0].status).toBe(400);
    expect(s.admin({ desired: "debug" })[0].status).toBe(400);
    expect(s.admin({ desired: {} }, "wrong")[0].status).toBe(401);
    expect(s.state.document(DEVICE.tenant, DEVICE.ns, DEVICE.sub).version).toBe(0);
  });

  it("404 for unknown routes, 405 for wrong methods", () => {
    const s = server();
    for (const path of ["/v1/state", `${DOC}/other`, "/v2/state/a/b/c", `${DOC}/reported/x`]) {
      expect(s.send("GET", path)[0]).toMatchObject({ status: 404, json: { error: "not found" } });
    }
    expect(s.send("GET", `/v1/admin/state/a/b/c/reported`)[0].status).toBe(404);
    expect(s.send("DELETE", DOC)[0]).toMatchObject({ status: 405, headers: { allow: "GET" } });
    expect(s.send("GET", `${DOC}/reported`)[0].status).toBe(405);
    expect(s.send("POST", `${DOC}/changes?after=0`)[0].status).toBe(405);
    expect(s.send("GET", "/v1/state/%E0%A4%A/b/c")[0].status).toBe(400);
  });
});

describe("the StateServer over real loopback", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("holds a long poll over TCP and answers it when desired changes", async () => {
    const services = startServices({
      clock: realClock,
      devices: [{ deviceId: DEVICE.sub, key: KEY, tenant: "acme", ns: "plant-1", roles: [] }],
    });
    const served = await serveServicesOnLoopback(services);
    close = served.close;
    const token = signToken(
      Object.assign({ iat: Math.floor(Date.now() / 1000), exp: 2e9 }, DEVICE),
      KEY,
    );
    const http = loopbackHttp();
    const answer = new Promise<HttpResponse | string>((resolve) =>
      http.request(
        {
          method: "GET",
          url: `${served.state}${DOC}/changes?after=0&wait=5000`,
          headers: { authorization: `Bearer ${token}` },
          timeoutMs: 10_000,
        },
        (error, res) => resolve(error ?? (res as HttpResponse)),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    services.state.setDesired("acme", "plant-1", DEVICE.sub, { logLevel: "debug" });
    const res = (await answer) as HttpResponse;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ version: 1, desired: { logLevel: "debug" } });
  });
});
