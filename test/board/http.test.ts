import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackHttp, serveOnLoopback } from "../../board/node/loopbackHttp.js";
import {
  type HttpHandler,
  MAX_BODY_BYTES,
  type ServiceRequest,
  type ServiceResponse,
  SimulatedNetwork,
} from "../../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type { Http, HttpRequest, HttpResponse } from "../../board/types.js";

const ORIGIN = "http://svc.sim";

/** Every call of `done`, with the clock time it came at. */
function recorder(clock: { now(): number }) {
  const calls: Array<{ at: number; error: string | null; res?: HttpResponse }> = [];
  const done = (error: string | null, res?: HttpResponse) => {
    calls.push({ at: clock.now(), error, res });
  };
  return { calls, done };
}

const ok = (body: string, headers: Record<string, string> = {}): ServiceResponse => ({
  status: 200,
  headers,
  body,
});

function request(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { method: "GET", url: `${ORIGIN}/thing`, timeoutMs: 5000, ...overrides };
}

describe("SimulatedNetwork", () => {
  it("delivers the request after one latency and the answer after another, on the clock", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock, { latencyMs: 50 });
    const seen: Array<{ at: number; req: ServiceRequest }> = [];
    net.listen(ORIGIN, (req, respond) => {
      seen.push({ at: clock.now(), req });
      respond({ status: 201, headers: { "X-Reply": "yes" }, body: `got ${req.body}` });
    });
    const r = recorder(clock);
    net.client().request(
      request({
        method: "post",
        url: "HTTP://SVC.sim:80/a/b?x=1#frag",
        headers: { "Content-Type": "text/plain", Authorization: "Bearer t" },
        body: "hello",
      }),
      r.done,
    );
    clock.advance(49);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toHaveLength(1);
    expect(seen[0].at).toBe(50);
    expect(seen[0].req).toEqual({
      method: "POST",
      path: "/a/b?x=1",
      headers: { host: "svc.sim", "content-type": "text/plain", authorization: "Bearer t" },
      body: "hello",
      remoteAddress: "device.sim",
    });
    clock.advance(49);
    expect(r.calls).toEqual([]);
    clock.advance(1);
    expect(r.calls).toEqual([
      {
        at: 100,
        error: null,
        res: { status: 201, headers: { "x-reply": "yes" }, body: "got hello" },
      },
    ]);
    expect(net.stats).toEqual({ sent: 1, delivered: 1, inFlight: 0 });
  });

  it("answers a handler that responds later when it responds, plus the way back", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock, { latencyMs: 10 });
    net.listen(ORIGIN, (_req, respond) => {
      clock.setTimeout(() => respond(ok("slow")), 300);
    });
    const r = recorder(clock);
    net.client().request(request(), r.done);
    clock.advance(10_000);
    expect(r.calls.map((c) => [c.at, c.error, c.res?.body])).toEqual([[320, null, "slow"]]);
  });

  it("times out a hung server at exactly timeoutMs, once, and ignores a late answer", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock, { latencyMs: 10 });
    let respondLater: ((res: ServiceResponse) => void) | undefined;
    net.listen(ORIGIN, (_req, respond) => {
      respondLater = respond;
    });
    const r = recorder(clock);
    net.client().request(request({ timeoutMs: 500 }), r.done);
    clock.advance(499);
    expect(r.calls).toEqual([]);
    clock.advance(1);
    expect(r.calls).toEqual([{ at: 500, error: "timeout", res: undefined }]);
    respondLater!(ok("too late"));
    // A settled request leaves nothing on the clock, not even for an answer it will ignore.
    expect(clock.pending()).toBe(0);
    clock.advance(10_000);
    expect(r.calls).toHaveLength(1);
    expect(net.stats.inFlight).toBe(0);
  });

  it("fails with network down when the link is down at send, without reaching the server", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock);
    let reached = 0;
    net.listen(ORIGIN, (_req, respond) => {
      reached++;
      respond(ok("x"));
    });
    const r = recorder(clock);
    net.client(() => false).request(request(), r.done);
    // Never from inside request(): the caller has not even got its cancel function yet.
    expect(r.calls).toEqual([]);
    clock.advance(0);
    expect(r.calls).toEqual([{ at: 0, error: "network down", res: undefined }]);
    clock.advance(1000);
    expect(reached).toBe(0);
    expect(r.calls).toHaveLength(1);
  });

  it("fails with network down when the link drops before the answer arrives", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock, { latencyMs: 20 });
    let reached = 0;
    net.listen(ORIGIN, (_req, respond) => {
      reached++;
      respond(ok("x"));
    });
    let up = true;
    const r = recorder(clock);
    net.client(() => up).request(request(), r.done);
    clock.advance(30);
    up = false;
    clock.advance(1000);
    expect(reached).toBe(1);
    expect(r.calls).toEqual([{ at: 40, error: "network down", res: undefined }]);
  });

  it("refuses the connection after a round trip when nothing listens at the origin", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock, { latencyMs: 15 });
    net.listen(ORIGIN, (_req, respond) => respond(ok("x")));
    const r = recorder(clock);
    net.client().request(request({ url: "http://other.sim/thing" }), r.done);
    clock.advance(1000);
    expect(r.calls).toEqual([{ at: 30, error: "connection refused", res: undefined }]);

    net.unlisten(ORIGIN);
    const again = recorder(clock);
    net.client().request(request(), again.done);
    clock.advance(1000);
    expect(again.calls.map((c) => c.error)).toEqual(["connection refused"]);
  });

  it("answers a bad url with an error, not a throw", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock);
    const r = recorder(clock);
    net.client().request(request({ url: "ftp://svc.sim/x" }), r.done);
    clock.advance(1);
    expect(r.calls.map((c) => c.error)).toEqual(["bad url"]);
  });

  it("cancel before delivery keeps the request from the server; after, keeps the answer back", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock, { latencyMs: 20 });
    let reached = 0;
    net.listen(ORIGIN, (_req, respond) => {
      reached++;
      respond(ok("x"));
    });
    const early = recorder(clock);
    const cancelEarly = net.client().request(request(), early.done);
    clock.advance(10);
    cancelEarly();
    clock.advance(10_000);
    expect(reached).toBe(0);
    expect(early.calls).toEqual([]);

    const late = recorder(clock);
    const cancelLate = net.client().request(request(), late.done);
    clock.advance(30);
    expect(reached).toBe(1);
    cancelLate();
    cancelLate();
    clock.advance(10_000);
    expect(late.calls).toEqual([]);
    expect(net.stats.inFlight).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it("turns a throwing handler into a 500 and refuses bodies above 64 KB with 413", () => {
    const clock = new VirtualClock();
    const net = new SimulatedNetwork(clock);
    let reached = 0;
    net.listen(ORIGIN, (req) => {
      reached++;
      throw new Error(`boom on ${req.path}`);
    });
    const r = recorder(clock);
    net.client().request(request(), r.done);
    // "é" is two bytes: 32 Ki of them is 64 KB, one more is over.
    net.client().request(request({ method: "POST", body: "é".repeat(32 * 1024) }), r.done);
    net.client().request(request({ method: "POST", body: "é".repeat(32 * 1024 + 1) }), r.done);
    clock.advance(1000);
    expect(r.calls.map((c) => [c.res?.status, JSON.parse(c.res!.body)])).toEqual([
      [500, { error: "internal server error" }],
      [500, { error: "internal server error" }],
      [413, { error: "payload too large" }],
    ]);
    expect(reached).toBe(2);
  });

  it("calls done exactly once unless cancelled, whatever the timing (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          latencyMs: fc.integer({ min: 0, max: 200 }),
          timeoutMs: fc.integer({ min: 1, max: 2000 }),
          // undefined: the server never answers.
          serverDelay: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
          throws: fc.boolean(),
          linkDownAt: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
          cancelAt: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
          refused: fc.boolean(),
          respondTwice: fc.boolean(),
        }),
        (s) => {
          const clock = new VirtualClock();
          const net = new SimulatedNetwork(clock, { latencyMs: s.latencyMs });
          const handler: HttpHandler = (_req, respond) => {
            if (s.throws) throw new Error("boom");
            if (s.serverDelay === undefined) return;
            clock.setTimeout(() => {
              respond(ok("a"));
              if (s.respondTwice) respond(ok("b"));
            }, s.serverDelay);
          };
          if (!s.refused) net.listen(ORIGIN, handler);
          let up = true;
          if (s.linkDownAt !== undefined) {
            clock.setTimeout(() => {
              up = false;
            }, s.linkDownAt);
          }
          const r = recorder(clock);
          const cancel = net.client(() => up).request(request({ timeoutMs: s.timeoutMs }), r.done);
          let cancelledBeforeDone = false;
          if (s.cancelAt !== undefined) {
            clock.setTimeout(() => {
              cancelledBeforeDone = r.calls.length === 0;
              cancel();
            }, s.cancelAt);
          }
          clock.advance(10_000);
          expect(r.calls.length).toBe(cancelledBeforeDone ? 0 : 1);
          if (r.calls.length === 1) {
            const call = r.calls[0];
            expect(call.at).toBeLessThanOrEqual(s.timeoutMs);
            if (call.error === null) {
              expect(s.refused).toBe(false);
              if (s.throws) expect(call.res!.status).toBe(500);
              else expect(call.res!.body).toBe("a");
            } else {
              expect(["timeout", "network down", "connection refused"]).toContain(call.error);
            }
          }
          expect(net.stats.inFlight).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** The seam's callback as a promise, with how long it took in real time. */
function fetchOver(http: Http, req: HttpRequest) {
  const started = Date.now();
  return new Promise<{ error: string | null; res?: HttpResponse; ms: number }>((resolve) => {
    http.request(req, (error, res) => resolve({ error, res, ms: Date.now() - started }));
  });
}

describe("loopbackHttp against serveOnLoopback", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()!();
  });

  async function serve(handler: HttpHandler) {
    const server = await serveOnLoopback(handler);
    closers.push(server.close);
    return server;
  }

  it("carries method, path, headers and body both ways over real TCP", async () => {
    const seen: ServiceRequest[] = [];
    const server = await serve((req, respond) => {
      seen.push(req);
      respond({ status: 202, headers: { "X-Echo": req.headers["x-probe"] }, body: req.body });
    });
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    const { error, res } = await fetchOver(loopbackHttp(), {
      method: "POST",
      url: `${server.origin}/v1/echo?q=1`,
      headers: { "X-Probe": "abc", "Content-Type": "application/json" },
      body: '{"π":3.14}',
      timeoutMs: 2000,
    });
    expect(error).toBeNull();
    expect(res!.status).toBe(202);
    expect(res!.headers["x-echo"]).toBe("abc");
    expect(res!.body).toBe('{"π":3.14}');
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe("POST");
    expect(seen[0].path).toBe("/v1/echo?q=1");
    expect(seen[0].headers["x-probe"]).toBe("abc");
    expect(seen[0].headers["content-type"]).toBe("application/json");
    expect(seen[0].body).toBe('{"π":3.14}');
  });

  it("times out against a handler that never answers, with a real timer", async () => {
    const server = await serve(() => {});
    const { error, res, ms } = await fetchOver(loopbackHttp(), {
      method: "GET",
      url: `${server.origin}/hang`,
      timeoutMs: 200,
    });
    expect(error).toBe("timeout");
    expect(res).toBeUndefined();
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(2000);
  });

  it("answers 413 above 64 KB without calling the handler", async () => {
    let reached = 0;
    const server = await serve((req, respond) => {
      reached++;
      respond(ok(String(req.body.length)));
    });
    const http = loopbackHttp();
    const over = await fetchOver(http, {
      method: "POST",
      url: `${server.origin}/big`,
      body: "x".repeat(MAX_BODY_BYTES + 1),
      timeoutMs: 5000,
    });
    expect(over.error).toBeNull();
    expect(over.res!.status).toBe(413);
    expect(JSON.parse(over.res!.body)).toEqual({ error: "payload too large" });
    expect(reached).toBe(0);
    const at = await fetchOver(http, {
      method: "POST",
      url: `${server.origin}/big`,
      body: "x".repeat(MAX_BODY_BYTES),
      timeoutMs: 5000,
    });
    expect(at.res!.status).toBe(200);
    expect(at.res!.body).toBe(String(MAX_BODY_BYTES));
  });

  it("answers a throwing handler with a 500 JSON error and keeps serving", async () => {
    const server = await serve((req, respond) => {
      if (req.path === "/throw") throw new Error("handler bug");
      respond(ok("fine"));
    });
    const http = loopbackHttp();
    const bad = await fetchOver(http, {
      method: "GET",
      url: `${server.origin}/throw`,
      timeoutMs: 2000,
    });
    expect(bad.res!.status).toBe(500);
    expect(bad.res!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(bad.res!.body)).toEqual({ error: "internal server error" });
    const good = await fetchOver(http, {
      method: "GET",
      url: `${server.origin}/ok`,
      timeoutMs: 2000,
    });
    expect(good.error).toBeNull();
    expect(good.res!.body).toBe("fine");
  });

  it("maps a closed port to connection refused and a down link to network down", async () => {
    const server = await serveOnLoopback((_req, respond) => respond(ok("x")));
    await server.close();
    const refused = await fetchOver(loopbackHttp(), {
      method: "GET",
      url: `${server.origin}/`,
      timeoutMs: 2000,
    });
    expect(refused.error).toBe("connection refused");

    let reached = 0;
    const live = await serve((_req, respond) => {
      reached++;
      respond(ok("x"));
    });
    const downCalls: Array<string | null> = [];
    const settled = new Promise<void>((resolve) => {
      loopbackHttp(() => false).request(
        { method: "GET", url: `${live.origin}/`, timeoutMs: 2000 },
        (error) => {
          downCalls.push(error);
          resolve();
        },
      );
    });
    // Never from inside request(), even when it knows the answer at once.
    expect(downCalls).toEqual([]);
    await settled;
    expect(downCalls).toEqual(["network down"]);
    expect(reached).toBe(0);
  });

  it("cancel aborts: neither the late answer nor the timeout reaches done", async () => {
    let arrived!: () => void;
    const reachedServer = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let respondLater: ((res: ServiceResponse) => void) | undefined;
    const server = await serve((_req, respond) => {
      respondLater = respond;
      arrived();
    });
    const calls: Array<string | null> = [];
    const cancel = loopbackHttp().request(
      { method: "GET", url: `${server.origin}/slow`, timeoutMs: 300 },
      (error) => calls.push(error),
    );
    await reachedServer;
    cancel();
    respondLater!(ok("after cancel"));
    // Past the timeout too: a cancelled request must not report its timeout either.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toEqual([]);
  });

  it("cancel and timeout close the connection rather than leave it to the server", async () => {
    const sockets: Array<Promise<void>> = [];
    const raw = createServer((req) => {
      sockets.push(new Promise((resolve) => req.socket.once("close", () => resolve())));
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    closers.push(async () => {
      raw.closeAllConnections();
      await new Promise((resolve) => raw.close(resolve));
    });
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`;
    const http = loopbackHttp();
    const cancel = http.request({ method: "GET", url, timeoutMs: 60_000 }, () => {});
    while (sockets.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    cancel();
    await sockets[0];
    const timedOut = await fetchOver(http, { method: "GET", url, timeoutMs: 100 });
    expect(timedOut.error).toBe("timeout");
    expect(sockets).toHaveLength(2);
    await sockets[1];
  });
});
