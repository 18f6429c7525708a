/**
 * `npm run bench`: speed and size figures, printed, never asserted.
 *
 * - the whole device (the controller and its nine managers) and its services through 24 hours
 *   of a flapping radio on the virtual clock (wall time, transitions per second), median of five
 *   runs;
 * - the device API on `board/node` over real loopback HTTP, in real time:
 *   requests per second and p99 latency for `/metrics` and an authorised `GET /state`, with the
 *   default rate limit and with the largest the schema allows, one keep-alive client, a bounded
 *   number of requests each;
 * - the size of each Espruino bundle, raw and gzipped (after `npm run build`).
 * Heap use on the device (JsVars) is measured by `npm run test:espruino` on the real interpreter.
 */
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { gzipSync } from "node:zlib";
import type { AnyActorRef } from "xstate";
import { loopbackHttp } from "../board/node/loopbackHttp.js";
import { realClock } from "../board/node/realClock.js";
import { SimulatedNetwork } from "../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../board/sim/virtualClock.js";
import type { ApiSettings } from "../managers/api/machine.js";
import { signJwt } from "../runtime/jwt.js";
import { SIMULATED_API_KEY, SIMULATED_DEVICE, simulateDevice } from "../simulations/device.js";
import { CONFIG_ORIGIN, DISCOVERY_ORIGIN, startServices } from "../simulations/services/index.js";
import { simulateWorld } from "../simulations/world.js";

const HOUR = 3_600_000;

function flappingDay(seed: number): { wallMs: number; transitions: number; connections: number } {
  const clock = new VirtualClock();
  let transitions = 0;
  const device = simulateWorld({ clock, seed, onTransition: () => transitions++ });
  device.board.radio.flap({ seed, upMs: [30_000, 300_000], downMs: [1_000, 60_000] });
  const began = performance.now();
  device.actor.start();
  clock.advance(24 * HOUR);
  const wallMs = performance.now() - began;
  const connections = device.network().context.connections;
  device.actor.stop();
  return { wallMs, transitions, connections };
}

const runs = [1, 2, 3, 4, 5].map(flappingDay).sort((a, b) => a.wallMs - b.wallMs);
const median = runs[2];
console.log("benchmark                               figure");
console.log(
  `device day, flapping radio, virtual    ${median.wallMs.toFixed(0)} ms wall (median of 5), ` +
    `${Math.round(median.transitions / (median.wallMs / 1000))} transitions/s, ` +
    `${median.connections} reconnections`,
);
for (const file of ["dist/prelude.js", "dist/espruino.js", "dist/espruino-trace.js"]) {
  if (!existsSync(file)) {
    console.log(`${file.padEnd(40)}missing: run npm run build`);
    continue;
  }
  const code = readFileSync(file);
  console.log(`${file.padEnd(40)}${code.length} B, gzip ${gzipSync(code).length} B`);
}

/** Requests per row of the API table: within the largest burst, so "off" never answers 429. */
const API_REQUESTS = 1_000;

/**
 * A registered device whose API serves on a loopback port, in real time (the buckets refill on
 * the board's clock), its services on an in-memory network.
 */
async function apiOnLoopback(rateLimit: ApiSettings["rateLimit"]) {
  const clock = realClock;
  const net = new SimulatedNetwork(clock, { latencyMs: 1 });
  startServices({ clock, network: net, devices: [{ ...SIMULATED_DEVICE, roles: ["device"] }] });
  const device = simulateDevice({
    clock,
    seed: 1,
    api: { port: 0, rateLimit },
    services: {
      discoveryUrl: DISCOVERY_ORIGIN,
      configUrl: CONFIG_ORIGIN,
      http: (up) => ({ request: net.client(up).request, serve: loopbackHttp(up).serve }),
    },
  });
  device.actor.start();
  const api = () => (device.child("api") as AnyActorRef).getSnapshot().context;
  const auth = () => (device.child("auth") as AnyActorRef).getSnapshot().context;
  while (api().port === null || auth().claims === null) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return { device, port: api().port as number };
}

async function measure(port: number, path: string, token: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let limited = 0;
  const began = performance.now();
  for (let i = 0; i < API_REQUESTS; i++) {
    const start = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        { host: "127.0.0.1", port, path, agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
    });
    latencies.push(performance.now() - start);
    if (status === 429) limited++;
    else if (status !== 200) throw new Error(`${path} answered ${status}`);
  }
  const wallMs = performance.now() - began;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: Math.round(API_REQUESTS / (wallMs / 1000)),
    p99: latencies[Math.floor(latencies.length * 0.99)],
    limited,
  };
}

const limits: Array<[string, ApiSettings["rateLimit"]]> = [
  ["on: default 20 burst, 5/s", { burst: 20, refillPerSec: 5 }],
  ["off: schema max 1000, 1000/s", { burst: 1_000, refillPerSec: 1_000 }],
];
console.log(`\ndevice API over loopback, ${API_REQUESTS} sequential keep-alive requests per row`);
console.log("route          rate limit                      req/s   p99 ms   answered 429");
for (const [label, rateLimit] of limits) {
  const { device, port } = await apiOnLoopback(rateLimit);
  const now = Math.floor(device.board.clock.now() / 1000);
  // One subject, so one bucket, per route.
  const token = (path: string) =>
    signJwt(
      {
        sub: `bench${path}`,
        tenant: SIMULATED_DEVICE.tenant,
        ns: SIMULATED_DEVICE.ns,
        roles: ["viewer"],
        iat: now,
        nbf: now,
        exp: now + 3_600,
      },
      SIMULATED_API_KEY,
    );
  for (const path of ["/metrics", "/state"]) {
    const r = await measure(port, path, token(path));
    console.log(
      `${`GET ${path}`.padEnd(15)}${label.padEnd(30)}${String(r.rps).padStart(7)}` +
        `${r.p99.toFixed(2).padStart(9)}   ${r.limited}`,
    );
  }
  device.actor.stop();
}
