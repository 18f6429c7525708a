/**
 * An over-the-air update on the real interpreter, end to end: the firmware flashed as
 * `npm run flash` does (`flashedBoot.ts`), running the OtaManager against the simulated services
 * on loopback, the UpdateServer included, over Espruino's own HTTP. Every release is the firmware
 * built from the same source under its own version (`lowerForEspruino`'s `firmwareVersion`),
 * with the managers this device runs (`OTA_MANAGERS`): the Linux build has 256 KB of Storage, as
 * an RP2040 has, and a firmware with every manager (about 175 KB) cannot be held twice in it.
 * What the device does is read at its console (the OtaManager's context, the slot markers in
 * Storage), as over a serial cable, and at the services.
 *
 * 1. v1 boots through the stub on trial and commits. v2 is published: at its next scheduled
 *    check (`checkIntervalMs`, provisioned short) the device downloads it in HTTP Range chunks,
 *    verifies and stages it, reboots (the Linux build's `E.reboot()` ends the process with
 *    status 1; the test starts it again in the same folder, as a board resets), boots it on
 *    trial and commits it: slot b's marker is committed.
 * 2. v3 is published. It fails its health check: the update service answers its check-ins
 *    with 503 (`UpdateServer.refuseCheckIns`, what the service sees of a release whose update
 *    client cannot reach it), so it cannot commit within `commitTimeoutMs` (provisioned short,
 *    `ota.json`); it gives its slot up and reboots, the stub loads v2 (committed), which reports
 *    the rollback (its context, the `ota-rolledBack` alarm at the AlarmServer) and refuses v3 at
 *    every later check without fetching a byte of it.
 * 3. Power cuts: the flash as it was with v1 committed is put back, v2 offered again, and the
 *    process killed (SIGKILL) at a random moment of the update (seeded; the seed is printed);
 *    started again in the same folder it must boot a good slot (v1 committed or v2 staged, never
 *    safe mode or nothing) and run with a committed slot in flash; after the last cut it must go
 *    on to commit v2 by itself.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realClock } from "../../board/node/realClock.js";
import { ATTEMPTS, COMMIT_OFFSET, HEADER_BYTES } from "../../runtime/bootSlots.js";
import { seededRandom } from "../../runtime/random.js";
import { stateName } from "../../runtime/stateName.js";
import { serveServicesOnLoopback, startServices } from "../../simulations/services/index.js";
import { flashInto, writeDeviceFile } from "./flashedBoot.js";
import { type InterpreterBoard, startBoard } from "./interpreterBoard.js";
import { lowerForEspruino } from "./pipeline.js";
import { pretokenise } from "./pretokenise.js";

const DEVICE = "espruino";
const KEY = "ota-test-key";
const TENANT = "lab";
const NS = "bench";
/** The managers of every release: what an update needs, and the alarms to report it. */
export const OTA_MANAGERS = ["logger", "network", "auth", "alarms", "ota"];
/** Short, so that the test takes minutes; long enough for a loaded machine. */
const OTA_SETTINGS = {
  checkIntervalMs: 5_000,
  commitTimeoutMs: 30_000,
  requestTimeoutMs: 10_000,
  retryBaseMs: 500,
  retryCapMs: 4_000,
};
/** Larger than the default 1 KiB: fewer requests on the interpreter, still dozens of chunks. */
const CHUNK = 4096;
const V1 = "1.0.0";
const V2 = "2.0.0";
const V3 = "3.0.0";
/** The update trials get v2 alone, in a group of their own (the default group's newest is v3). */
const CUTS_GROUP = "cuts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The OtaManager's context as its console shows it, and the slot markers. */
interface OtaView {
  state: string;
  running: string;
  results: Record<string, number>;
  lastResult: string | null;
  lastError: string | null;
  rolledBack: string[];
  markers: Record<string, { seq: number; attempts: number; committed: boolean } | null>;
  /** The managers not ready now (for a failure's message). */
  unready: string[];
}

/** Read on the device: a marker's fields, as `runtime/bootSlots.ts` lays them out. */
const OTA_VIEW = `(function (o, S) {
  var c = o.getSnapshot(); var x = c.context; var markers = {};
  ["a", "b"].forEach(function (s) {
    var m = S.read("fw." + s + ".m"); var n = 0;
    while (m && n < ${ATTEMPTS} && m.charCodeAt(${HEADER_BYTES} + n) !== 255) n++;
    markers[s] = m ? { seq: Number(m.split(" ")[0]), attempts: n, committed: m.charCodeAt(${COMMIT_OFFSET}) !== 255 } : null;
  });
  var children = device.getSnapshot().children;
  var unready = Object.keys(children).filter(function (k) { return !children[k].getSnapshot().hasTag("ready"); });
  return { value: c.value, running: x.running, results: x.results, lastResult: x.lastResult,
    lastError: x.lastError, rolledBack: x.rolledBack, markers: markers, unready: unready };
})(device.getSnapshot().children.ota, require("Storage"))`.replace(/\n\s*/g, " ");

let asked = 0;

/** Evaluates `expression` at the device's console: its JSON value, or undefined within `ms`. */
async function ask(board: InterpreterBoard, expression: string, ms = 10_000): Promise<unknown> {
  const tag = `ANSWER${++asked}`;
  board.type(`print("${tag} " + JSON.stringify(${expression}))`);
  // A whole line: the output may have arrived only in part.
  const answer = new RegExp(`(?:^|\\n)${tag} ([^\\r\\n]*)\\r?\\n`);
  for (const until = Date.now() + ms; Date.now() < until; await sleep(200)) {
    const found = board.output().match(answer);
    if (found) return JSON.parse(found[1]);
    if (board.child.exitCode !== null) break;
  }
  return undefined;
}

async function readOta(board: InterpreterBoard): Promise<OtaView | null> {
  const view = (await ask(board, OTA_VIEW)) as (OtaView & { value: unknown }) | undefined;
  return view ? Object.assign(view, { state: stateName(view.value) }) : null;
}

/** Reads the device every second until `done` holds, `ms` pass or it stops: the last reading. */
async function otaUntil(
  board: InterpreterBoard,
  done: (ota: OtaView) => boolean,
  ms: number,
): Promise<OtaView | null> {
  let last: OtaView | null = null;
  for (const until = Date.now() + ms; Date.now() < until; await sleep(1000)) {
    if (board.child.exitCode !== null) return last;
    last = (await readOta(board)) ?? last;
    if (last && done(last)) return last;
  }
  return last;
}

/** Waits for the process to end by itself: its exit status, or "running" after `ms`. */
async function exitWithin(board: InterpreterBoard, ms: number): Promise<number | null | "running"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"running">((resolve) => {
    timer = setTimeout(() => resolve("running"), ms);
  });
  const code = await Promise.race([board.exited, timeout]);
  clearTimeout(timer);
  return code;
}

/** The boot stub's line: `fw.b attempt 1`, `fw.a (committed)`, `... SAFE MODE ...`. */
async function bootLine(board: InterpreterBoard, ms = 30_000): Promise<string> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) {
    const line = board.output().match(/boot: ((?:fw\.|no firmware)[^\r\n]*)/)?.[1];
    if (line) return line;
    if (board.child.exitCode !== null) break;
  }
  return "(no boot line)";
}

/** What the console showed, its start and its end, without the test's own questions. */
/** When the device logged a line matching `msg` (its own clock, from the JSON line's `ts`). */
function loggedAt(board: InterpreterBoard, msg: RegExp): number | null {
  for (const line of board.output().split("\n")) {
    const ts = line.match(/"ts":"([^"]+)","level":"[a-z]+","msg":"([^"]*)"/);
    if (ts && msg.test(ts[2])) return Date.parse(ts[1]);
  }
  return null;
}

const tail = (board: InterpreterBoard) => {
  const shown = board
    .output()
    .split("\n")
    .filter((line) => !/ANSWER\d+ |^=undefined/.test(line))
    .join("\n");
  return shown.length > 6000 ? `${shown.slice(0, 3000)}\n...\n${shown.slice(-3000)}` : shown;
};
const committedIn = (ota: OtaView | null, slot: string) => !!ota?.markers[slot]?.committed;

export interface OtaReport {
  problems: string[];
}

export async function otaOnInterpreter(
  bin: string,
  options: { seed: number; trials: number },
): Promise<OtaReport> {
  const problems: string[] = [];
  const say = (line: string) => console.log(`ota: ${line}`);
  const cwd = mkdtempSync(join(tmpdir(), "espruino-ota-"));
  const services = startServices({
    clock: realClock,
    devices: [{ deviceId: DEVICE, key: KEY, tenant: TENANT, ns: NS, roles: ["device"] }],
  });
  const served = await serveServicesOnLoopback(services);
  let board: InterpreterBoard | null = null;
  const boot = () => {
    board = startBoard(bin, cwd);
    return board;
  };
  const fail = (problem: string): OtaReport => ({ problems: problems.concat(problem) });
  try {
    const built = Date.now();
    const [v1, v2, v3] = await Promise.all(
      [V1, V2, V3].map((version) =>
        lowerForEspruino("scripts/entries/espruino.ts", {
          program: true,
          firmwareVersion: version,
          managers: OTA_MANAGERS,
        }),
      ),
    );
    // Published as the flasher stores v1: pretokenised, as boards store code.
    const image2 = pretokenise(v2.code);
    const image3 = pretokenise(v3.code);
    say(
      `built ${V1}, ${V2} and ${V3} (${image2.length} bytes each as stored, managers ${OTA_MANAGERS.join(", ")}) from the same source in ${Date.now() - built} ms`,
    );
    const firmware = join(cwd, "v1.js");
    writeFileSync(firmware, v1.code);
    const device = writeDeviceFile(cwd, served, {
      deviceKey: KEY,
      apiKey: "ota-test-api-key",
      managers: OTA_MANAGERS,
      ota: OTA_SETTINGS,
    });
    const flashed = await flashInto(bin, cwd, device, firmware);
    if (flashed.problem) return fail(`flash: ${flashed.problem}`);

    // 1. v1 commits on its first boot; v2, once published, is taken at the next check.
    let b = boot();
    const first = await bootLine(b);
    let ota = await otaUntil(b, (o) => committedIn(o, "a") && o.state === "idle", 120_000);
    if (first !== "fw.a attempt 1" || ota?.running !== V1) {
      return fail(`v1 did not boot and commit (${first}, ${JSON.stringify(ota)}):\n${tail(b)}`);
    }
    // The flash the power-cut trials start from: v1 committed, nothing else.
    await b.kill();
    copyFileSync(join(cwd, "espruino.flash"), join(cwd, "v1-committed.flash"));
    say(`flashed ${V1}: the stub booted ${first}, the OtaManager committed it`);
    const updateStarted = Date.now();
    b = boot();
    const again = await bootLine(b);
    if (again !== "fw.a (committed)") {
      await b.kill();
      return fail(`v1 committed did not boot as such after a reset (${again}):\n${tail(b)}`);
    }
    services.updates.publish(TENANT, NS, { version: V2, image: image2, chunkSize: CHUNK });
    // When the last chunk was served: what follows until the reboot is hashing and staging.
    let lastChunkAt = 0;
    let chunksSeen = 0;
    let code: number | null | "running" = "running";
    for (const until = Date.now() + 300_000; code === "running" && Date.now() < until; ) {
      code = await exitWithin(b, 250);
      if (services.updates.stats.rangeRequests !== chunksSeen) {
        chunksSeen = services.updates.stats.rangeRequests;
        lastChunkAt = Date.now();
      }
    }
    if (code !== 1 || !/reset: ota/.test(b.output())) {
      await b.kill();
      return fail(`v2 was not downloaded and staged (exit ${code}):\n${tail(b)}`);
    }
    const { rangeRequests, bytesServed } = services.updates.stats;
    const downloading = loggedAt(b, /^downloading /);
    const staged = loggedAt(b, / staged: rebooting/);
    say(
      `${V2} downloaded in ${rangeRequests} Range requests (${bytesServed} bytes), verified and staged; from the cold start: download began at ${downloading === null ? "?" : downloading - updateStarted} ms, last chunk served at ${lastChunkAt - updateStarted} ms, staged at ${staged === null ? "?" : staged - updateStarted} ms (the SHA-256 of the slot, read back from flash); E.reboot() ended the process with status ${code}`,
    );
    b = boot();
    const second = await bootLine(b);
    ota = await otaUntil(
      b,
      (o) => o.lastResult === "committed" && committedIn(o, "b"),
      OTA_SETTINGS.commitTimeoutMs + 60_000,
    );
    const updateMs = Date.now() - updateStarted;
    if (second !== "fw.b attempt 1" || ota?.running !== V2 || !committedIn(ota, "b")) {
      return fail(`v2 did not boot and commit (${second}, ${JSON.stringify(ota)}):\n${tail(b)}`);
    }
    say(
      `the stub booted ${second}; ${V2} committed (slot b's marker: ${JSON.stringify(ota.markers.b)}), ${updateMs} ms after the cold start`,
    );

    // 2. v3 fails its trial: back to v2, reported, never taken again.
    services.updates.refuseCheckIns(V3);
    services.updates.publish(TENANT, NS, { version: V3, image: image3, chunkSize: CHUNK });
    code = await exitWithin(b, 300_000);
    if (code !== 1 || !/reset: ota/.test(b.output())) {
      await b.kill();
      return fail(`v3 was not staged (exit ${code}):\n${tail(b)}`);
    }
    b = boot();
    const third = await bootLine(b);
    code = await exitWithin(b, OTA_SETTINGS.commitTimeoutMs + 90_000);
    const trialOutput = b.output();
    if (third !== "fw.a attempt 1" || code !== 1 || !/reset: ota-rollback/.test(trialOutput)) {
      await b.kill();
      return fail(`v3 did not fail its trial and reboot (${third}, exit ${code}):\n${tail(b)}`);
    }
    say(
      `the stub booted ${V3} (${third}); its trial failed (${trialOutput.match(/failed its trial \(([^)]*)\)/)?.[1]}) and it rebooted`,
    );
    b = boot();
    const fourth = await bootLine(b);
    ota = await otaUntil(b, (o) => o.rolledBack.indexOf(V3) >= 0, 60_000);
    let alarm = services.alarms.alarms(DEVICE).find((a) => a.type === "ota-rolledBack");
    for (let waited = 0; !alarm && waited < 30_000; waited += 500) {
      await sleep(500);
      alarm = services.alarms.alarms(DEVICE).find((a) => a.type === "ota-rolledBack");
    }
    if (fourth !== "fw.b (committed)" || ota?.running !== V2 || ota.results.rolledBack !== 1) {
      return fail(`no rollback to v2 (${fourth}, ${JSON.stringify(ota)}):\n${tail(b)}`);
    }
    if (!alarm) return fail(`the rollback raised no ota-rolledBack alarm:\n${tail(b)}`);
    say(
      `the stub booted ${fourth}: ${ota.running} runs and says rolledBack ${JSON.stringify(ota.rolledBack)} ("${ota.lastError}"); the AlarmServer received ${alarm.type} (${alarm.severity})`,
    );
    // Offered again at the following checks: refused each time, nothing fetched.
    const servedBefore = services.updates.stats.rangeRequests;
    const checksBefore = services.updates.stats.checks;
    ota = await otaUntil(
      b,
      (o) => (o.results.refused ?? 0) >= 2 && services.updates.stats.checks >= checksBefore + 2,
      OTA_SETTINGS.checkIntervalMs * 2 + 30_000,
    );
    if (
      (ota?.results.refused ?? 0) < 2 ||
      services.updates.stats.rangeRequests !== servedBefore ||
      b.child.exitCode !== null
    ) {
      return fail(
        `v3 offered again was not refused (${JSON.stringify(ota)}, ${services.updates.stats.rangeRequests - servedBefore} chunks fetched):\n${tail(b)}`,
      );
    }
    say(
      `${V3} offered again at ${services.updates.stats.checks - checksBefore} checks: refused each time ("${ota?.lastError}"), not a byte of it fetched`,
    );
    await b.kill();

    // 3. Power cuts at random moments of the v1 → v2 update.
    services.updates.setGroup(DEVICE, CUTS_GROUP);
    services.updates.publish(
      TENANT,
      NS,
      { version: V2, image: image2, chunkSize: CHUNK },
      CUTS_GROUP,
    );
    const random = seededRandom(options.seed);
    say(
      `power cuts: seed ${options.seed}, ${options.trials} trials, each at a random moment of the ${updateMs} ms the update took`,
    );
    for (let trial = 1; trial <= options.trials; trial++) {
      copyFileSync(join(cwd, "v1-committed.flash"), join(cwd, "espruino.flash"));
      const cutAt = Math.floor(random() * updateMs);
      const trialStarted = Date.now();
      const before: string[] = [];
      const later: string[] = [];
      // Up to the cut, its own reboots are answered as a board's: by starting again.
      b = boot();
      before.push(await bootLine(b));
      for (;;) {
        const left = cutAt - (Date.now() - trialStarted);
        if (left <= 0 || (await exitWithin(b, left)) === "running") break;
        b = boot();
        before.push(await bootLine(b));
      }
      await b.kill();
      b = boot();
      const after = await bootLine(b);
      const good = /^fw\.[ab] (\(committed\)|attempt [123])$/.test(after);
      // It runs: its OtaManager answers at the console, and a committed slot is still there.
      // The last trial then lets it finish: v2 committed by itself, through its own reboots
      // (the others stop here: the SHA-256 of the image on the interpreter takes about a minute).
      const last = trial === options.trials;
      let end = await otaUntil(b, (o) => o.state !== "surveying", 60_000);
      const running = !!end && (committedIn(end, "a") || committedIn(end, "b"));
      for (const until = Date.now() + 300_000; last && running && Date.now() < until; ) {
        end = await otaUntil(b, (o) => o.running === V2 && committedIn(o, "b"), until - Date.now());
        if (b.child.exitCode === null) break;
        b = boot();
        later.push(await bootLine(b));
      }
      const finished = end?.running === V2 && committedIn(end, "b");
      const committed = ["a", "b"].filter((slot) => committedIn(end, slot)).join(", ");
      say(
        `trial ${trial}: cut at ${cutAt} ms (booted ${before.join(", ")}); after the cut the stub booted ${after}${later.length > 0 ? `, then ${later.join(", ")}` : ""}; ${end ? `runs ${end.running} (${end.state}), committed: ${committed || "none"}` : "does not answer"}${last ? `; ${finished ? `${V2} committed` : `${V2} NOT committed`}` : ""}`,
      );
      if (!good) problems.push(`trial ${trial}: after a cut at ${cutAt} ms it booted ${after}`);
      else if (!running) {
        problems.push(
          `trial ${trial}: not running with a committed slot (${JSON.stringify(end)}):\n${tail(b)}`,
        );
      } else if (last && !finished)
        problems.push(`trial ${trial}: ${V2} never committed:\n${tail(b)}`);
      await b.kill();
    }
    return { problems };
  } finally {
    await (board as InterpreterBoard | null)?.kill();
    await served.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}
