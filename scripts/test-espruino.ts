/**
 * `npm run test:espruino`: the bundles on the real interpreter at `ESPRUINO_BIN`.
 *
 * 1. `dist/espruino-trace.js`, run from Storage, must print the same trace as the same scenario
 *    on Node, line for line; the JsVars it uses are printed.
 * 2. `dist/espruino.js`, the firmware, must start on the Linux target (which has no Wifi module)
 *    without an uncaught exception, take the host's network as a wired link, and keep running, with all its
 *    managers and with a small board's `managers.json`; the JsVars each uses after start-up are
 *    printed, beside the board builds' budgets.
 * 3. The firmware, provisioned with a key and the addresses of simulated services on loopback,
 *    must register, verify its token and apply its configuration, take its desired state (a log
 *    level) and report its state to the StateServer, and deliver an alarm raised on it to the
 *    AlarmServer, over Espruino's own HTTP.
 * 4. The firmware, given an NTP server on loopback UDP a day ahead of the host, must sync its
 *    wall clock over Espruino's `dgram`.
 *
 * 5. Flashing (`scripts/espruino/flashedBoot.ts`): `npm run flash` into the interpreter's Storage
 *    over its telnet console, then a cold start in the same folder must boot through the stub
 *    into slot A, register with ServiceDiscovery and serve the device API.
 *
 * 6. The budget on a board's 12,000 variables, with `ESPRUINO_BOARD_BIN` (see below).
 *
 * 7. Over the air (`scripts/espruino/otaOnInterpreter.ts`): flashed with v1, the device takes v2
 *    from the UpdateServer over Espruino's HTTP with Range, reboots into it (the Linux build's
 *    `E.reboot()` ends the process; it is started again in the same folder) and commits it; a v3
 *    that fails its health check is rolled back to v2, reported and never taken again; then the
 *    process is killed at random moments of an update (`ESPRUINO_OTA_TRIALS` times, 10 by
 *    default, at moments drawn from `ESPRUINO_OTA_SEED`, random by default; printed) and must
 *    always boot a good slot and go on to commit.
 *
 * `ESPRUINO_ONLY=ota` runs section 7 alone, `ESPRUINO_ONLY=budget` section 6 (an hour's soak:
 * `ESPRUINO_SOAK_MS=3600000`). Without `ESPRUINO_BIN` it says that it skipped and
 * succeeds, so `npm test` runs anywhere.
 */
import { existsSync, readFileSync } from "node:fs";
import { serveUdpOnLoopback } from "../board/node/loopbackUdp.js";
import { realClock } from "../board/node/realClock.js";
import { runNetworkTrace } from "../simulations/networkTrace.js";
import {
  NtpServer,
  serveServicesOnLoopback,
  startServices,
} from "../simulations/services/index.js";
import { flashAndBoot } from "./espruino/flashedBoot.js";
import { runFromStorage } from "./espruino/interpreter.js";
import { otaOnInterpreter } from "./espruino/otaOnInterpreter.js";
import { firstDifference, parseTraceOutput } from "./espruino/trace.js";

const bin = process.env.ESPRUINO_BIN;
if (!bin) {
  console.log(
    "test:espruino: SKIPPED: ESPRUINO_BIN is not set, so the bundles did not run on the real " +
      "interpreter (set it to an Espruino Linux build; see README.md).",
  );
  process.exit(0);
}
for (const file of ["dist/espruino.js", "dist/espruino-trace.js"]) {
  if (!existsSync(file)) {
    console.error(`test:espruino: ${file} is missing: run npm run build first`);
    process.exit(1);
  }
}

const failures: string[] = [];
/** The simulated services a section's device goes online against: its configuration and
 * desired state waiting for it. */
function labServices() {
  const services = startServices({ clock: realClock, devices: [DEVICE] });
  services.config.setDocument("lab", "bench", "espruino", { network: { backoffCapMs: 30_000 } });
  services.state.setDesired("lab", "bench", "espruino", { logLevel: "debug" });
  return services;
}

/** The device every section registers, as the simulated services know it. */
const DEVICE = {
  deviceId: "espruino",
  key: "espruino-test-key",
  tenant: "lab",
  ns: "bench",
  roles: ["device"],
};

function finish(): never {
  if (failures.length > 0) {
    for (const f of failures) console.error(`test:espruino: FAILED: ${f}`);
    process.exit(1);
  }
  console.log("test:espruino: passed on the real interpreter");
  process.exit(0);
}

// 7. Over the air: v1 → v2 committed, v3 rolled back, power cuts at random moments.
async function overTheAir(): Promise<void> {
  const seed = Number(process.env.ESPRUINO_OTA_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const trials = Number(process.env.ESPRUINO_OTA_TRIALS ?? 10);
  console.log(`ota: seed ${seed} (ESPRUINO_OTA_SEED=${seed} draws the same cuts)`);
  const report = await otaOnInterpreter(bin as string, { seed, trials });
  for (const problem of report.problems) failures.push(`ota: ${problem}`);
}

// 6. The budget, on a board's variables: `ESPRUINO_BOARD_BIN` is a 32-bit build with the
// RP2040's layout and a fixed 12,000 variables (MEMORY.md). The firmware with every manager, the
// OtaManager included, online for a minute (registered, configured, state reported, alarm
// delivered, clock synced, the update service asked) must fit in 8,400 JsVars (30 % free), must
// never have run short (the interpreter's error flags: its peak stayed under the 12,000; the peak
// sampled in the first minute is printed), and must not grow from that minute to the end of the
// soak. Then a reduced firmware, as for an Espruino WiFi (8,190 variables), must leave 20 % free.
/** How long the soak runs: `ESPRUINO_SOAK_MS` (an hour: 3600000), three minutes by default. */
const SOAK_MS = Number(process.env.ESPRUINO_SOAK_MS ?? 180_000);
/** What the heap may differ by between two idle moments: the collector and open sockets. */
const GROWTH_TOLERANCE = 0.02;
/** How often the OtaManager asks the update service during the run (its default is 6 hours). */
const CHECK_INTERVAL_MS = 20_000;

interface BudgetRun {
  label: string;
  /** `managers.json`; every manager the firmware carries without it. */
  managers?: string[];
  budget: number;
  soakMs: number;
}

const BUDGET_RUNS: BudgetRun[] = [
  { label: "every manager (OTA included)", budget: 8_400, soakMs: SOAK_MS },
  {
    label: "reduced (no API, clock sync or OTA; Espruino WiFi's 8,190 less 20 %)",
    managers: ["logger", "network", "auth", "config", "watchdog", "state", "alarms"],
    budget: 6_552,
    soakMs: 60_000,
  },
];

async function boardBudget(): Promise<void> {
  const boardBin = process.env.ESPRUINO_BOARD_BIN;
  if (!boardBin) {
    console.log(
      "board budget: SKIPPED: ESPRUINO_BOARD_BIN is not set, so the budget on a board's 12,000 " +
        "variables was not checked (a 32-bit build, see README.md and MEMORY.md).",
    );
    return;
  }
  for (const run of BUDGET_RUNS) await budgetRun(boardBin, run);
}

/** A manager's progress, read only when the firmware runs it. */
const REACHED = `{
  token: !c.auth || c.auth.getSnapshot().matches("authenticated"),
  configured: !c.config || c.config.getSnapshot().context.version === 1,
  reported: !c.state || (c.state.getSnapshot().value.connected === "synced" &&
    c.state.getSnapshot().context.acked === c.state.getSnapshot().context.changes),
  delivered: !c.alarms || c.alarms.getSnapshot().context.counters.delivered === 1,
  synced: !c.timesync || !!c.timesync.getSnapshot().context.synced,
  updates: !c.ota || (c.ota.getSnapshot().hasTag("ready") && c.ota.getSnapshot().context.lastError === null) }`;

async function budgetRun(boardBin: string, { label, managers, budget, soakMs }: BudgetRun) {
  const budgetServices = labServices();
  const budgetNtp = new NtpServer({ clock: realClock, offsetMs: 60_000, stratum: 2 });
  const ntpOnLoopback = await serveUdpOnLoopback(budgetNtp.handler);
  const servedForBudget = await serveServicesOnLoopback(budgetServices);
  try {
    const files: Record<string, string> = {
      "device.key": "espruino-test-key",
      "ota.json": JSON.stringify({ checkIntervalMs: CHECK_INTERVAL_MS }),
      "services.json": JSON.stringify({
        discoveryUrl: servedForBudget.discovery,
        configUrl: servedForBudget.config,
        alarmsUrl: servedForBudget.alarms,
        stateUrl: servedForBudget.state,
        updatesUrl: servedForBudget.updates,
        ntpServers: [{ host: ntpOnLoopback.address, port: ntpOnLoopback.port }],
      }),
    };
    if (managers) files["managers.json"] = JSON.stringify(managers);
    const run = await runFromStorage({
      bin: boardBin,
      code: readFileSync("dist/espruino.js", "utf8"),
      name: "firmware.js",
      files,
      // The boot peak: the live heap (`process.memory()` collects first) sampled every 50 ms
      // through the first minute.
      epilogue: `var started = Date.now(); var raised = false; var minute = null; var peak = 0;
      var sampler = setInterval(function () { var u = process.memory().usage; if (u > peak) peak = u; }, 50);
      var poll = setInterval(function () {
        var c = device.getSnapshot().children;
        if (c.config && c.config.getSnapshot().context.version === 1 && !raised) {
          raised = true;
          device.send({ type: "ALARM", alarm: { type: "budget-check", severity: "info", source: "test" } });
        }
        var reached = ${REACHED};
        var elapsed = Date.now() - started;
        if (minute === null && elapsed >= 60000) {
          clearInterval(sampler);
          minute = process.memory().usage;
          console.log("MINUTE " + JSON.stringify({ usage: minute, peak: peak, reached: reached, flags: E.getErrorFlags() }));
        }
        if (elapsed >= ${soakMs}) {
          clearInterval(poll);
          console.log("SOAKED " + JSON.stringify({ usage: process.memory().usage, flags: E.getErrorFlags() }));
          quit();
        }
      }, 1000);`,
      timeoutMs: soakMs + 120_000,
    });
    const minute = JSON.parse(run.output.match(/MINUTE (\{.*\})/)?.[1] ?? "null");
    const soaked = JSON.parse(run.output.match(/SOAKED (\{.*\})/)?.[1] ?? "null");
    if (!minute || !soaked) {
      failures.push(
        `board budget, ${label}: the firmware did not run:\n${run.output.slice(-3000)}`,
      );
      return;
    }
    const missed = Object.keys(minute.reached).filter((k) => !minute.reached[k]);
    const checks = budgetServices.updates.stats.checks;
    if (!managers && checks === 0) missed.push("the update service (never asked)");
    const flags = minute.flags.concat(soaked.flags);
    const growth = (soaked.usage - minute.usage) / minute.usage;
    console.log(
      `board budget: ${label} online after 60 s: ${minute.usage} JsVars of 12,000 (budget ${budget}); peak in that minute ${minute.peak}; after ${Math.round(soakMs / 60_000)} min: ${soaked.usage}; update checks: ${checks}; error flags: ${flags.length ? flags.join(",") : "none"}`,
    );
    if (missed.length > 0) {
      failures.push(`board budget, ${label}: not reached within 60 s: ${missed.join(", ")}`);
    }
    if (minute.usage > budget) {
      failures.push(`board budget, ${label}: ${minute.usage} JsVars online, over ${budget}`);
    }
    if (flags.length > 0) {
      failures.push(`board budget, ${label}: the interpreter ran short: ${flags.join(",")}`);
    }
    if (growth > GROWTH_TOLERANCE) {
      failures.push(
        `board budget, ${label}: grew from ${minute.usage} to ${soaked.usage} JsVars during the soak`,
      );
    }
  } finally {
    await servedForBudget.close();
    await ntpOnLoopback.close();
  }
}

const only = process.env.ESPRUINO_ONLY;
if (only !== undefined && only !== "ota" && only !== "budget") {
  console.error(`test:espruino: ESPRUINO_ONLY=${only}: only "ota" or "budget" can run alone`);
  process.exit(1);
}
if (only !== undefined) {
  await (only === "ota" ? overTheAir() : boardBudget());
  finish();
}

const traceRun = await runFromStorage({
  bin,
  code: readFileSync("dist/espruino-trace.js", "utf8"),
  name: "trace.js",
  epilogue: "quit();",
  // From flash on a loaded machine the trace's 20 minutes of virtual time take minutes.
  timeoutMs: 600_000,
});
const trace = parseTraceOutput(traceRun.output);
const expected = runNetworkTrace();
const difference = firstDifference(expected, trace.lines);
if (trace.declaredCount === null) {
  failures.push(
    `trace: the interpreter never finished the trace:\n${traceRun.output.slice(-3000)}`,
  );
} else if (difference !== null) {
  failures.push(`trace: differs from Node's: ${difference}`);
} else {
  console.log(`trace: ${trace.lines.length} lines, identical to Node's`);
}
console.log(`trace: JsVars in use after the run: ${trace.jsVars}`);

/** Budgets of the board builds (their `variables`); ESP32 with PSRAM as its board file suggests. */
const BUDGETS: Array<[string, number]> = [
  ["Espruino Pico", 5_100],
  ["Espruino WiFi", 8_190],
  ["Raspberry Pi Pico (RP2040)", 12_000],
  ["Pico 2 (RP2350)", 16_000],
  ["ESP32", 16_383],
  ["ESP32 with PSRAM", 65_535],
];

/** A board with little RAM runs these (`managers.json`), each with its dependencies. */
const SMALL_BOARD = ["logger", "network", "auth", "config", "watchdog"];

/** Starts the firmware offline with `managers` (all when absent) and prints what it uses. */
async function startUp(label: string, managers?: string[]): Promise<void> {
  const run = await runFromStorage({
    bin: bin as string,
    code: readFileSync("dist/espruino.js", "utf8"),
    name: "firmware.js",
    files: managers ? { "managers.json": JSON.stringify(managers) } : {},
    epilogue:
      'setTimeout(function () { console.log("MANAGERS " + Object.keys(device.getSnapshot().children).join(",")); console.log("JSVARS " + process.memory().usage); quit(); }, 3000);',
    timeoutMs: 60_000,
  });
  const out = run.output;
  const vars = parseTraceOutput(out).jsVars;
  const running = out.match(/MANAGERS (\S+)/)?.[1];
  if (/Uncaught|ReferenceError|SyntaxError|TypeError|refused/.test(out)) {
    failures.push(`firmware (${label}): error on the interpreter:\n${out.slice(-3000)}`);
  } else if (!/host's network, as a wired link/.test(out) || !/connected after 1/.test(out)) {
    failures.push(`firmware (${label}): did not take the wired link:\n${out.slice(-3000)}`);
  } else if (vars === null || running === undefined) {
    failures.push(
      `firmware (${label}): stopped before its start-up finished:\n${out.slice(-3000)}`,
    );
  } else if (managers && running !== managers.join(",")) {
    failures.push(`firmware (${label}): runs ${running}, not ${managers.join(",")}`);
  } else {
    console.log(
      `firmware (${label}): started ${running}, online by the wired link, no uncaught exception`,
    );
  }
  console.log(`firmware (${label}): JsVars in use 3 s after start-up: ${vars}`);
  if (vars === null) return;
  // This interpreter's block size may differ from a board's: indications; a fixed build knows.
  for (const [board, budget] of BUDGETS) {
    const verdict = vars <= budget * 0.8 ? "fits" : vars <= budget ? "tight" : "OVER";
    console.log(
      `firmware (${label}): ${board.padEnd(28)} ${String(budget).padStart(6)} JsVars: ${verdict}`,
    );
  }
}

await startUp("all managers");
await startUp("small board", SMALL_BOARD);

// 3. The firmware against real services on loopback: registration (HMAC proof), the token
// (verified on the device), the configuration (validated on the device), and an alarm raised on
// the device delivered to the AlarmServer, over Espruino's HTTP.
const services = labServices();
const served = await serveServicesOnLoopback(services);
try {
  const onlineRun = await runFromStorage({
    bin,
    code: readFileSync("dist/espruino.js", "utf8"),
    name: "firmware.js",
    files: {
      "device.key": "espruino-test-key",
      "services.json": JSON.stringify({
        discoveryUrl: served.discovery,
        configUrl: served.config,
        alarmsUrl: served.alarms,
        stateUrl: served.state,
      }),
    },
    epilogue: `var waited = 0; var raised = false; var poll = setInterval(function () {
      var c = device.getSnapshot().children;
      var config = c.config.getSnapshot().context;
      var state = c.state.getSnapshot();
      var synced = state.value.connected === "synced" && state.context.acked === state.context.changes;
      waited += 500;
      if (config.version === 1 && !raised) {
        raised = true;
        device.send({ type: "ALARM", alarm: { type: "interpreter-check", severity: "info", source: "test" } });
      }
      var alarms = c.alarms.getSnapshot().context.counters;
      if ((raised && alarms.delivered === 1 && synced) || waited > 30000) {
        clearInterval(poll);
        console.log("ONLINE " + JSON.stringify({ auth: c.auth.getSnapshot().value, version: config.version,
          source: config.source, tenant: config.tenant, cap: c.network.getSnapshot().context.settings.backoffCapMs,
          stateVersion: state.context.version, level: c.logger.getSnapshot().context.level }));
        console.log("JSVARS " + process.memory().usage);
        quit();
      }
    }, 500);`,
    timeoutMs: 60_000,
  });
  const online = onlineRun.output.match(/ONLINE (\{.*\})/);
  const state = online ? JSON.parse(online[1]) : null;
  const alarm = services.alarms.alarms("espruino")[0];
  if (alarm?.type !== "interpreter-check" || alarm.count !== 1) {
    failures.push(`firmware: did not deliver its alarm: ${onlineRun.output.slice(-3000)}`);
  } else {
    console.log("firmware: delivered an alarm to the AlarmServer over Espruino's HTTP");
  }
  const held = services.state.document("lab", "bench", "espruino");
  if (
    state?.version === 1 &&
    state.tenant === "lab" &&
    state.cap === 30_000 &&
    state.level === "debug" &&
    state.stateVersion === held.version &&
    held.reported.logLevel === "debug" &&
    held.reported.firmwareVersion === "0.1.0"
  ) {
    console.log(
      `firmware: registered, verified its token, applied configuration version 1, took desired log level "debug" and reported state version ${held.version} over Espruino's HTTP (${parseTraceOutput(onlineRun.output).jsVars} JsVars)`,
    );
  } else {
    failures.push(
      `firmware: did not register, load its configuration and sync its state: ${onlineRun.output.slice(-3000)}`,
    );
  }
} finally {
  await served.close();
}

// 4. SNTP over Espruino's dgram, against the simulated NTP server on a real UDP socket.
const ntp = new NtpServer({ clock: realClock, offsetMs: 86_400_000, stratum: 3 });
const ntpServed = await serveUdpOnLoopback(ntp.handler);
try {
  const ntpRun = await runFromStorage({
    bin,
    code: readFileSync("dist/espruino.js", "utf8"),
    name: "firmware.js",
    files: {
      "services.json": JSON.stringify({
        ntpServers: [{ host: ntpServed.address, port: ntpServed.port }],
      }),
    },
    epilogue: `var waited = 0; var poll = setInterval(function () {
      var t = device.getSnapshot().children.timesync.getSnapshot().context;
      waited += 500;
      if (t.synced || waited > 30000) {
        clearInterval(poll);
        console.log("NTP " + JSON.stringify({ synced: t.synced, offsetMs: t.offsetMs, delayMs: t.delayMs,
          stratum: t.stratum, server: t.server, error: t.lastError }));
        console.log("JSVARS " + process.memory().usage);
        quit();
      }
    }, 500);`,
    timeoutMs: 60_000,
  });
  const synced = ntpRun.output.match(/NTP (\{.*\})/);
  const sync = synced ? JSON.parse(synced[1]) : null;
  if (sync?.synced && sync.stratum === 3 && Math.abs(sync.offsetMs - 86_400_000) < 1000) {
    console.log(
      `firmware: synced its clock over Espruino's dgram: offset ${sync.offsetMs} ms, delay ${sync.delayMs} ms, stratum ${sync.stratum} (${parseTraceOutput(ntpRun.output).jsVars} JsVars)`,
    );
  } else {
    failures.push(`firmware: did not sync its clock over dgram: ${ntpRun.output.slice(-3000)}`);
  }
} finally {
  await ntpServed.close();
}

// 5. Flashed through espruino-cli, booted by the stub.
const flashed = await flashAndBoot(bin);
if (flashed.problem) failures.push(`flash: ${flashed.problem}`);
else console.log(`flash: ${flashed.summary}`);

await boardBudget();
await overTheAir();
finish();
