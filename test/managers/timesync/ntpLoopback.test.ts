/**
 * The TimeSyncManager over real UDP (`node:dgram`, the board's `loopbackUdp`) in real time:
 * against the simulated NTP server on loopback, and against a real NTP server, chrony, run
 * unprivileged on a loopback port with `-x` (it never touches the system clock). Skipped, and
 * said so, where chronyd is not installed.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import { loopbackUdp, serveUdpOnLoopback } from "../../../board/node/loopbackUdp.js";
import { realClock } from "../../../board/node/realClock.js";
import type { TimeSyncContext } from "../../../managers/timesync/machine.js";
import { simulateDevice } from "../../../simulations/device.js";
import { NtpServer } from "../../../simulations/services/index.js";

function chronydPath(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v chronyd"], { encoding: "utf8" }).trim() || null;
  } catch (_error) {
    return null;
  }
}

const CHRONYD = chronydPath();
if (CHRONYD === null) {
  console.log(
    "ntpLoopback: SKIPPED the chrony test: chronyd is not installed (apt-get install chrony)",
  );
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A device of a logger and the TimeSyncManager on real UDP and the real clock. */
function deviceSyncingFrom(host: string, port: number) {
  const lines: string[] = [];
  const device = simulateDevice({
    clock: realClock,
    seed: 11,
    services: {
      discoveryUrl: "http://discovery.invalid",
      configUrl: "http://config.invalid",
      http: () => ({ request: () => () => {}, serve: () => () => {} }),
      // Real sockets: no simulated radio between the device and loopback.
      udp: () => loopbackUdp(),
    },
    timesync: { servers: [{ host, port }], samples: 2, requestTimeoutMs: 1000 },
    specs: (_board, table) =>
      table
        .filter((s) => s.id === "logger" || s.id === "timesync")
        .map((s) => ({ ...s, dependsOn: [] })),
    observeLog: (notice) => {
      if (notice.kind === "written") lines.push(notice.line);
    },
  });
  device.actor.start();
  cleanups.push(() => {
    device.actor.stop();
  });
  const context = () =>
    ((device.child("timesync") as AnyActorRef).getSnapshot() as { context: TimeSyncContext })
      .context;
  const synced = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (!context().synced && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return context();
  };
  return { device, context, synced, lines };
}

function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) =>
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    }),
  );
}

describe("time sync over real UDP on loopback", () => {
  it("recovers the offset of the simulated NTP server served on a real socket", async () => {
    const server = new NtpServer({ clock: realClock, offsetMs: 86_400_000, stratum: 4 });
    const served = await serveUdpOnLoopback(server.handler);
    cleanups.push(() => served.close());
    const d = deviceSyncingFrom(served.address, served.port);
    const context = await d.synced(10_000);
    expect(context).toMatchObject({ synced: true, stratum: 4, server: `127.0.0.1:${served.port}` });
    expect(Math.abs(context.offsetMs! - 86_400_000)).toBeLessThan(50);
    expect(d.lines.some((l) => l.includes("clock stepped by"))).toBe(true);
  });

  it.skipIf(CHRONYD === null)(
    "syncs from chronyd: an offset near 0 (same host clock) and the stratum it was told to serve",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "chrony-"));
      // chronyd drops root for its own user, who must be able to write the drift file here.
      chmodSync(dir, 0o777);
      const port = await freeUdpPort();
      const conf = join(dir, "chrony.conf");
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bindaddress 127.0.0.1",
          "allow 127.0.0.1",
          "local stratum 8",
          "cmdport 0",
          `driftfile ${join(dir, "drift")}`,
          `pidfile ${join(dir, "chronyd.pid")}`,
        ].join("\n"),
      );
      const chronyd: ChildProcess = spawn(CHRONYD!, ["-d", "-x", "-f", conf], { stdio: "pipe" });
      let output = "";
      chronyd.stderr?.on("data", (chunk) => {
        output += String(chunk);
      });
      cleanups.push(async () => {
        const exited = new Promise((r) => chronyd.once("exit", r));
        chronyd.kill("SIGTERM");
        await exited;
        rmSync(dir, { recursive: true, force: true });
      });

      const d = deviceSyncingFrom("127.0.0.1", port);
      const context = await d.synced(15_000);
      expect(context.synced, `chronyd said:\n${output}`).toBe(true);
      expect(context.stratum).toBe(8);
      expect(Math.abs(context.offsetMs!)).toBeLessThan(50);
      expect(context.delayMs!).toBeLessThan(50);
    },
    20_000,
  );
});
