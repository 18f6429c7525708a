import { describe, expect, it } from "vitest";
import type { HttpResponse } from "../../../board/types.js";
import { apiDevice } from "../../support/apiDevice.js";

const SECOND = 1000;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

type Device = ReturnType<typeof apiDevice>;

interface Shot {
  method: string;
  path: string;
  from: string;
  token?: string;
  body?: string;
}

/** Many requests sent at the same instant of the virtual clock; their statuses, in order. */
function flood(d: Device, n: number, shot: (i: number) => Shot): number[] {
  const statuses: number[] = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const s = shot(i);
    const headers: Record<string, string> = s.token ? { authorization: `Bearer ${s.token}` } : {};
    d.net
      .client(() => true, s.from)
      .request(
        {
          method: s.method,
          url: `http://device.sim${s.path}`,
          headers,
          body: s.body,
          timeoutMs: 5_000,
        },
        (_error, res?: HttpResponse) => {
          statuses[i] = res ? res.status : -1;
        },
      );
  }
  d.clock.advance(2);
  return statuses;
}

/** An address per request: a flood that rotates its source. */
const rotating = (i: number) => `10.${100 + ((i >> 8) & 63)}.${i & 255}.7`;

const tally = (statuses: number[]) => {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
};

/** Every JSON line of a trail's files in flash, oldest file first. */
function linesIn(d: Device, trail: string): Array<Record<string, any>> {
  const storage = d.board.storage;
  const files = storage
    .list(`${trail}.`)
    .sort((a, b) => parseInt(a.split(".")[1], 36) - parseInt(b.split(".")[1], 36));
  return files.flatMap((f) =>
    (storage.read(f) ?? "")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l)),
  );
}

function started(options: Parameters<typeof apiDevice>[0] = {}) {
  const d = apiDevice(options);
  d.actor.start();
  d.clock.advance(5 * SECOND);
  return d;
}

describe("the audit trail and the log under a flood of refused requests", () => {
  it("keeps an operator's records through 1,000 anonymous refused writes from many addresses, the flood summed up", () => {
    const d = started();
    const firstLog = linesIn(d, "log")[0];
    expect(firstLog).toBeDefined();
    const operator = d.token({ sub: "op-1", roles: ["operator"] });
    const set = (level: string) =>
      d.call("PUT", "/log-level", { token: operator, body: `{"level":"${level}"}` }).status;
    expect(set("info")).toBe(200);

    const statuses = flood(d, 1_000, (i) => ({
      method: i % 2 === 0 ? "POST" : "PUT",
      path: i % 2 === 0 ? "/reboot" : "/log-level",
      from: rotating(i),
      body: '{"level":"debug"}',
      // Half without a token, half with one forged for a subject of its own.
      token: i % 4 === 1 ? d.token({ sub: `mallory-${i}`, roles: ["admin"] }, "guess") : undefined,
    }));
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(set("warn")).toBe(200);
    d.clock.advance(61 * SECOND);

    const audit = linesIn(d, "audit");
    expect(audit.map((l) => [l.msg, l.who, l.result, l["field.ns"]])).toEqual([
      ["PUT /log-level", "op-1", "200", "sim-ns"],
      ["PUT /log-level", "op-1", "200", "sim-ns"],
    ]);
    // The flood: a few records, one per client and one for all the others, every refusal counted.
    const refused = linesIn(d, "refused");
    expect(refused.length).toBeLessThanOrEqual(9);
    const counted = refused.reduce(
      (sum, l) =>
        sum + Object.values(l.counts as Record<string, number>).reduce((a, b) => a + b, 0),
      0,
    );
    expect(counted).toBe(1_000);
    expect(refused[refused.length - 1].who).toBe("others");

    // The ordinary log: still the line it began with, and one line for the whole flood.
    const log = linesIn(d, "log");
    expect(log[0]).toEqual(firstLog);
    const aboutRefusals = log.filter((l) => l.manager === "api" && /refused/.test(l.msg));
    expect(aboutRefusals.map((l) => l.msg)).toEqual([`refused 1000 request(s) from 9 client(s)`]);
    expect(d.board.resets).toEqual([]);
    d.actor.stop();
  });
});

describe("rate limits under hostile traffic", () => {
  const known = (d: Device) => {
    const token = d.token({ sub: "known" });
    expect(d.call("GET", "/state", { token, from: "10.0.0.1" }).status).toBe(200);
    // Its first use took from the budget for unverified tokens: a second refills it.
    d.clock.advance(SECOND);
    return token;
  };

  it("holds under address rotation: forged tokens cost at most the budget of HMACs; known clients and health checks are served", () => {
    const d = started();
    const token = known(d);
    const statuses = flood(d, 500, (i) => ({
      method: "GET",
      path: "/state",
      from: rotating(i),
      token: d.token({ sub: `mallory-${i}` }, "guess"),
    }));
    // 10 a second across all clients (the default): the rest are refused before any HMAC.
    expect(tally(statuses)).toEqual({ 401: 10, 429: 490 });
    expect(d.call("GET", "/state", { token, from: "10.0.0.1" }).status).toBe(200);
    expect(d.call("GET", "/healthz", { from: "10.9.9.9" }).status).toBe(200);
    // A new token waits for the budget it shares with the flood: told when to come back.
    const newcomer = d.token({ sub: "newcomer" });
    const first = d.call("GET", "/state", { token: newcomer, from: "10.0.0.2" });
    expect([first.status, first.headers["retry-after"]]).toEqual([429, "1"]);
    d.clock.advance(SECOND);
    expect(d.call("GET", "/state", { token: newcomer, from: "10.0.0.2" }).status).toBe(200);
    d.actor.stop();
  });

  it("holds under token churn: one subject's many tokens and respellings evict no one", () => {
    const d = started();
    const token = known(d);
    const now = Math.floor(d.clock.now() / 1000);
    // One subject with many genuine tokens, as a leaked signing service could mint.
    for (let i = 0; i < 30; i++) {
      const churn = d.token({ sub: "churner", exp: now + 600 + i });
      expect(d.call("GET", "/state", { token: churn, from: "10.0.0.3" }).status).toBe(200);
      d.clock.advance(200);
    }
    // The known token spelled otherwise: the scheme's case changes nothing, another spelling of
    // its signature is no token at all.
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const answer = d.call("GET", "/state", {
        headers: { authorization: `${scheme} ${token}` },
        from: "10.0.0.1",
      });
      expect(answer.status).toBe(200);
    }
    const last = ALPHABET.indexOf(token.charAt(token.length - 1));
    const respelled = token.slice(0, -1) + ALPHABET.charAt(last ^ 1);
    expect(d.call("GET", "/state", { token: respelled, from: "10.0.0.1" }).status).toBe(401);
    // The budget spent by a flood: only a token the device still remembers gets through.
    const statuses = flood(d, 40, (i) => ({
      method: "GET",
      path: "/state",
      from: rotating(i),
      token: d.token({ sub: `mallory-${i}` }, "guess"),
    }));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(20);
    expect(d.call("GET", "/state", { token, from: "10.0.0.1" }).status).toBe(200);
    // Remembered by its hash, not by where it comes from.
    expect(d.call("GET", "/state", { token, from: "10.0.0.77" }).status).toBe(200);
    d.actor.stop();
  });

  it("holds under an anonymous flood from one address: 404, 413 and 401 spend its bucket; others are served", () => {
    const d = started();
    const token = known(d);
    const kinds: Array<(i: number) => Shot> = [
      () => ({ method: "POST", path: "/reboot", from: "10.6.6.6" }),
      (i) => ({ method: "GET", path: `/nothing-${i}`, from: "10.6.6.6" }),
      () => ({ method: "POST", path: "/alarms", from: "10.6.6.6", body: "x".repeat(5_000) }),
      (i) => ({
        method: "GET",
        path: "/state",
        from: "10.6.6.6",
        token: d.token({ sub: `m-${i}` }, "guess"),
      }),
    ];
    const statuses = flood(d, 1_000, (i) => kinds[i % 4](i));
    // The burst (20) is all it gets, whatever it sends. A body too large is answered 413 by the
    // transport before any bucket is looked at, but spends one all the same.
    expect(tally(statuses)).toEqual({ 401: 10, 404: 5, 413: 250, 429: 735 });
    expect(tally(statuses.slice(0, 20))).toEqual({ 401: 10, 404: 5, 413: 5 });
    // Unknown routes alone spend a bucket too.
    const lost = flood(d, 30, (i) => ({ method: "GET", path: `/x${i}`, from: "10.5.5.5" }));
    expect(tally(lost)).toEqual({ 404: 20, 429: 10 });

    expect(d.call("GET", "/state", { token, from: "10.0.0.1" }).status).toBe(200);
    const newcomer = d.token({ sub: "newcomer" });
    expect(d.call("GET", "/state", { token: newcomer, from: "10.0.0.2" }).status).toBe(200);
    expect(d.call("GET", "/healthz", { from: "10.9.9.9" }).status).toBe(200);
    // Health checks have buckets of their own: not even the flooding address lost them.
    expect(d.call("GET", "/healthz", { from: "10.6.6.6" }).status).toBe(200);
    d.actor.stop();
  });
});
