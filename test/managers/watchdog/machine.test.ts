import { describe, expect, it } from "vitest";
import { type AnyActorRef, assign, sendParent, setup } from "xstate";
import { SimulatedWatchdog } from "../../../board/sim/simulatedWatchdog.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { ManagerSpec } from "../../../managers/controller/spec.js";
import { type PingEvent, pongFor, READY } from "../../../managers/supervision.js";
import {
  mergeWatchdogSettings,
  WATCHDOG_DEFAULTS,
  type WatchdogContext,
} from "../../../managers/watchdog/machine.js";
import { stateName } from "../../../runtime/stateName.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const { deviceId, tenant, ns } = SIMULATED_DEVICE;

type Device = ReturnType<typeof startDevice>;

const watchdog = (d: Device) =>
  d.child("watchdog")!.getSnapshot() as { value: unknown; context: WatchdogContext };

/** The device with its `watchdog` configuration section served, applied within its first second. */
function deviceWith(
  section: Record<string, number>,
  options: Parameters<typeof startDevice>[0] = {},
) {
  const d = startDevice(options);
  d.services.config.setDocument(tenant, ns, deviceId, { watchdog: section });
  d.actor.start();
  d.clock.advance(SECOND);
  return d;
}

/**
 * A manager under test control, answering the controller's pings unless `MUTE`d. With `hogAt`,
 * it never yields from that time on (a busy loop, simulated by blocking the clock for an hour).
 */
function testManager(options: { hogAt?: number; clock?: VirtualClock } = {}) {
  return setup({
    types: {
      context: {} as { muted: boolean },
      events: {} as PingEvent | { type: "MUTE" } | { type: "UNMUTE" },
    },
    delays: { hogAt: options.hogAt ?? HOUR },
  }).createMachine({
    id: "test",
    context: { muted: false },
    initial: "working",
    on: {
      PING: {
        guard: ({ context }) => !context.muted,
        actions: sendParent(({ self, event }) => pongFor(self as AnyActorRef, event)),
      },
      MUTE: { actions: assign({ muted: true }) },
      UNMUTE: { actions: assign({ muted: false }) },
    },
    states: {
      working: {
        tags: READY,
        after: options.clock
          ? { hogAt: { target: "hogging", actions: () => options.clock!.block(HOUR) } }
          : {},
      },
      hogging: {},
    },
  });
}

function withTestManager(options: { hogAt?: number } = {}) {
  return (board: { clock: unknown }, table: ManagerSpec[]): ManagerSpec[] => [
    ...table,
    {
      id: "test",
      logic: testManager({ ...options, clock: board.clock as VirtualClock }),
      dependsOn: ["logger"],
      requiredForReadiness: false,
    },
  ];
}

describe("watchdog: heartbeats", () => {
  it("sends the device's summary every interval, as the server records it", () => {
    const d = startDevice();
    d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 60_000 } });
    d.actor.start();
    d.clock.advance(30 * SECOND);
    // The summary is read as the heartbeat leaves, at 30 s: the managers' states at that moment.
    const managers: Record<string, string> = {};
    for (const { id } of d.specs) {
      managers[id] = stateName(d.child(id)!.getSnapshot().value);
    }
    d.clock.advance(SECOND);

    const beat = d.services.discovery.lastHeartbeat(deviceId);
    expect(beat?.at).toBe(30 * SECOND + 20);
    expect(beat?.body).toEqual({
      deviceId,
      managers,
      uptimeMs: 30 * SECOND,
      freeMemory: expect.any(Number),
      firmwareVersion: "0.1.0-sim",
      configVersion: 1,
      ota: { running: "0.1.0-sim", lastResult: null, lastError: null },
    });
    expect(managers).toMatchObject({ auth: "authenticated.fresh", watchdog: "beating" });
    expect(watchdog(d).context).toMatchObject({ heartbeats: 1, missed: 0, missedTotal: 0 });

    d.clock.advance(60 * SECOND);
    expect(d.services.discovery.stats.heartbeats).toBe(3);
    expect(watchdog(d).context.heartbeats).toBe(3);
  });

  it("escalates in order at the configured counts: reconnect at 2, reset at 4", () => {
    const d = deviceWith({
      heartbeatIntervalMs: 10_000,
      reconnectAfterMisses: 2,
      resetAfterMisses: 4,
    });
    expect(watchdog(d).context.settings).toMatchObject({
      heartbeatIntervalMs: 10_000,
      reconnectAfterMisses: 2,
      resetAfterMisses: 4,
    });
    // The first beat was scheduled on the defaults, at 30 s; the next ones come every 10 s.
    d.clock.advance(30 * SECOND);
    expect(watchdog(d).context.heartbeats).toBe(1);
    d.services.discovery.faults.failNext(100, 503);

    d.clock.advance(10 * SECOND);
    expect(watchdog(d).context.missed).toBe(1);
    expect(d.reports("RECONNECT")).toEqual([]);

    d.clock.advance(10 * SECOND);
    expect(watchdog(d).context.missed).toBe(2);
    expect(d.reports("RECONNECT")).toHaveLength(1);
    expect(d.reports("NETWORK_DOWN").at(-1)).toMatchObject({ reason: "2 heartbeats missed" });
    expect(d.network().value).toEqual({ connected: "idle" });
    expect(d.network().context.connections).toBe(2);
    expect(d.board.resets).toEqual([]);

    d.clock.advance(10 * SECOND);
    expect(watchdog(d).context.missed).toBe(3);
    expect(d.board.resets).toEqual([]);

    d.clock.advance(10 * SECOND);
    expect(watchdog(d).context.missed).toBe(4);
    expect(d.board.resets).toEqual(["watchdog"]);
    expect(d.reports("RECONNECT")).toHaveLength(1);
    expect(d.logsOf("watchdog").filter((l) => l.level === "error")).toEqual([
      {
        level: "error",
        msg: "2 heartbeats missed (last: injected fault (HTTP 503)): reconnecting the network",
      },
      {
        level: "error",
        msg: "4 heartbeats missed (last: injected fault (HTTP 503)): resetting the device",
      },
    ]);
    expect(d.logsOf("watchdog").filter((l) => l.level === "warn")).toEqual([
      { level: "warn", msg: "heartbeat missed: injected fault (HTTP 503)" },
    ]);

    // The server answers again: the count starts over, the total stays.
    d.services.discovery.faults.reset();
    d.clock.advance(10 * SECOND);
    expect(watchdog(d).context).toMatchObject({ missed: 0, missedTotal: 4, heartbeats: 2 });
    expect(d.logsOf("watchdog").at(-1)).toEqual({
      level: "info",
      msg: "heartbeat acknowledged after 4 missed",
    });
  });

  it("still escalates when the configuration lowers a threshold below the count", () => {
    const d = deviceWith({
      heartbeatIntervalMs: 10_000,
      reconnectAfterMisses: 3,
      resetAfterMisses: 8,
    });
    d.clock.advance(30 * SECOND);
    d.services.discovery.faults.failNext(100, 503);
    d.clock.advance(50 * SECOND);
    expect(watchdog(d).context.missed).toBe(5);
    expect(d.reports("RECONNECT")).toHaveLength(1);
    // An operator lowers the reset threshold to 4, below the 5 already missed.
    d.services.config.setDocument(tenant, ns, deviceId, {
      watchdog: { heartbeatIntervalMs: 10_000, reconnectAfterMisses: 2, resetAfterMisses: 4 },
      config: { pollIntervalMs: 5_000 },
    });
    d.clock.advance(70 * SECOND);
    expect(d.board.resets).toEqual(["watchdog"]);
    expect(d.reports("RECONNECT")).toHaveLength(1);
  });

  it("counts misses in a row only: an acknowledged heartbeat sets the count back to zero", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(31 * SECOND);
    // A hung request (ended by the 5 s timeout), then an error status.
    d.services.discovery.faults.hangNext(1);
    d.services.discovery.faults.failNext(1, 500);
    d.clock.advance(70 * SECOND);
    expect(watchdog(d).context).toMatchObject({
      missed: 2,
      lastError: "injected fault (HTTP 500)",
    });
    expect(d.logsOf("watchdog")).toContainEqual({
      level: "warn",
      msg: "heartbeat missed: timeout",
    });
    d.clock.advance(30 * SECOND);
    expect(watchdog(d).context).toMatchObject({ missed: 0, missedTotal: 2, lastError: null });
    d.services.discovery.faults.failNext(2, 503);
    d.clock.advance(65 * SECOND);
    expect(watchdog(d).context).toMatchObject({ missed: 2, missedTotal: 4 });
    expect(d.reports("RECONNECT")).toEqual([]);
    expect(d.board.resets).toEqual([]);
  });

  it("counts a beat due while the network is down as missed, without sending it", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(31 * SECOND);
    const sent = d.services.discovery.stats.heartbeats;
    d.board.radio.outageFor(4 * MINUTE);
    d.clock.advance(3 * MINUTE);
    expect(d.services.discovery.stats.heartbeats).toBe(sent);
    expect(watchdog(d).context).toMatchObject({ missed: 6, lastError: "network down" });
    // Asked while not connected, the network manager goes on with its own retries.
    expect(d.reports("RECONNECT")).toHaveLength(1);
    expect(d.network().context.connections).toBe(1);
    expect(d.board.resets).toEqual(["watchdog"]);

    d.clock.advance(3 * MINUTE);
    expect(watchdog(d).context.missed).toBe(0);
    expect(d.services.discovery.stats.heartbeats).toBeGreaterThan(sent);
  });

  it("sends TOKEN_REJECTED once on a 401, and beats with the refreshed token", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(31 * SECOND);
    const auth = () => d.child("auth")!.getSnapshot() as { context: { refreshes: number } };
    d.services.discovery.faults.failNext(1, 401);
    d.clock.advance(30 * SECOND);
    expect(d.reports("TOKEN_REJECTED")).toHaveLength(1);
    expect(d.reports("TOKEN_REJECTED")[0]).toMatchObject({ token: expect.any(String) });
    expect(auth().context.refreshes).toBe(1);
    expect(watchdog(d).context).toMatchObject({ missed: 1, tokenRejected: false });
    d.clock.advance(30 * SECOND);
    expect(watchdog(d).context).toMatchObject({ missed: 0, heartbeats: 2 });
    expect(d.reports("TOKEN_REJECTED")).toHaveLength(1);
  });

  it("counts a body that is not JSON as missed, and logs it", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(31 * SECOND);
    d.services.discovery.faults.malformNext(1);
    d.clock.advance(30 * SECOND);
    expect(watchdog(d).context).toMatchObject({ missed: 1, heartbeats: 1 });
    expect(d.logsOf("watchdog").at(-1)).toEqual({
      level: "warn",
      msg: "heartbeat missed: malformed response body (HTTP 200)",
    });
  });
});

describe("watchdog: settings", () => {
  it("refuses a reset threshold not above the reconnect one, naming the field, and keeps its settings", () => {
    const d = deviceWith({ reconnectAfterMisses: 5, resetAfterMisses: 5 });
    expect(watchdog(d).context.settings).toEqual(WATCHDOG_DEFAULTS);
    expect(d.logsOf("watchdog")).toContainEqual({
      level: "error",
      msg: "settings refused: resetAfterMisses: must be above reconnectAfterMisses (5)",
    });
  });

  it("checks the merged settings, and names unknown or malformed fields", () => {
    const current = { ...WATCHDOG_DEFAULTS, reconnectAfterMisses: 2 };
    expect(mergeWatchdogSettings(current, { resetAfterMisses: 2 })).toEqual({
      error: "resetAfterMisses: must be above reconnectAfterMisses (2)",
    });
    expect(mergeWatchdogSettings(current, { resetAfterMisses: 3, hardwareTimeoutMs: 1 })).toEqual({
      settings: { ...current, resetAfterMisses: 3 },
    });
    expect(mergeWatchdogSettings(current, { beats: 1 } as never)).toEqual({
      error: "beats: unknown setting",
    });
    expect(mergeWatchdogSettings(current, { requestTimeoutMs: 0.5 })).toEqual({
      error: "requestTimeoutMs: must be integer",
    });
    expect(mergeWatchdogSettings(current, null as never)).toEqual({
      error: "settings: must be an object",
    });
  });

  it("re-enables the hardware watchdog with a timeout from the configuration", () => {
    const d = deviceWith({ hardwareTimeoutMs: 120_000 });
    expect(d.board.watchdog.timeoutMs).toBe(120_000);
    // Stopped before its first kick: bitten 120 s after the re-enabling.
    d.actor.stop();
    d.clock.advance(3 * MINUTE);
    expect(d.board.watchdog.bites[0].sinceKickMs).toBe(120_000);
  });

  it("refuses a hardware timeout that does not exceed the ping interval", () => {
    const d = deviceWith({ hardwareTimeoutMs: 10_000 });
    expect(d.board.watchdog.timeoutMs).toBe(60_000);
    expect(d.logsOf("controller")).toContainEqual({
      level: "error",
      msg: "settings refused: watchdog.hardwareTimeoutMs (10000 ms) must exceed supervisor.pingIntervalMs (10000 ms)",
    });
    d.clock.advance(10 * MINUTE);
    expect(d.board.watchdog.bites).toEqual([]);
  });
});

describe("watchdog: the board's limits", () => {
  const pico = { watchdogLimits: { maxMs: 8300, stepMs: 1 }, supervisor: { pingIntervalMs: 4000 } };

  it("starts with the default cut to what the board's watchdog holds", () => {
    const d = deviceWith({}, pico);
    expect(d.board.watchdog.timeoutMs).toBe(8300);
  });

  it("refuses a timeout above the board's maximum, or off its step, and keeps the one in force", () => {
    const d = deviceWith({ hardwareTimeoutMs: 20_000 }, pico);
    expect(d.board.watchdog.timeoutMs).toBe(8300);
    expect(d.logsOf("controller")).toContainEqual({
      level: "error",
      msg: "settings refused: watchdog.hardwareTimeoutMs (20000 ms) is more than this board's watchdog holds (8300 ms) or not a multiple of 1 ms",
    });
    const esp32 = deviceWith(
      { hardwareTimeoutMs: 30_500 },
      { watchdogLimits: { maxMs: 3_600_000, stepMs: 1000 } },
    );
    expect(esp32.board.watchdog.timeoutMs).toBe(60_000);
  });
});

describe("simulated hardware watchdog on the virtual clock", () => {
  it("a blocked clock runs nothing meanwhile, then the overdue timers late, in due order", () => {
    const clock = new VirtualClock();
    const ran: Array<[string, number]> = [];
    clock.setTimeout(() => ran.push(["b", clock.now()]), 20);
    clock.setTimeout(() => {
      ran.push(["a", clock.now()]);
      clock.block(100);
    }, 10);
    clock.setTimeout(() => ran.push(["c", clock.now()]), 200);
    clock.advance(15);
    expect(ran).toEqual([["a", 10]]);
    expect(clock.now()).toBe(110);
    clock.advance(0);
    expect(ran).toEqual([
      ["a", 10],
      ["b", 110],
    ]);
    clock.advance(100);
    expect(ran.at(-1)).toEqual(["c", 200]);
  });

  it("bites once when not kicked in time, is re-armed by a kick, and does nothing before enabled", () => {
    const clock = new VirtualClock();
    let resets = 0;
    const watchdog = new SimulatedWatchdog(clock, () => {
      resets++;
      watchdog.disarm();
    });
    watchdog.kick();
    clock.advance(HOUR);
    expect(watchdog.bites).toEqual([]);
    watchdog.enable(1_000);
    clock.advance(900);
    watchdog.kick();
    clock.advance(900);
    expect(watchdog.bites).toEqual([]);
    clock.advance(200);
    expect(watchdog.bites).toEqual([{ at: HOUR + 1_900, sinceKickMs: 1_000 }]);
    clock.advance(HOUR);
    watchdog.kick();
    expect(resets).toBe(1);
    expect(watchdog.timeoutMs).toBeNull();
  });
});

describe("hardware watchdog", () => {
  it("resets a device whose event loop is blocked by a manager that never yields", () => {
    const d = startDevice({ specs: withTestManager({ hogAt: 25 * SECOND }) });
    d.actor.start();
    d.clock.advance(24 * SECOND);
    expect(d.board.watchdog.lastKickAt).toBe(20 * SECOND);
    d.clock.advance(2 * SECOND);
    // The loop gives the CPU back an hour later; the next thing it runs finds the watchdog run out.
    d.clock.advance(SECOND);
    expect(d.board.watchdog.bites).toEqual([
      { at: 25 * SECOND + HOUR, sinceKickMs: 5 * SECOND + HOUR },
    ]);
    expect(d.board.resets).toEqual(["hardware-watchdog"]);
  });

  it("never bites a healthy device in a day", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(24 * HOUR);
    expect(d.board.watchdog.bites).toEqual([]);
    expect(d.board.resets).toEqual([]);
    expect(d.board.watchdog.lastKickAt).toBe(24 * HOUR);
    expect(watchdog(d).context).toMatchObject({
      missedTotal: 0,
      heartbeats: d.services.discovery.stats.heartbeats,
    });
    // One every 30 s and the 40 ms of its round trip.
    expect(watchdog(d).context.heartbeats).toBe(Math.floor((24 * HOUR) / (30 * SECOND + 40)));
  });

  it("bites when the controller stops ticking", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(35 * SECOND);
    d.actor.stop();
    d.clock.advance(54 * SECOND);
    expect(d.board.watchdog.bites).toEqual([]);
    d.clock.advance(2 * SECOND);
    expect(d.board.watchdog.bites).toEqual([{ at: 90 * SECOND, sinceKickMs: 60 * SECOND }]);
    expect(d.board.resets).toEqual(["hardware-watchdog"]);
  });

  it("is not kicked while a manager does not answer its pings, and is again once it does", () => {
    const d = startDevice({ specs: withTestManager() });
    d.actor.start();
    d.clock.advance(20 * SECOND + 500);
    d.child("test")!.send({ type: "MUTE" });
    // Pinged at 30 s, unanswered at 40 s: the kick at 30 s is the last.
    d.clock.advance(35 * SECOND);
    expect(d.board.watchdog.lastKickAt).toBe(30 * SECOND);
    expect(d.liveness().unresponsive).toEqual(["test"]);
    d.child("test")!.send({ type: "UNMUTE" });
    // Answers the ping at 60 s: the round at 70 s finds every manager live.
    d.clock.advance(20 * SECOND);
    expect(d.board.watchdog.lastKickAt).toBe(70 * SECOND);

    d.child("test")!.send({ type: "MUTE" });
    d.clock.advance(2 * MINUTE);
    expect(d.board.watchdog.bites).toEqual([{ at: 140 * SECOND, sinceKickMs: 60 * SECOND }]);
    expect(d.board.resets).toEqual(["hardware-watchdog"]);
  });
});
