/**
 * A real device in the viewer: the firmware, run from Storage on the real interpreter
 * (`ESPRUINO_BIN`, the 64-bit Linux build, started with `--telnet`) with `inspect.on` in its
 * Storage, prints its inspection lines on its telnet console (port 2323); the console reader of
 * `npm run inspect-device` feeds them to the relay, and the stream the offline viewer reads
 * carries the device's managers with their states. Skipped, saying so, without `ESPRUINO_BIN`.
 * Only one process can hold the telnet port: a lock directory in the system's temp folder makes
 * concurrent runs (other worktrees, other engineers) take turns.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { parseInspectionLine } from "../../runtime/inspectLine.js";
import { runFromStorage } from "../../scripts/espruino/interpreter.js";
import { openDeviceConsole } from "../../simulations/deviceConsole.js";
import { type LiveInspector, startInspector } from "../../simulations/inspector.js";

const bin = process.env.ESPRUINO_BIN;
if (!bin) {
  console.warn(
    "inspect-device.espruino.test: SKIPPED: ESPRUINO_BIN is not set (an Espruino Linux build with --telnet)",
  );
}
const TELNET = "tcp://127.0.0.1:2323";
const LOCK = join(tmpdir(), "espruino-telnet-2323.lock");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function takeTelnetLock(): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    try {
      mkdirSync(LOCK);
      return;
    } catch (_) {
      await sleep(500);
    }
  }
  throw new Error(`the telnet port stayed locked (${LOCK}): remove it if no run holds it`);
}

/** Whether something already listens on the telnet port (a run that does not take the lock). */
const portBusy = () =>
  new Promise<boolean>((resolve) => {
    const socket = connect(2323, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

let inspector: LiveInspector | undefined;
afterAll(() => inspector?.stop());

describe.skipIf(!bin)("a device's inspection stream on the real interpreter", () => {
  it("reaches the viewer's stream over --telnet", async () => {
    if (!existsSync("dist/espruino.js"))
      throw new Error("dist/espruino.js is missing: npm run build");
    await takeTelnetLock();
    try {
      for (let tries = 0; await portBusy(); tries++) {
        if (tries === 120) {
          throw new Error(
            "port 2323 is held by an Espruino run that does not take the lock: stop it, or run this test in its own network namespace (unshare -n)",
          );
        }
        await sleep(500);
      }
      inspector = await startInspector(0);
      const seen: Array<{
        type: string;
        name?: string;
        sessionId: string;
        snapshot?: { value?: unknown };
      }> = [];
      const viewer = new WebSocket(inspector.streamUrl);
      viewer.on("message", (data) => seen.push(JSON.parse(String(data))));
      await new Promise((r) => viewer.on("open", r));

      const run = runFromStorage({
        bin: bin!,
        code: readFileSync("dist/espruino.js", "utf8"),
        name: "firmware.js",
        files: { "inspect.on": "1" },
        epilogue: "setTimeout(function () { quit(); }, 25000);",
        timeoutMs: 60_000,
        args: ["--telnet"],
      });
      let console_: Awaited<ReturnType<typeof openDeviceConsole>> | undefined;
      let lines = 0;
      for (let tries = 0; tries < 100 && !console_; tries++) {
        await sleep(300);
        console_ = await openDeviceConsole(TELNET, {
          line: (text) => {
            const line = parseInspectionLine(text);
            if (!line) return;
            lines++;
            inspector!.record(line);
          },
          closed: () => {},
        }).catch(() => undefined);
      }
      expect(console_, "could not connect to the interpreter's telnet console").toBeDefined();
      const names = () =>
        new Set(seen.filter((m) => m.type === "@xstate.actor").map((m) => m.name));
      const networkStates = () => {
        const network = seen.find((m) => m.type === "@xstate.actor" && m.name === "network");
        return seen
          .filter(
            (m) => network && m.sessionId === network.sessionId && m.type === "@xstate.snapshot",
          )
          .map((m) => m.snapshot?.value);
      };
      // Each manager's next snapshot comes at the latest with the controller's next ping.
      const deadline = Date.now() + 22_000;
      while (Date.now() < deadline && networkStates().length === 0) await sleep(200);
      console_!.close();
      viewer.close();
      const output = (await run).output;
      expect([...names()], `interpreter said:\n${output.slice(-1500)}`).toEqual(
        expect.arrayContaining(["controller", "network", "logger"]),
      );
      // The Linux interpreter has no Wifi module and takes the host's network as a wired link:
      // its network manager is connected.
      expect(networkStates()).toContainEqual({ connected: "idle" });
      expect(lines).toBeGreaterThan(0);
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }, 120_000);
});
