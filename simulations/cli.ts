/**
 * `npm start`: the device on a simulated board, in real time, against a radio that flaps.
 *
 *   npm start -- --seed 7 --duration 60 --inspect
 *
 * The console shows one readable line per change of a manager's state, the device's readiness
 * each time it changes, and error-level log lines. The JSON logs go to flash, which the
 * simulation keeps as real files in `sim-flash/` (one per rotated log file), so a second run
 * starts on the flash the first one left, as a rebooted device does. `--seed` makes the radio
 * and the jitter repeatable; `--duration` stops after that many seconds; `--inspect` streams
 * every actor to the Stately inspector (open the printed URL); `--fresh` erases the flash first.
 * The device's own API is served on a loopback port: once it serves, the console prints its
 * address and a short-lived viewer token, ready for `curl -H "Authorization: Bearer …"`.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { directoryMirror } from "../board/node/fileMirror.js";
import { FlashStorage } from "../board/node/flashStorage.js";
import { loopbackHttp } from "../board/node/loopbackHttp.js";
import { realClock } from "../board/node/realClock.js";
import type { ApiContext } from "../machines/api.js";
import type { AuthContext } from "../machines/auth.js";
import type { ConfigContext } from "../machines/config.js";
import type { NetworkContext } from "../machines/network.js";
import { signJwt } from "../runtime/jwt.js";
import { SIMULATED_API_KEY, SIMULATED_DEVICE, simulateDevice, type Transition } from "./device.js";
import { type LiveInspector, startInspector } from "./inspector.js";
import { serveServicesOnLoopback, startServices } from "./services/index.js";

const FLASH_DIR = "sim-flash";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: String(Date.now() % 100_000) },
    duration: { type: "string" },
    inspect: { type: "boolean", default: false },
    "inspect-port": { type: "string", default: "8080" },
    fresh: { type: "boolean", default: false },
  },
});
const seed = Number(values.seed);
const duration = values.duration === undefined ? null : Number(values.duration);
const inspectPort = Number(values["inspect-port"]);
if (!Number.isInteger(seed) || (duration !== null && !(duration > 0)) || !(inspectPort > 0)) {
  console.error(
    "usage: npm start -- [--seed <integer>] [--duration <seconds>] [--inspect] [--inspect-port <port>] [--fresh]",
  );
  process.exit(2);
}

const startedAt = realClock.now();
const stamp = () => `${((realClock.now() - startedAt) / 1000).toFixed(1).padStart(7)}s`;
const useColour = process.stdout.isTTY;
const paint = (code: number, text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);

/** `xstate.after.backoffDelay.network.backoff` reads as `after backoffDelay`. */
function eventName(type: string): string {
  return type.startsWith("xstate.after.") ? `after ${type.split(".")[2]}` : type;
}

function detail(t: Transition): string {
  if (t.actor === "auth") {
    const a = t.snapshot.context as AuthContext;
    if (t.state.startsWith("authenticated"))
      return `token for ${a.claims?.tenant}/${a.claims?.ns}, ${Math.round(a.lifetimeMs / 1000)} s`;
    return a.lastError ?? "";
  }
  if (t.actor === "config") {
    const c = t.snapshot.context as ConfigContext;
    return `version ${c.version ?? "-"} from ${c.source}${c.lastError ? `: ${c.lastError}` : ""}`;
  }
  if (t.actor !== "network") return "";
  const c = t.snapshot.context as NetworkContext;
  if (t.state === "connecting") return `attempt ${c.attempts}`;
  if (t.state === "backoff") return `waiting ${c.backoffMs} ms (retry ${c.retry}): ${c.lastError}`;
  if (t.state.startsWith("connected")) return `${c.connections} connection(s) so far`;
  return c.lastError ?? "";
}

let lastReadiness = "";
function printReadiness(): void {
  const r = device.readiness();
  const text = r.ready
    ? paint(32, "READY")
    : `${paint(31, "NOT READY")}: ${Object.keys(r.failing)
        .map((id) => `${id} (${r.failing[id]})`)
        .join(", ")}`;
  if (text === lastReadiness) return;
  lastReadiness = text;
  console.log(`${stamp()}  ${"device".padEnd(10)} ${text}`);
}

/** How long the printed viewer token is good for. */
const VIEWER_TOKEN_SECONDS = 15 * 60;
let apiPort: number | null = null;
/** Prints where the API answers, with a viewer token, whenever it starts serving on a new port. */
function printApi(t: Transition): void {
  const port = (t.snapshot.context as ApiContext).port;
  if (t.actor !== "api" || port === null || port === apiPort) return;
  apiPort = port;
  const now = Math.floor(realClock.now() / 1000);
  const token = signJwt(
    {
      sub: "console",
      tenant: SIMULATED_DEVICE.tenant,
      ns: SIMULATED_DEVICE.ns,
      roles: ["viewer"],
      iat: now,
      nbf: now,
      exp: now + VIEWER_TOKEN_SECONDS,
    },
    SIMULATED_API_KEY,
  );
  console.log(`API: http://127.0.0.1:${port}`);
  console.log(`Viewer token: ${token}`);
  console.log(
    `  (viewer role, ${VIEWER_TOKEN_SECONDS / 60} min; try: curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/state)`,
  );
}

const lastTop: Record<string, string> = {};
/** Polls that changed nothing: a line every few seconds would bury what matters. */
const quiet = (t: Transition) =>
  t.actor === "config" && (t.state === "fetching" || t.event === "CONFIG_NOT_MODIFIED");

function printTransition(t: Transition): void {
  printApi(t);
  if (quiet(t)) {
    lastTop[t.actor] = t.state;
    return;
  }
  // Probes (connected.idle ⇄ connected.probing) every few seconds would bury what matters.
  const top = t.state.split(".")[0];
  if (lastTop[t.actor] !== top) {
    lastTop[t.actor] = top;
    const colour = top === "connected" || top === "writing" ? 32 : top === "backoff" ? 33 : 36;
    console.log(
      `${stamp()}  ${t.actor.padEnd(10)} ${paint(colour, top.padEnd(13))} ${paint(2, `on ${eventName(t.event)}`.padEnd(24))} ${detail(t)}`,
    );
  }
  printReadiness();
}

if (values.fresh) rmSync(FLASH_DIR, { recursive: true, force: true });
const storage = new FlashStorage({ mirror: directoryMirror(FLASH_DIR) });
const inspector: LiveInspector | null = values.inspect ? await startInspector(inspectPort) : null;

// The services, on real loopback sockets: what the device talks to is real HTTP.
const services = startServices({
  clock: realClock,
  devices: [{ ...SIMULATED_DEVICE, roles: ["device"] }],
  tokenLifetimeMs: 60_000,
});
const served = await serveServicesOnLoopback(services);
const { tenant, ns, deviceId } = SIMULATED_DEVICE;
let revision = 0;
/** An operator changing the device's configuration now and then, to show it hot-reloading. */
function publishConfig(): void {
  revision++;
  services.config.setDocument(tenant, ns, deviceId, {
    network: {
      backoffCapMs: revision % 2 === 0 ? 8_000 : 6_000,
      backoffBaseMs: 500,
      probeIntervalMs: 3_000,
    },
    logger: { level: "debug" },
    config: { pollIntervalMs: 5_000 },
    // Any free port, as at start: the configured port is the one the host picked.
    api: { port: 0 },
  });
}
publishConfig();
const operator = setInterval(publishConfig, 30_000);

const device = simulateDevice({
  clock: realClock,
  seed,
  storage,
  services: {
    discoveryUrl: served.discovery,
    configUrl: served.config,
    http: (isLinkUp) => loopbackHttp(isLinkUp),
  },
  network: {
    backoffBaseMs: 500,
    backoffCapMs: 8_000,
    probeIntervalMs: 3_000,
    connectTimeoutMs: 5_000,
  },
  radio: { connectLatencyMs: 400 },
  logger: { level: "debug" },
  api: { port: 0 },
  onTransition: printTransition,
  inspect: inspector?.inspect,
  observeLog: (notice) => {
    if (notice.kind === "dropped") {
      console.log(
        `${stamp()}  ${"logger".padEnd(10)} ${paint(33, `${notice.lines} line(s) dropped: flash full`)}`,
      );
    } else if (notice.kind === "written" && notice.line.includes('"level":"error"')) {
      const line = JSON.parse(notice.line) as { manager: string; msg: string };
      console.log(`${stamp()}  ${line.manager.padEnd(10)} ${paint(31, "error")}: ${line.msg}`);
    }
  },
});
device.board.radio.flap({ seed, upMs: [6_000, 20_000], downMs: [1_000, 6_000] });

console.log(`SensorsController simulation, seed ${seed}: a radio that flaps; Ctrl-C stops it.`);
console.log(
  `Services: discovery ${served.discovery}, configuration ${served.config} (a new version every 30 s)`,
);
console.log(`JSON logs: ${FLASH_DIR}/log.* (audit trail: ${FLASH_DIR}/audit.*)`);
if (inspector) console.log(`Inspector: open ${inspector.url} in a browser`);
device.actor.start();

function stop(): void {
  const c = device.network().context;
  console.log(
    `${stamp()}  stopped: ${c.attempts} attempt(s), ${c.connections} connection(s), ` +
      `${device.board.radio.stats.drops} drop(s)`,
  );
  device.actor.stop();
  inspector?.stop();
  clearInterval(operator);
  void served.close().then(() => process.exit(0));
}
process.on("SIGINT", stop);
if (duration !== null) setTimeout(stop, duration * 1000);
