/**
 * `npm start`: the device on a simulated board, in real time, against a radio that flaps and
 * the simulated services on real loopback sockets (HTTP, and UDP for NTP).
 *
 *   npm start -- --seed 7 --duration 75 --state-outage 15 --state-outage-at 40 --inspect
 *
 * The console shows one readable line per change of a manager's state, the device's readiness
 * each time it changes, error-level log lines, and each manager's work as it happens: the clock
 * synced (offset, server, stratum; the NTP server runs 2.5 s ahead, so the first sync steps the
 * clock), each heartbeat, the state document's version and the desired part applied, the alarm
 * counters (raised, delivered, pending) and the logger's level. An operator publishes a new
 * configuration and a new desired log level every 30 s, and a simulated sensor raises an alarm
 * every 20 s. `--state-outage` closes the StateServer's listener for that many seconds
 * (0: never), `--state-outage-at` seconds after start, while the operator edits desired; it then
 * listens again on the same port, and the device fetches the whole document and applies the
 * newest desired. The JSON logs go to flash, which the
 * simulation keeps as real files in `sim-flash/` (one per rotated log file), so a second run
 * starts on the flash the first one left, as a rebooted device does. `--seed` makes the radio
 * and the jitter repeatable; `--duration` stops after that many seconds; `--inspect` streams
 * every actor to the Stately inspector (open the printed URL); `--fresh` erases the flash first.
 * The device's own API is served on a loopback port: once it serves, the console prints its
 * address and a short-lived viewer token, ready for `curl -H "Authorization: Bearer …"`.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import type { AnyActorRef, InspectionEvent } from "xstate";
import { directoryMirror } from "../board/node/fileMirror.js";
import { type LoopbackServer, loopbackHttp, serveOnLoopback } from "../board/node/loopbackHttp.js";
import { loopbackUdp, serveUdpOnLoopback } from "../board/node/loopbackUdp.js";
import { realClock } from "../board/node/realClock.js";
import { FlashStorage } from "../board/sim/flashStorage.js";
import type { AlarmContext } from "../managers/alarms/machine.js";
import type { ApiContext } from "../managers/api/machine.js";
import type { AuthContext } from "../managers/auth/machine.js";
import type { ConfigContext } from "../managers/config/machine.js";
import type { LoggerContext } from "../managers/logger/machine.js";
import type { NetworkContext } from "../managers/network/machine.js";
import type { StateContext } from "../managers/state/machine.js";
import type { TimeSyncContext } from "../managers/timesync/machine.js";
import type { WatchdogContext } from "../managers/watchdog/machine.js";
import { signJwt } from "../runtime/jwt.js";
import { SIMULATED_API_KEY, SIMULATED_DEVICE, simulateDevice, type Transition } from "./device.js";
import { type LiveInspector, startInspector } from "./inspector.js";
import { NtpServer, serveServicesOnLoopback, startServices } from "./services/index.js";

const FLASH_DIR = "sim-flash";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: String(Date.now() % 100_000) },
    duration: { type: "string" },
    inspect: { type: "boolean", default: false },
    "inspect-port": { type: "string", default: "8080" },
    fresh: { type: "boolean", default: false },
    "state-outage": { type: "string", default: "15" },
    "state-outage-at": { type: "string", default: "40" },
  },
});
const seed = Number(values.seed);
const duration = values.duration === undefined ? null : Number(values.duration);
const inspectPort = Number(values["inspect-port"]);
const outageSeconds = Number(values["state-outage"]);
const outageAtSeconds = Number(values["state-outage-at"]);
if (
  !Number.isInteger(seed) ||
  (duration !== null && !(duration > 0)) ||
  !(inspectPort > 0) ||
  !(outageSeconds >= 0) ||
  !(outageAtSeconds >= 0)
) {
  console.error(
    "usage: npm start -- [--seed <integer>] [--duration <seconds>] [--inspect] [--inspect-port <port>] [--fresh]\n" +
      "                    [--state-outage <seconds, 0 for none>] [--state-outage-at <seconds>]",
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
  if (t.actor === "state") {
    const s = t.snapshot.context as StateContext;
    if (t.state === "connected.fetching")
      return `the whole document (version held: ${s.version ?? "-"})`;
    if (t.state === "connected.backoff")
      return `waiting ${s.backoffMs} ms (retry ${s.retry}): ${s.lastError}`;
    return s.lastError ?? "";
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

/** One console line about an actor, in the padded columns every line uses. */
function say(actor: string, text: string): void {
  console.log(`${stamp()}  ${actor.padEnd(10)} ${text}`);
}

const lastTop: Record<string, string> = {};
/**
 * Polls that changed nothing, and the round trips whose outcome `facts` prints (heartbeats,
 * alarm batches, the state document's updates): a line for each would bury what matters.
 */
const quiet = (t: Transition) =>
  (t.actor === "config" && (t.state === "fetching" || t.event === "CONFIG_NOT_MODIFIED")) ||
  t.actor === "watchdog" ||
  t.actor === "alarms" ||
  (t.actor === "state" &&
    (t.state === "connected.synced" ||
      t.state === "connected.debouncing" ||
      t.state === "connected.updating"));

/** The state's name as printed: the top level, or the phase of a state connection. */
const shownState = (t: Transition) =>
  t.actor === "state" && t.state.startsWith("connected.") ? t.state : t.state.split(".")[0];

function printTransition(t: Transition): void {
  printApi(t);
  if (quiet(t)) {
    lastTop[t.actor] = t.state;
    return;
  }
  // Probes (connected.idle ⇄ connected.probing) every few seconds would bury what matters.
  const shown = shownState(t);
  if (lastTop[t.actor] !== shown) {
    lastTop[t.actor] = shown;
    const colour = /^(connected|writing|synced)/.test(shown) ? 32 : /backoff/.test(shown) ? 33 : 36;
    say(
      t.actor,
      `${paint(colour, shown.padEnd(18))} ${paint(2, `on ${eventName(t.event)}`.padEnd(24))} ${detail(t)}`,
    );
  }
  printReadiness();
}

const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms} ms`;

/**
 * What a manager has done, read from its context: the console prints a line when it changes,
 * whether or not the manager's state did (a resync, a level set, counters moving).
 */
function fact(actor: string, context: unknown): string | null {
  if (actor === "timesync") {
    const c = context as TimeSyncContext;
    if (c.lastSyncAt === null) return null;
    return `clock synced: offset ${signed(Math.round(c.offsetMs ?? 0))} (delay ${c.delayMs} ms) from ${c.server}, stratum ${c.stratum}`;
  }
  if (actor === "watchdog") {
    const c = context as WatchdogContext;
    if (c.heartbeats === 0 && c.missedTotal === 0) return null;
    return paint(
      2,
      `heartbeat ${c.heartbeats} acknowledged${c.missedTotal > 0 ? `, ${c.missedTotal} missed in all` : ""}`,
    );
  }
  if (actor === "alarms") {
    const n = (context as AlarmContext).counters;
    return `alarms: ${n.delivered} delivered, ${n.pending} pending (${n.raised} raised, ${n.deduplicated} repeat(s) counted)`;
  }
  if (actor === "state") {
    const c = context as StateContext;
    if (c.version === null) return null;
    return `document version ${c.version}, desired applied: ${JSON.stringify(c.desired)}`;
  }
  if (actor === "logger") return `level ${(context as LoggerContext).level}`;
  return null;
}

const lastFact: Record<string, string> = {};
/** Sees every snapshot (through `inspect`) and prints the facts that changed. */
function printFacts(event: InspectionEvent): void {
  if (event.type !== "@xstate.snapshot") return;
  const actor = (event.actorRef as AnyActorRef).id;
  const context = (event.snapshot as { context?: unknown }).context;
  if (context === undefined) return;
  const text = fact(actor, context);
  if (text === null || lastFact[actor] === text) return;
  lastFact[actor] = text;
  say(actor, text);
}

if (values.fresh) rmSync(FLASH_DIR, { recursive: true, force: true });
const storage = new FlashStorage({ mirror: directoryMirror(FLASH_DIR) });
const inspector: LiveInspector | null = values.inspect ? await startInspector(inspectPort) : null;

// The services, on real loopback sockets: what the device talks to is real HTTP and UDP.
const services = startServices({
  clock: realClock,
  devices: [{ ...SIMULATED_DEVICE, roles: ["device"] }],
  tokenLifetimeMs: 60_000,
});
const served = await serveServicesOnLoopback(services, ["discovery", "config", "alarms"]);
// The StateServer on a listener of its own, which the outage closes and opens again on its port.
let stateListener: LoopbackServer | null = await serveOnLoopback(services.state.handler);
const statePort = stateListener.port;
const stateUrl = stateListener.origin;
/** Ahead of the host's clock, so the first sync visibly steps the device's clock. */
const NTP_AHEAD_MS = 2_500;
const ntp = new NtpServer({ clock: realClock, offsetMs: NTP_AHEAD_MS });
const ntpServed = await serveUdpOnLoopback(ntp.handler);

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
    watchdog: { heartbeatIntervalMs: 15_000 },
  });
}
/** An operator editing the desired part: the log level the StateManager hands the logger. */
function editDesired(): void {
  const logLevel =
    services.state.document(tenant, ns, deviceId).desired.logLevel === "info" ? "debug" : "info";
  const version = services.state.setDesired(tenant, ns, deviceId, { logLevel });
  say(
    "operator",
    `desired logLevel "${logLevel}" (document version ${version})${stateListener ? "" : ", while the StateServer is down"}`,
  );
}
publishConfig();
const operator = setInterval(() => {
  publishConfig();
  editDesired();
}, 30_000);

let readings = 0;
/** A simulated sensor crossing its threshold: an alarm for the AlarmManager, as a manager raises one. */
const sensor = setInterval(() => {
  readings++;
  const celsius = 70 + (readings % 5);
  say("sensor", `temperature ${celsius} °C over its 65 °C threshold: ALARM raised`);
  device.actor.send({
    type: "ALARM",
    alarm: {
      type: "over-temperature",
      severity: "warning",
      source: "sensor",
      details: { celsius },
    },
  });
}, 20_000);

let stopping = false;
const outageTimers: ReturnType<typeof setTimeout>[] = [];
/** The StateServer goes away for `outageSeconds`, desired is edited meanwhile, then it is back. */
async function stateOutage(): Promise<void> {
  if (stateListener === null) return;
  const listener = stateListener;
  stateListener = null;
  say(
    "services",
    paint(33, `StateServer stops listening on port ${statePort} for ${outageSeconds} s`),
  );
  // Held long polls are answered (503) rather than left to a listener that is gone.
  services.state.releaseWaiting();
  await listener.close();
  outageTimers.push(setTimeout(editDesired, (outageSeconds * 1000) / 2));
  outageTimers.push(
    setTimeout(async () => {
      const back = await serveOnLoopback(services.state.handler, statePort);
      if (stopping) {
        await back.close();
        return;
      }
      stateListener = back;
      say("services", paint(32, `StateServer listens again on port ${statePort}`));
    }, outageSeconds * 1000),
  );
}
if (outageSeconds > 0) outageTimers.push(setTimeout(stateOutage, outageAtSeconds * 1000));

const device = simulateDevice({
  clock: realClock,
  seed,
  storage,
  services: {
    discoveryUrl: served.discovery,
    configUrl: served.config,
    alarmsUrl: served.alarms,
    stateUrl,
    http: (isLinkUp) => loopbackHttp(isLinkUp),
    udp: (isLinkUp) => loopbackUdp(isLinkUp),
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
  timesync: {
    servers: [{ host: ntpServed.address, port: ntpServed.port }],
    resyncIntervalMs: 30_000,
  },
  onTransition: printTransition,
  inspect: (event) => {
    inspector?.inspect(event);
    printFacts(event);
  },
  observeLog: (notice) => {
    if (notice.kind === "dropped") {
      say("logger", paint(33, `${notice.lines} line(s) dropped: flash full`));
    } else if (notice.kind === "written" && notice.line.includes('"level":"error"')) {
      const line = JSON.parse(notice.line) as { manager: string; msg: string };
      say(line.manager, `${paint(31, "error")}: ${line.msg}`);
    }
  },
});
device.board.radio.flap({ seed, upMs: [6_000, 20_000], downMs: [1_000, 6_000] });

console.log(`SensorsController simulation, seed ${seed}: a radio that flaps; Ctrl-C stops it.`);
console.log(
  `Services: discovery ${served.discovery}, configuration ${served.config} (a new version every 30 s),`,
);
console.log(
  `          alarms ${served.alarms}, state ${stateUrl} (desired edited every 30 s), NTP udp://${ntpServed.address}:${ntpServed.port} (${signed(NTP_AHEAD_MS)})`,
);
if (outageSeconds > 0)
  console.log(`StateServer outage: at ${outageAtSeconds} s, for ${outageSeconds} s`);
console.log(
  `JSON logs: ${FLASH_DIR}/log.* (audit trail: ${FLASH_DIR}/audit.*, refused requests: ${FLASH_DIR}/refused.*)`,
);
if (inspector) {
  console.log(`Inspector: open ${inspector.url} in a browser (Stately's, online)`);
  console.log(`Offline viewer: ${inspector.viewerUrl}`);
}
device.actor.start();

function stop(): void {
  const c = device.network().context;
  console.log(
    `${stamp()}  stopped: ${c.attempts} attempt(s), ${c.connections} connection(s), ` +
      `${device.board.radio.stats.drops} drop(s)`,
  );
  stopping = true;
  device.actor.stop();
  inspector?.stop();
  clearInterval(operator);
  clearInterval(sensor);
  for (const timer of outageTimers) clearTimeout(timer);
  services.state.releaseWaiting();
  void Promise.all([served.close(), stateListener?.close(), ntpServed.close()]).then(() =>
    process.exit(0),
  );
}
process.on("SIGINT", stop);
if (duration !== null) setTimeout(stop, duration * 1000);
