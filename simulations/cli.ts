/**
 * `npm start`: the device on a simulated board, in real time, against a radio that flaps, with
 * one readable line per change of a manager's state and the warnings that explain them.
 *
 *   npm start -- --seed 7 --duration 60
 *
 * `--seed` makes the radio's flapping and the backoff jitter repeatable; `--duration` stops after
 * that many seconds (runs until Ctrl-C otherwise).
 */
import { parseArgs } from "node:util";
import { realClock } from "../board/node/realClock.js";
import type { NetworkContext } from "../machines/network.js";
import type { LogEntry } from "../runtime/log.js";
import { simulateDevice, type Transition } from "./device.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: String(Date.now() % 100_000) },
    duration: { type: "string" },
  },
});
const seed = Number(values.seed);
const duration = values.duration === undefined ? null : Number(values.duration);
if (!Number.isInteger(seed) || (duration !== null && !(duration > 0))) {
  console.error("usage: npm start -- [--seed <integer>] [--duration <seconds>]");
  process.exit(2);
}

const startedAt = realClock.now();
const stamp = () => `${((realClock.now() - startedAt) / 1000).toFixed(1).padStart(7)}s`;
const useColour = process.stdout.isTTY;
const paint = (code: number, text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);

function detail(t: Transition): string {
  const c = t.snapshot.context as NetworkContext;
  if (t.state === "connecting") return `attempt ${c.attempts}`;
  if (t.state === "backoff") return `waiting ${c.backoffMs} ms (retry ${c.retry}): ${c.lastError}`;
  if (t.state.startsWith("connected")) return `up, ${c.connections} connection(s) so far`;
  return c.lastError ?? "";
}

const lastTop: Record<string, string> = {};
function printTransition(t: Transition): void {
  if (t.actor !== "network") return;
  // Probes (connected.idle ⇄ connected.probing) every few seconds would bury what matters.
  const top = t.state.split(".")[0];
  if (lastTop[t.actor] === top) return;
  lastTop[t.actor] = top;
  const colour = top === "connected" ? 32 : top === "backoff" ? 33 : 36;
  console.log(
    `${stamp()}  ${t.actor.padEnd(8)} ${paint(colour, top.padEnd(12))} ${paint(2, `on ${eventName(t.event)}`.padEnd(24))} ${detail(t)}`,
  );
}

/** Warnings are already on the transition line they cause; errors stand on their own. */
function printLog(manager: string, entry: LogEntry): void {
  if (entry.level !== "error") return;
  console.log(`${stamp()}  ${manager.padEnd(8)} ${paint(31, "error")}: ${entry.msg}`);
}

/** `xstate.after.backoffDelay.network.backoff` reads as `after backoffDelay`. */
function eventName(type: string): string {
  return type.startsWith("xstate.after.") ? `after ${type.split(".")[2]}` : type;
}

const device = simulateDevice({
  clock: realClock,
  seed,
  network: {
    backoffBaseMs: 500,
    backoffCapMs: 8_000,
    probeIntervalMs: 3_000,
    connectTimeoutMs: 5_000,
  },
  radio: { connectLatencyMs: 400 },
  onTransition: printTransition,
  log: printLog,
});
device.board.radio.flap({ seed, upMs: [6_000, 20_000], downMs: [1_000, 6_000] });

console.log(`SensorsController simulation: seed ${seed}; radio flapping; Ctrl-C to stop.`);
device.actor.start();

function stop(): void {
  const c = device.network().context;
  console.log(
    `${stamp()}  stopped: ${c.attempts} attempt(s), ${c.connections} connection(s), ` +
      `${device.board.radio.stats.drops} drop(s)`,
  );
  device.actor.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
if (duration !== null) setTimeout(stop, duration * 1000);
