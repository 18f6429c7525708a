import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiDevice } from "../../support/apiDevice.js";

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `text` as it is on a new connection and reads one final answer (interim 1xx skipped),
 * framed by its Content-Length. Rejects on a timeout or a connection closed before an answer.
 */
function rawRequest(port: number, text: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 3 s; got ${JSON.stringify(received.toString())}`));
    }, 3000);
    const finish = (answer: RawAnswer | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const tryParse = () => {
      for (;;) {
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = received.subarray(0, end).toString("latin1").split("\r\n");
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0])?.[1]);
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        if (status >= 100 && status < 200) {
          received = received.subarray(end + 4);
          continue;
        }
        const length = Number(headers["content-length"] ?? "0");
        const body = received.subarray(end + 4);
        if (body.length < length) return;
        finish({ status, headers, body: body.subarray(0, length).toString("utf8") });
        return;
      }
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse();
    });
    socket.on("error", () => {});
    socket.on("close", () =>
      finish(new Error(`closed without an answer: ${JSON.stringify(received.toString())}`)),
    );
    socket.write(text);
  });
}

const ROUTE_PATHS = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/state",
  "/config",
  "/alarms",
  "/log-level",
  "/reboot",
];
/** Without CR and LF: a header value that ends the header section would frame another request. */
const noLineBreaks = (s: string) => s.replace(/[\r\n]/g, "");

describe("1,000 generated bad requests over loopback", () => {
  const d = apiDevice({
    loopback: true,
    api: { port: 0, rateLimit: { burst: 1000, refillPerSec: 1000 } },
  });
  let port = 0;
  beforeAll(async () => {
    port = await d.started();
    d.clock.advance(120_000);
  });
  afterAll(() => d.actor.stop());

  it("answers each with a valid status and a JSON body, and keeps serving", async () => {
    const tokens = [
      d.token({ roles: ["viewer"] }),
      d.token({ roles: ["operator"], sub: "op" }),
      d.token({ roles: ["admin"], sub: "root" }),
      d.token({ tenant: "elsewhere" }),
      "a.b.c",
      "",
    ];
    const method = fc.constantFrom(
      "GET",
      "POST",
      "PUT",
      "DELETE",
      "PATCH",
      "OPTIONS",
      "TRACE",
      "CONNECT",
      "BREW",
      "get",
      "",
    );
    const path = fc.oneof(
      fc.constantFrom(...ROUTE_PATHS),
      fc.tuple(fc.constantFrom(...ROUTE_PATHS), fc.string()).map(([p, q]) => `${p}?${q}`),
      fc.string({ maxLength: 40 }).map((s) => `/${s}`),
      fc.constantFrom(
        "*",
        "//state",
        "/state/../reboot",
        "/%00",
        "/%zz",
        `/${"a".repeat(3000)}`,
        "http://x/state",
      ),
    );
    const headerName = fc.oneof(
      fc.constantFrom(
        "authorization",
        "content-type",
        "accept",
        "x-forwarded-for",
        "upgrade",
        "expect",
        "cookie",
        "transfer-encoding",
      ),
      fc.string({ maxLength: 12 }),
    );
    const headerValue = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom(...tokens).map((t) => `Bearer ${t}`),
      fc.constantFrom("application/json", "100-continue", "websocket", "chunked", "x".repeat(9000)),
    );
    const headers = fc.array(
      fc.tuple(headerName.map(noLineBreaks), headerValue.map(noLineBreaks)),
      { maxLength: 4 },
    );
    const body = fc.oneof(
      fc.constant(""),
      fc.json(),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(
        '{"level":"debug"}',
        '{"keys":["a"]}',
        '{"level":',
        "null",
        "[]",
        "x".repeat(5000),
      ),
    );

    await fc.assert(
      fc.asyncProperty(method, path, headers, body, async (m, p, hs, b) => {
        const bytes = Buffer.from(b, "utf8");
        const head =
          `${m} ${p} HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
          hs.map(([n, v]) => `${n}: ${v}\r\n`).join("") +
          `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n`;
        const answer = await rawRequest(port, Buffer.concat([Buffer.from(head, "utf8"), bytes]));
        expect(answer.status).toBeGreaterThanOrEqual(200);
        expect(answer.status).toBeLessThan(600);
        if (answer.headers["content-type"]?.startsWith("text/plain")) {
          expect(answer.status).toBe(200);
        } else {
          expect(answer.headers["content-type"]).toBe("application/json");
          const json = JSON.parse(answer.body);
          if (answer.status >= 400) expect(json.error).toBeTypeOf("string");
          expect(answer.body).not.toMatch(/\bat .*\.[jt]s:\d+/);
        }
      }),
      { numRuns: 1000, seed: 7 },
    );

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "live" });
    expect(d.api().value).toEqual({ running: "serving" });
  }, 60_000);
});
