/**
 * `npm run flash` refusals, each a clear message and exit 1 with nothing written: an unknown
 * board profile, a device file lacking fields, a firmware too big for the profile, managers that
 * need more JsVars than the board has, and a port where no Espruino answers (a TCP server that
 * accepts and stays silent, and one that is not there). Secrets from the device file never
 * appear in what it prints.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkFit, loadProfile } from "../../board/profiles/profiles.js";

const dir = mkdtempSync(join(tmpdir(), "flash-test-"));
const DEVICE = {
  services: {
    discoveryUrl: "http://127.0.0.1:1",
    configUrl: "http://127.0.0.1:1",
    stateUrl: "http://127.0.0.1:1",
    alarmsUrl: "http://127.0.0.1:1",
  },
  deviceKey: "device-secret-1234",
  apiKey: "api-secret-5678",
};

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function flash(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      "npx",
      ["tsx", "scripts/flash.ts", ...args],
      { timeout: 60_000 },
      (error, out, err) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${out}${err}` });
      },
    );
  });
}

let silent: Server;
let silentPort = 0;
const accepted: Socket[] = [];
beforeAll(async () => {
  silent = createServer((socket) => {
    accepted.push(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(() => {
  for (const socket of accepted) socket.destroy();
  return new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe("npm run flash refuses", () => {
  const device = file("device.json", JSON.stringify(DEVICE));
  const base = ["--port", "tcp://127.0.0.1:1", "--device", device];

  it("an unknown board profile, naming the known ones", async () => {
    const run = await flash([...base, "--board", "esp8266"]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /unknown board profile "esp8266": there are esp32, linux, pico-w, pico2-w/,
    );
  });

  it("a device file lacking fields, naming each", async () => {
    const lacking = file(
      "lacking.json",
      JSON.stringify({
        services: {},
        apiKey: "api-secret-5678",
        ota: { commitTimeoutMs: -1, tries: 3 },
      }),
    );
    const run = await flash([
      "--port",
      "tcp://127.0.0.1:1",
      "--board",
      "esp32",
      "--device",
      lacking,
    ]);
    expect(run.code).toBe(1);
    for (const field of [
      "services.discoveryUrl",
      "services.alarmsUrl",
      "deviceKey",
      "wifi.ssid",
      "ota.commitTimeoutMs (a positive whole number)",
      "ota.tries (not one of",
    ]) {
      expect(run.output).toContain(field);
    }
    expect(run.output).not.toContain("api-secret-5678");
  });

  it("a firmware too big for the board's Storage", async () => {
    const big = file("big.js", "x".repeat(300_000));
    const run = await flash([...base, "--board", "pico-w", "--firmware", big]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /refused, nothing written: .*\n.*needs \d+ bytes of Storage; .* has 262144/,
    );
  });

  it("managers that need more JsVars than the board has", () => {
    // Every profile now holds every manager: an original Espruino Pico's 5,100 does not.
    const pico = Object.assign({}, loadProfile("pico-w"), { jsVars: 5_100 });
    const fit = checkFit(pico, {
      managers: ["logger", "network", "auth", "config", "watchdog", "state", "alarms", "api"],
      firmwareBytes: 1,
      stubBytes: 1,
      provisioningBytes: 1,
    });
    expect(fit.problems.join("\n")).toMatch(
      /need about \d+ JsVars .* has 5100: choose fewer with --managers/,
    );
    expect(
      checkFit(loadProfile("pico-w"), {
        managers: [
          "logger",
          "network",
          "auth",
          "config",
          "watchdog",
          "api",
          "alarms",
          "timesync",
          "state",
        ],
        firmwareBytes: 1,
        stubBytes: 1,
        provisioningBytes: 1,
      }).problems,
    ).toEqual([]);
  });

  it("a port where no Espruino answers", async () => {
    const run = await flash([
      "--port",
      `tcp://127.0.0.1:${silentPort}`,
      "--board",
      "linux",
      "--device",
      device,
      "--timeout",
      "5",
    ]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/no Espruino answered on tcp:\/\/127\.0\.0\.1:\d+|no answer within/);
    expect(run.output).not.toMatch(/device-secret-1234|api-secret-5678/);
  });

  it("a port that is not there", async () => {
    const run = await flash([...base, "--board", "linux", "--timeout", "5"]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /flash: (could not open|no Espruino answered on|opening) tcp:\/\/127\.0\.0\.1:1/,
    );
  });
});
