/**
 * `npm run flash` proven on the real interpreter: the Linux build is started with `--telnet` in a
 * fresh folder (its flash is `espruino.flash` there), flashed over `tcp://127.0.0.1:2323` for the
 * `linux` profile with the addresses of simulated services on loopback, stopped, and started
 * again in that folder, as a board is reset. It must print the stub's choice of slot A, register
 * with ServiceDiscovery and answer `/healthz` on its API port. The telnet port is shared between
 * processes (SO_REUSEPORT): nothing else may use it meanwhile, so this runs alone.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realClock } from "../../board/node/realClock.js";
import { API_DEFAULTS } from "../../managers/api/machine.js";
import {
  type HttpServiceName,
  serveServicesOnLoopback,
  startServices,
} from "../../simulations/services/index.js";
import { startBoard } from "./interpreterBoard.js";

const TELNET = "tcp://127.0.0.1:2323";
/** The device API's port (`managers/api/machine.ts`): the Linux build binds it on the host. */
const API = `http://127.0.0.1:${API_DEFAULTS.port}/healthz`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function healthz(): Promise<number | null> {
  try {
    return (await fetch(API, { signal: AbortSignal.timeout(2000) })).status;
  } catch (_) {
    return null;
  }
}

/** True while some process (another interpreter with `--telnet`) accepts on the telnet port. */
function telnetTaken(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(2323, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * `npm run flash` of the device file `device` (and `firmware`, `dist/espruino.js` by default)
 * into the interpreter's Storage in `cwd`, over its telnet console; the interpreter is stopped
 * afterwards. What went wrong, if anything; secrets from the device file never printed.
 */
export async function flashInto(
  bin: string,
  cwd: string,
  device: string,
  firmware?: string,
): Promise<{ problem?: string }> {
  for (let waited = 0; await telnetTaken(); waited += 2000) {
    if (waited > 300_000) return { problem: "another process has held port 2323 for 5 minutes" };
    await sleep(2000);
  }
  const console1 = startBoard(bin, cwd, ["--telnet"]);
  await sleep(1500);
  const args = [
    "tsx",
    "scripts/flash.ts",
    "--port",
    TELNET,
    "--board",
    "linux",
    "--device",
    device,
  ];
  if (firmware) args.push("--firmware", firmware);
  const flashed = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile("npx", args, { timeout: 600_000 }, (error, out, err) =>
      resolve({ code: error ? 1 : 0, output: `${out}${err}` }),
    );
  });
  await console1.kill();
  if (flashed.code !== 0)
    return { problem: `npm run flash failed:\n${flashed.output.slice(-3000)}` };
  const secrets = JSON.parse(readFileSync(device, "utf8"));
  if ([secrets.deviceKey, secrets.apiKey].some((secret) => flashed.output.includes(secret))) {
    return { problem: "npm run flash printed a secret" };
  }
  return {};
}

export async function flashAndBoot(bin: string): Promise<{ problem?: string; summary?: string }> {
  const cwd = mkdtempSync(join(tmpdir(), "espruino-flash-"));
  const services = startServices({
    clock: realClock,
    devices: [
      {
        deviceId: "espruino",
        key: "flash-test-key",
        tenant: "lab",
        ns: "bench",
        roles: ["device"],
      },
    ],
  });
  const served = await serveServicesOnLoopback(services);
  try {
    const device = writeDeviceFile(cwd, served, {
      deviceKey: "flash-test-key",
      apiKey: "flash-test-api-key",
    });
    const flashed = await flashInto(bin, cwd, device);
    if (flashed.problem) return flashed;
    const board = startBoard(bin, cwd);
    let status: number | null = null;
    for (let waited = 0; waited < 60_000; waited += 1000) {
      await sleep(1000);
      status = await healthz();
      if (status === 200 && services.discovery.stats.registrations > 0) break;
    }
    board.type('print("JSVARS " + process.memory().usage)');
    await sleep(1000);
    const output = board.output();
    await board.kill();
    const vars = output.match(/JSVARS (\d+)/)?.[1];
    if (!/boot: fw\.a attempt 1/.test(output)) {
      return { problem: `the stub did not boot slot A:\n${output.slice(-3000)}` };
    }
    if (services.discovery.stats.registrations === 0) {
      return { problem: `the flashed device did not register:\n${output.slice(-3000)}` };
    }
    if (status !== 200) return { problem: `the flashed device's API answered ${status} on ${API}` };
    return {
      summary: `flashed over ${TELNET} with espruino-cli; after a cold start the stub booted slot A (attempt 1), the device registered with ServiceDiscovery and answered /healthz (${vars} JsVars in use)`,
    };
  } finally {
    await served.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * Writes the device file `npm run flash` reads into `cwd`: the services served on loopback, and
 * `fields` (keys, managers, settings). Returns its path.
 */
export function writeDeviceFile(
  cwd: string,
  served: { [name in HttpServiceName]?: string },
  fields: Record<string, unknown>,
): string {
  const device = join(cwd, "device.json");
  const services = {
    discoveryUrl: served.discovery,
    configUrl: served.config,
    stateUrl: served.state,
    alarmsUrl: served.alarms,
    updatesUrl: served.updates,
  };
  writeFileSync(device, JSON.stringify(Object.assign({ services }, fields)));
  return device;
}
