/**
 * The TimeSyncManager in the whole device (`startDevice()`, virtual clock) against the simulated
 * NTP server, with faults injected: the offset recovered, step and slew, rejected answers and
 * the next server, lost datagrams, backoff, readiness with and without `requireSync`, settings
 * from the configuration, and the logger's time stamps.
 */
import { describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import type { TimeSyncContext } from "../../../managers/timesync/machine.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { NTP_EPOCH_MS, NtpServer } from "../../../simulations/services/index.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const NTP = { host: "ntp.sim", port: 123 };
const NTP2 = { host: "ntp2.sim", port: 123 };

function device(options: Parameters<typeof startDevice>[0] = {}) {
  const d = startDevice(options);
  const second = new NtpServer({ clock: d.clock, offsetMs: NTP_EPOCH_MS, stratum: 3 });
  d.net.listenUdp(NTP2.host, NTP2.port, second.handler);
  const timesync = () =>
    (d.child("timesync") as AnyActorRef).getSnapshot() as {
      value: string;
      context: TimeSyncContext;
    };
  /** The wall clock now, read off the time stamp of a line the logger writes at once. */
  const wallNow = () => {
    (d.child("logger") as AnyActorRef).send({
      type: "LOG",
      manager: "test",
      entry: { level: "info", msg: "what time is it" },
    });
    const ts = d.lines[d.lines.length - 1].ts;
    return typeof ts === "string" ? Date.parse(ts) : ts;
  };
  return { ...d, ntp: d.services.ntp, second, timesync, wallNow };
}

describe("time sync against the simulated NTP server", () => {
  it("recovers the server's time, steps the wall clock and stamps log lines with it", () => {
    const d = device();
    d.actor.start();
    const bootStamp = d.wallNow();
    expect(bootStamp).toBe(0);
    d.clock.advance(20 * SECOND);

    const { value, context } = d.timesync();
    expect(value).toBe("synced");
    expect(context).toMatchObject({
      synced: true,
      server: "ntp.sim:123",
      stratum: 2,
      lastError: null,
    });
    // A symmetric 20 ms path: the offset is exact to the NTP fraction, the delay two latencies.
    expect(context.offsetMs).toBeCloseTo(NTP_EPOCH_MS, 3);
    expect(context.delayMs).toBeCloseTo(40, 3);
    expect(Math.abs(context.lastSyncAt! - d.ntp.now())).toBeLessThan(20 * SECOND);
    expect(d.reports("TIME_SYNCED")).toEqual([
      {
        type: "TIME_SYNCED",
        offsetMs: context.offsetMs,
        delayMs: context.delayMs,
        server: "ntp.sim:123",
        stratum: 2,
      },
    ]);
    expect(d.logsOf("timesync")).toContainEqual({
      level: "info",
      msg: "clock stepped by 1767225600000 ms from ntp.sim:123 (stratum 2, delay 40 ms)",
    });
    // Lines before the sync carry time since boot; the line announcing it, the server's time.
    const announced = d.lines.find((l) => l.msg.startsWith("clock stepped"))!;
    expect(Date.parse(announced.ts as string)).toBeGreaterThan(NTP_EPOCH_MS);
    expect(Math.abs(d.wallNow() - d.ntp.now())).toBeLessThanOrEqual(1);
    expect(d.readiness()).toEqual({ ready: true, failing: {} });
  });

  it("an asymmetric path biases the offset by half the difference, within delay / 2", () => {
    const d = device();
    d.ntp.requestDelayMs = 30;
    d.actor.start();
    d.clock.advance(20 * SECOND);
    const { offsetMs, delayMs } = d.timesync().context;
    const error = offsetMs! - NTP_EPOCH_MS;
    expect(error).toBeCloseTo(15, 3);
    expect(Math.abs(error)).toBeLessThanOrEqual(delayMs! / 2);
  });

  it("keeps the sample with the lowest delay, and slews a small offset without a jump", () => {
    const d = device({ timesync: { resyncIntervalMs: MINUTE } });
    d.actor.start();
    d.clock.advance(20 * SECOND);
    const syncedAt = d.clock.now();
    expect(d.timesync().value).toBe("synced");

    // The server moves 50 ms ahead; the last answer of the next round is held 400 ms on the
    // way in, which would read as 250 ms (a step), the three before it are not.
    d.ntp.offsetMs += 50;
    const firstRound = d.ntp.stats.received;
    while (d.ntp.stats.received < firstRound + 3) d.clock.advance(100);
    d.ntp.requestDelayMs = 400;
    const before = d.wallNow();
    d.clock.advance(10 * SECOND);
    d.ntp.requestDelayMs = 0;
    expect(syncedAt).toBeLessThan(MINUTE);
    expect(d.ntp.stats.received).toBe(firstRound + 4);
    expect(d.logsOf("timesync").at(-1)).toEqual({
      level: "info",
      msg: "clock slewing by 50 ms from ntp.sim:123 (stratum 2, delay 40 ms)",
    });
    // No jump: 10 s later the wall clock has moved 10 s and at most 500 ppm more.
    const after = d.wallNow();
    expect(after - before).toBeGreaterThanOrEqual(10 * SECOND);
    expect(after - before).toBeLessThanOrEqual(10 * SECOND + 5 + 1);
    // 50 ms at 500 ppm take 100 s (a resync meanwhile slews to the same target); then the
    // clock reads the server's time.
    d.clock.advance(100 * SECOND);
    expect(Math.abs(d.wallNow() - d.ntp.now())).toBeLessThanOrEqual(1);
  });

  it("steps an offset beyond the threshold at the next resync", () => {
    const d = device({ timesync: { resyncIntervalMs: MINUTE, stepThresholdMs: 1000 } });
    d.actor.start();
    d.clock.advance(20 * SECOND);
    d.ntp.offsetMs += 5 * SECOND;
    d.clock.advance(MINUTE);
    expect(d.logsOf("timesync").at(-1)?.msg).toBe(
      "clock stepped by 5000 ms from ntp.sim:123 (stratum 2, delay 40 ms)",
    );
    expect(Math.abs(d.wallNow() - d.ntp.now())).toBeLessThanOrEqual(1);
    expect(d.reports("TIME_SYNCED")).toHaveLength(2);
  });

  it.each([
    ["kiss-of-death RATE", (s: NtpServer) => (s.kissCode = "RATE")],
    ["kiss-of-death DENY", (s: NtpServer) => (s.kissCode = "DENY")],
    ["stratum 16 is beyond 15", (s: NtpServer) => (s.stratum = 16)],
    ["server clock unsynchronised (leap indicator 3)", (s: NtpServer) => (s.leap = 3)],
    [
      "originate timestamp is not our request's: a stale or forged answer",
      (s: NtpServer) => (s.forgeOriginate = true),
    ],
  ])("rejects an answer (%s), logs why and syncs from the next server", (reason, fault) => {
    const d = device({ timesync: { servers: [NTP, NTP2] } });
    fault(d.ntp);
    d.actor.start();
    d.clock.advance(30 * SECOND);
    expect(d.logsOf("timesync")).toContainEqual({
      level: "warn",
      msg: `ntp.sim:123: answer rejected: ${reason}`,
    });
    // The rejecting server's turn ended at its first answer.
    expect(d.ntp.stats.answered).toBe(1);
    expect(d.timesync().context).toMatchObject({
      synced: true,
      server: "ntp2.sim:123",
      stratum: 3,
    });
    expect(d.timesync().context.offsetMs).toBeCloseTo(NTP_EPOCH_MS, 3);
  });

  it("never asks again a server that answered DENY, until the servers are configured anew", () => {
    const d = device({ timesync: { servers: [NTP, NTP2], resyncIntervalMs: MINUTE } });
    d.ntp.kissCode = "DENY";
    d.actor.start();
    d.clock.advance(30 * SECOND);
    expect(d.ntp.stats.answered).toBe(1);
    expect(d.timesync().context.denied).toEqual(["ntp.sim:123"]);
    // Resyncs go to the other server only, though the first would answer well now.
    d.ntp.kissCode = null;
    d.clock.advance(5 * MINUTE);
    expect(d.ntp.stats.answered).toBe(1);
    expect(d.timesync().context).toMatchObject({ synced: true, server: "ntp2.sim:123" });
    // RATE only ends the turn: that server is asked again at the next round.
    const rated = device({ timesync: { servers: [NTP, NTP2], resyncIntervalMs: MINUTE } });
    rated.ntp.kissCode = "RATE";
    rated.actor.start();
    rated.clock.advance(30 * SECOND);
    rated.ntp.kissCode = null;
    rated.clock.advance(2 * MINUTE);
    expect(rated.ntp.stats.answered).toBeGreaterThan(1);
    expect(rated.timesync().context.denied).toEqual([]);
  });

  it("retries lost requests on the same server, and moves on when one never answers", () => {
    const d = device({ timesync: { servers: [NTP, NTP2], requestTimeoutMs: 1000 } });
    d.ntp.dropNext(2);
    d.actor.start();
    d.clock.advance(30 * SECOND);
    expect(d.ntp.stats.dropped).toBe(2);
    expect(
      d.logsOf("timesync").filter((l) => l.msg === "ntp.sim:123: no answer: timeout"),
    ).toHaveLength(2);
    expect(d.timesync().context).toMatchObject({ synced: true, server: "ntp.sim:123" });

    const silent = device({ timesync: { servers: [NTP, NTP2], requestTimeoutMs: 1000 } });
    silent.ntp.dropNext(1000);
    silent.actor.start();
    silent.clock.advance(30 * SECOND);
    expect(silent.timesync().context).toMatchObject({ synced: true, server: "ntp2.sim:123" });
  });

  it("tries a server whose name does not resolve, then the next", () => {
    const d = device({ timesync: { servers: [{ host: "pool.ntp.org", port: 123 }, NTP] } });
    d.actor.start();
    d.clock.advance(30 * SECOND);
    expect(d.logsOf("timesync")).toContainEqual({
      level: "warn",
      msg: "pool.ntp.org:123: no answer: dns failure",
    });
    expect(d.timesync().context).toMatchObject({ synced: true, server: "ntp.sim:123" });
  });

  it("syncs over a network that loses datagrams", () => {
    const d = device({ udpLoss: 0.4, timesync: { requestTimeoutMs: 1000 } });
    d.actor.start();
    d.clock.advance(5 * MINUTE);
    expect(d.net.udpStats.lost).toBeGreaterThan(0);
    expect(d.timesync().context.synced).toBe(true);
    expect(d.timesync().context.offsetMs).toBeCloseTo(NTP_EPOCH_MS, 3);
  });

  it("backs off when no server answers; unsynced it is ready unless sync is required", () => {
    const d = device({ timesync: { requestTimeoutMs: 1000, samples: 2 } });
    d.ntp.dropNext(1_000_000);
    d.actor.start();
    d.clock.advance(MINUTE);
    const failing = d.timesync();
    expect(failing.value).toBe("unsynced");
    expect(failing.context).toMatchObject({ synced: false, lastError: "ntp.sim:123: timeout" });
    const retry = d
      .logsOf("timesync")
      .find((l) => l.msg.startsWith("no server gave a usable time"));
    const waited = Number(/retrying in (\d+) ms/.exec(retry!.msg)![1]);
    expect(waited).toBeGreaterThanOrEqual(15 * SECOND);
    expect(d.readiness()).toEqual({ ready: true, failing: {} });

    // The configuration now requires a synced clock: the device is not ready, and says why.
    d.services.config.setDocument(
      SIMULATED_DEVICE.tenant,
      SIMULATED_DEVICE.ns,
      SIMULATED_DEVICE.deviceId,
      {
        timesync: { requireSync: true, requestTimeoutMs: 1000, samples: 2 },
      },
    );
    d.clock.advance(MINUTE);
    expect(d.timesync().value).toBe("awaitingSync");
    expect(d.timesync().context.settings.servers).toEqual([NTP]);
    expect(d.readiness()).toEqual({ ready: false, failing: { timesync: "ntp.sim:123: timeout" } });

    d.ntp.dropNext(0);
    d.clock.advance(10 * MINUTE);
    expect(d.timesync().value).toBe("synced");
    expect(d.readiness()).toEqual({ ready: true, failing: {} });
  });

  it("starts the round again when the servers change in the middle of it", () => {
    const d = device({ timesync: { requestTimeoutMs: 1000 } });
    d.ntp.dropNext(1_000_000);
    d.actor.start();
    d.clock.advance(3 * SECOND);
    expect(d.timesync().context.serverIndex).toBe(0);
    (d.child("timesync") as AnyActorRef).send({ type: "CONFIGURE", settings: { servers: [NTP2] } });
    d.clock.advance(20 * SECOND);
    expect(d.timesync().context).toMatchObject({ synced: true, server: "ntp2.sim:123" });
  });

  it("refuses invalid settings and keeps those in force", () => {
    const d = device();
    d.actor.start();
    (d.child("timesync") as AnyActorRef).send({ type: "CONFIGURE", settings: { samples: 40 } });
    (d.child("timesync") as AnyActorRef).send({
      type: "CONFIGURE",
      settings: { servers: [{ host: "ntp.sim", port: 0 }] },
    });
    (d.child("timesync") as AnyActorRef).send({ type: "CONFIGURE", settings: { when: "now" } });
    expect(d.logsOf("timesync").filter((l) => l.level === "error")).toEqual([
      { level: "error", msg: "settings refused: samples: must be <= 16" },
      {
        level: "error",
        msg: "settings refused: servers/0/port: must be >= 1",
      },
      { level: "error", msg: "settings refused: when: unknown setting" },
    ]);
    expect(d.timesync().context.settings).toMatchObject({ samples: 4, servers: [NTP] });
  });
});
