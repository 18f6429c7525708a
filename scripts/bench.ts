/**
 * `npm run bench`: speed and size figures, printed, never asserted.
 *
 * - the whole device (the controller and its nine managers) and its services through 24 hours
 *   of a flapping radio on the virtual clock, median of three runs, side by side: as it ran
 *   before (the sorted-list clock, inspection on, `process.memoryUsage()` on every read, on
 *   XState), then one change at a time, each as a ratio to the first, the last the device's own
 *   compiled runtime (what `npm run simulate` runs); then the liveness ping every 50 s and every
 *   600 s (the schema's longest) instead of 10 s, to measure what the pings still cost;
 * - a fleet of 100 devices for an hour on one clock, with the list clock and the heap on XState
 *   and the heap on the device's runtime, the projection to 1,000 devices × 24 h, and what it
 *   is made of (the device day itself, times a thousand, and the ping's share of it);
 * - the device API on `board/node` over real loopback HTTP, in real time:
 *   requests per second and p99 latency for `/metrics` and an authorised `GET /state`, with the
 *   default rate limit and with the largest the schema allows, one keep-alive client, a bounded
 *   number of requests each, and a plain `node:http` server answering the same body, as a ratio
 *   (the two taking turns three times, each its best), with the CPU per request the device's
 *   handler adds beyond the plain server's;
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
import type { SimulatedDeviceOptions } from "../simulations/device.js";
import { SIMULATED_API_KEY, SIMULATED_DEVICE, simulateDevice } from "../simulations/device.js";
import { runScenario } from "../simulations/runScenario.js";
import type { Scenario } from "../simulations/scenario.js";
import { CONFIG_ORIGIN, DISCOVERY_ORIGIN, startServices } from "../simulations/services/index.js";
import { simulateWorld } from "../simulations/world.js";
import { ListClock } from "./bench/listClock.js";
import { createCompiledActor } from "./charts/adapt.js";

/** The device's own runtime (`runtime/chart`), compiled from the same machines XState runs. */
const onDevice = createCompiledActor as never as SimulatedDeviceOptions["createActor"];

const HOUR = 3_600_000;

/** How the device day is run: each row of the table changes one thing from the row before. */
interface DayVariant {
  label: string;
  clock: "list" | "heap";
  /** Inspection on (a transition counter), as the bench's day had it before. */
  inspect: boolean;
  /** `process.memoryUsage()` on every read, as the simulated board did before. */
  memoryEveryRead: boolean;
  /** The device's compiled runtime instead of XState. */
  compiled: boolean;
  pingIntervalMs?: number;
}

const memoryEveryRead = () => {
  const heap = process.memoryUsage();
  return heap.heapTotal - heap.heapUsed;
};

function flappingDay(variant: DayVariant, seed: number) {
  const clock = variant.clock === "list" ? new ListClock() : new VirtualClock();
  let transitions = 0;
  const device = simulateWorld({
    clock,
    seed,
    onTransition: variant.inspect ? () => transitions++ : undefined,
    freeMemory: variant.memoryEveryRead ? memoryEveryRead : undefined,
    supervisor: variant.pingIntervalMs ? { pingIntervalMs: variant.pingIntervalMs } : undefined,
    createActor: variant.compiled ? onDevice : undefined,
  });
  device.board.radio.flap({ seed, upMs: [30_000, 300_000], downMs: [1_000, 60_000] });
  const began = performance.now();
  device.actor.start();
  clock.advance(24 * HOUR);
  const wallMs = performance.now() - began;
  const connections = device.network().context.connections;
  device.actor.stop();
  return { wallMs, transitions, connections };
}

const DAY_VARIANTS: DayVariant[] = [
  {
    label: "before: list clock, inspected, memoryUsage per read",
    clock: "list",
    inspect: true,
    memoryEveryRead: true,
    compiled: false,
  },
  {
    label: "binary-heap clock",
    clock: "heap",
    inspect: true,
    memoryEveryRead: true,
    compiled: false,
  },
  {
    label: "+ inspection off",
    clock: "heap",
    inspect: false,
    memoryEveryRead: true,
    compiled: false,
  },
  {
    label: "+ free memory sampled once a second",
    clock: "heap",
    inspect: false,
    memoryEveryRead: false,
    compiled: false,
  },
  {
    label: "+ the device's compiled runtime (simulate's)",
    clock: "heap",
    inspect: false,
    memoryEveryRead: false,
    compiled: true,
  },
  {
    label: "+ ping every 50 s (not the default)",
    clock: "heap",
    inspect: false,
    memoryEveryRead: false,
    compiled: true,
    pingIntervalMs: 50_000,
  },
  {
    label: "+ ping every 600 s (the schema's longest)",
    clock: "heap",
    inspect: false,
    memoryEveryRead: false,
    compiled: true,
    pingIntervalMs: 600_000,
  },
];

console.log(
  "device day: the whole device and its services, 24 h of a flapping radio, virtual clock",
);
console.log(`${"variant".padEnd(54)}wall ms (median of 3)   × before`);
let beforeMs = 0;
let dayMs = 0;
let pinglessMs = 0;
for (const variant of DAY_VARIANTS) {
  const runs = [1, 2, 3]
    .map((seed) => flappingDay(variant, seed))
    .sort((a, b) => a.wallMs - b.wallMs);
  const median = runs[1];
  if (beforeMs === 0) beforeMs = median.wallMs;
  if (variant.pingIntervalMs === undefined) dayMs = median.wallMs;
  if (variant.pingIntervalMs === 600_000) pinglessMs = median.wallMs;
  console.log(
    `${variant.label.padEnd(54)}${median.wallMs.toFixed(0).padStart(8)}              ${(median.wallMs / beforeMs).toFixed(2)}` +
      `   (${median.connections} reconnections)`,
  );
}
const pingShare = (dayMs - pinglessMs) / dayMs;
console.log(
  `a device day as the simulator now runs it: ${(dayMs / 1000).toFixed(2)} s of one core (target 1 s); ` +
    `the liveness ping every 10 s is ${Math.round(pingShare * 100)} % of it`,
);

/** A fleet sharing one world for an hour: a flapping radio each, a configuration at 10 min. */
const FLEET_HOUR: Scenario = {
  name: "fleet-hour",
  description: "a fleet's hour",
  seed: 5,
  durationMs: HOUR,
  timeline: [
    {
      at: 60_000,
      action: { do: "radio-flap", upMs: [300_000, 1_800_000], downMs: [1_000, 60_000] },
    },
    { at: 600_000, action: { do: "config", config: { network: { backoffCapMs: 30_000 } } } },
  ],
  expect: [],
};
const FLEET = 100;
console.log(`\nfleet: ${FLEET} devices, one virtual clock, shared services, one hour`);
const fleetList = runScenario(FLEET_HOUR, { devices: FLEET, clock: new ListClock() });
const fleetHeap = runScenario(FLEET_HOUR, { devices: FLEET });
const fleet = runScenario(FLEET_HOUR, { devices: FLEET, createActor: onDevice });
console.log(`list clock, XState                ${fleetList.wallMs.toFixed(0).padStart(8)} ms`);
console.log(
  `binary heap, XState               ${fleetHeap.wallMs.toFixed(0).padStart(8)} ms   ${(fleetHeap.wallMs / fleetList.wallMs).toFixed(2)} × list`,
);
console.log(
  `binary heap, the device's runtime ${fleet.wallMs.toFixed(0).padStart(8)} ms   ${(fleet.wallMs / fleetList.wallMs).toFixed(2)} × list`,
);
const f = fleet.fleet;
console.log(
  `registration p50 ${f.registrationMs.p50} ms, p99 ${f.registrationMs.p99} ms; configuration convergence p50 ` +
    `${f.configConvergenceMs.p50} ms, p99 ${f.configConvergenceMs.p99} ms; restarts p99 ${f.restarts.p99}`,
);
const projected = (fleet.wallMs / FLEET) * 1_000 * 24;
console.log(
  `1,000 devices × 24 h, projected linearly from this: ${(projected / 1000).toFixed(0)} s of one core (target 60 s)`,
);
// What the projection is made of: a thousand device days, each as measured above alone, and
// the rest, which only a fleet's hour has (the first hour of a day, its boots and registrations,
// counted 24 times by a linear projection; the services' tables shared by a hundred devices).
const days = dayMs * 1_000;
console.log(
  `  of which 1,000 device days as measured alone: ${(days / 1000).toFixed(0)} s (${Math.round((days / projected) * 100)} %; ` +
    `the liveness ping ${Math.round(pingShare * 100)} % of each), the rest ${((projected - days) / 1000).toFixed(0)} s ` +
    `(${Math.round(((projected - days) / projected) * 100)} %) what the fleet's hour costs beyond its devices' lone hours`,
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
  const cpuBefore = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: Math.round(API_REQUESTS / (wallMs / 1000)),
    /** CPU of this process (client and server) per request, in microseconds. */
    cpuUs: (cpu.user + cpu.system) / API_REQUESTS,
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
  // One subject, so one bucket, per route and turn (a turn never waits for the last one's refill).
  const token = (path: string, turn = 0) =>
    signJwt(
      {
        sub: `bench${path}#${turn}`,
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
    if (rateLimit.burst < API_REQUESTS) {
      const r = await measure(port, path, token(path));
      console.log(
        `${`GET ${path}`.padEnd(15)}${label.padEnd(30)}${String(r.rps).padStart(7)}` +
          `${r.p99.toFixed(2).padStart(9)}   ${r.limited}`,
      );
      continue;
    }
    // The same answer from a plain node:http server, measured the same way in the same run,
    // the two taking turns three times and each keeping its best: the machine is shared, and
    // a burst of someone else's work would otherwise land on one side only.
    const answer = await fetchAnswer(port, path, token(path));
    const plain = await plainServer(answer);
    let r = await measure(port, path, token(path));
    let p = await measure(plain.port, path, "none");
    for (let turn = 1; turn < 3; turn++) {
      const again = await measure(port, path, token(path, turn));
      if (again.rps > r.rps) r = again;
      const plainAgain = await measure(plain.port, path, "none");
      if (plainAgain.rps > p.rps) p = plainAgain;
    }
    plain.close();
    console.log(
      `${`GET ${path}`.padEnd(15)}${label.padEnd(30)}${String(r.rps).padStart(7)}` +
        `${r.p99.toFixed(2).padStart(9)}   ${r.limited}   (best of 3)`,
    );
    console.log(
      `${`GET ${path}`.padEnd(15)}${"plain node:http, same body".padEnd(30)}${String(p.rps).padStart(7)}` +
        `${p.p99.toFixed(2).padStart(9)}   the API: ${Math.round((r.rps / p.rps) * 100)} % of it (target 80 %)`,
    );
    // What remains: the device's own work per request (routing, the token, the limits, the
    // answer), read as this process's CPU beyond the plain server's on the same client.
    const own = r.cpuUs - p.cpuUs;
    console.log(
      `${"".padEnd(15)}CPU per request ${r.cpuUs.toFixed(0)} µs against ${p.cpuUs.toFixed(0)} µs: the device's ` +
        `handler ${own.toFixed(0)} µs, ${Math.round((own / r.cpuUs) * 100)} % of the API's request`,
    );
  }
  device.actor.stop();
}

async function fetchAnswer(port: number, path: string, token: string) {
  return new Promise<{ body: string; type: string }>((resolve, reject) => {
    http
      .get(
        { host: "127.0.0.1", port, path, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolve({ body, type: String(res.headers["content-type"]) }));
        },
      )
      .on("error", reject);
  });
}

/** A node:http server that answers every request with `answer`: what the API is held against. */
async function plainServer(answer: { body: string; type: string }) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": answer.type,
      "content-length": Buffer.byteLength(answer.body),
    });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return { port: address.port, close: () => server.close() };
}
