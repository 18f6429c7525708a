import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type LoopbackServer, serveOnLoopback } from "../../../board/node/loopbackHttp.js";
import { rawRequest } from "../../support/rawHttp.js";

const servers: LoopbackServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(refused: Array<[number, string]>) {
  const s = await serveOnLoopback(
    (_req, respond) => respond({ status: 200, headers: {}, body: "{}" }),
    0,
    { requestTimeoutMs: 300, onRefused: (status, from) => refused.push([status, from]) },
  );
  servers.push(s);
  return s;
}

describe("what the loopback server answers itself", () => {
  it("answers a request left unfinished past its deadline 408, not 400, and says so", async () => {
    const refused: Array<[number, string]> = [];
    const s = await server(refused);
    const slow = await rawRequest(s.port, ["GET /state HTTP/1.1", "host: device"], "", false);
    expect(slow.status).toBe(408);
    expect(JSON.parse(slow.body)).toEqual({ error: "no complete request in time" });
    expect(refused).toEqual([[408, "127.0.0.1"]]);
  });

  it("answers a connection that sends nothing 408 too", async () => {
    const refused: Array<[number, string]> = [];
    const s = await server(refused);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(s.port, "127.0.0.1");
      const chunks: Buffer[] = [];
      socket.on("data", (c) => chunks.push(c));
      socket.on("error", reject);
      socket.on("close", () => resolve(Buffer.concat(chunks).toString()));
    });
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(refused).toEqual([[408, "127.0.0.1"]]);
  });

  it("answers oversized headers 431 and a malformed request 400, each told to the owner", async () => {
    const refused: Array<[number, string]> = [];
    const s = await server(refused);
    const big = await rawRequest(s.port, [
      "GET / HTTP/1.1",
      "host: d",
      `x-big: ${"a".repeat(20_000)}`,
    ]);
    expect(big.status).toBe(431);
    const bad = await rawRequest(s.port, ["GET / HTTP/1.1", "host: d", "bad header line"]);
    expect(bad.status).toBe(400);
    expect(refused.map(([status]) => status)).toEqual([431, 400]);
  });
});
