import { describe, expect, it } from "vitest";
import { type AnyActorRef, assign, sendParent, setup } from "xstate";
import { ESCALATION_FILE } from "../../../managers/controller/device.js";
import { SUPERVISOR_DEFAULTS } from "../../../managers/controller/machine.js";
import { type ManagerSpec, startOrder } from "../../../managers/controller/spec.js";
import { type PingEvent, pongFor, READY } from "../../../managers/supervision.js";
import { createCompiledActor } from "../../../scripts/charts/adapt.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * A manager under test control: `CRASH` makes it fail (an action throws, as a bug would),
 * `MUTE`/`UNMUTE` stop and resume its answers to the controller's pings, `SAY` sends its parent
 * a report. It counts how often it was started.
 */
function probeManager(starts: { count: number }) {
  return setup({
    types: {
      context: {} as { muted: boolean },
      events: {} as
        | PingEvent
        | { type: "CRASH" }
        | { type: "MUTE" }
        | { type: "UNMUTE" }
        | { type: "NETWORK_UP" }
        | { type: "SAY"; report: string },
    },
  }).createMachine({
    id: "probe",
    context: () => {
      starts.count++;
      return { muted: false };
    },
    initial: "up",
    on: {
      PING: {
        guard: ({ context }) => !context.muted,
        actions: sendParent(({ self, event }) => pongFor(self as AnyActorRef, event)),
      },
      CRASH: {
        actions: () => {
          throw new Error("boom");
        },
      },
      MUTE: { actions: assign({ muted: true }) },
      UNMUTE: { actions: assign({ muted: false }) },
      SAY: { actions: sendParent(({ event }) => ({ type: event.report })) },
    },
    states: {
      up: { tags: READY, on: { NETWORK_UP: "heard" } },
      heard: { tags: READY },
    },
  });
}

function withProbe(starts: { count: number }, extra: Partial<ManagerSpec> = {}) {
  return (_board: unknown, table: ManagerSpec[]): ManagerSpec[] => [
    ...table,
    {
      id: "probe",
      logic: probeManager(starts),
      dependsOn: ["logger"],
      requiredForReadiness: true,
      ...extra,
    },
  ];
}

const child = (d: ReturnType<typeof startDevice>, id: string) => d.child(id);

describe("controller: restart strategy", () => {
  it("restarts a manager that fails 4 times within the window, each time, and touches no other", () => {
    const starts = { count: 0 };
    const d = startDevice({ specs: withProbe(starts) });
    d.actor.start();
    d.clock.advance(SECOND);
    const network = child(d, "network");
    const logger = child(d, "logger");
    expect(d.network().value).toEqual({ connected: "idle" });

    for (let i = 1; i <= 4; i++) {
      child(d, "probe")!.send({ type: "CRASH" });
      expect(child(d, "probe")?.getSnapshot().status).toBe("error");
      expect(d.readiness().failing.probe).toBe("restarting after: boom");
      // Backoff 1 s, 2 s, 4 s, 8 s: 15 s in all, inside the 60 s window.
      d.clock.advance(1000 * 2 ** (i - 1));
      expect(child(d, "probe")?.getSnapshot().status).toBe("active");
      expect(starts.count).toBe(1 + i);
    }
    expect(d.actor.getSnapshot().context.restartsInWindow).toBe(4);
    expect(child(d, "network")).toBe(network);
    expect(child(d, "logger")).toBe(logger);
    expect(d.network().context.connections).toBe(1);
    expect(d.board.resets).toEqual([]);
    expect(d.readiness()).toEqual({ ready: true, failing: {} });
    expect(d.logsOf("controller").filter((l) => l.level === "error")).toHaveLength(4);

    // The window slides: a minute later the count is back to zero.
    d.clock.advance(MINUTE);
    expect(d.actor.getSnapshot().context.restartsInWindow).toBe(0);
  });

  it("resets the device exactly once, with the reason persisted, when a manager fails 6 times", () => {
    const starts = { count: 0 };
    const d = startDevice({ specs: withProbe(starts) });
    d.actor.start();
    for (let i = 1; i <= 6; i++) {
      child(d, "probe")?.send({ type: "CRASH" });
      d.clock.advance(1000 * 2 ** (i - 1));
    }
    d.clock.advance(10 * MINUTE);
    expect(d.board.resets).toEqual(["supervisor-escalation"]);
    expect(d.actor.getSnapshot().value).toBe("escalated");
    const persisted = JSON.parse(d.board.storage.read(ESCALATION_FILE)!);
    expect(persisted.reason).toBe("probe failed (boom) after 5 restart(s) within 60000 ms");
    expect(starts.count).toBe(6);
    expect(d.readiness().ready).toBe(false);
    expect(d.liveness().live).toBe(false);
    const lastLine = d.lines.filter((l) => l.manager === "controller").at(-1);
    expect(lastLine?.msg).toContain("supervisor escalation: probe failed (boom)");
  });

  it("takes the intensity limit from its settings", () => {
    const d = startDevice({ specs: withProbe({ count: 0 }), supervisor: { maxRestarts: 1 } });
    d.actor.start();
    child(d, "probe")!.send({ type: "CRASH" });
    d.clock.advance(SECOND);
    expect(d.board.resets).toEqual([]);
    child(d, "probe")!.send({ type: "CRASH" });
    expect(d.board.resets).toEqual(["supervisor-escalation"]);
  });
});

describe("controller: its board profile's supervisor section", () => {
  it.each([
    ["XState", undefined],
    ["the compiled runtime", createCompiledActor],
  ])("runs the defaults when the schema refuses it, and logs and alarms why (%s)", (_, create) => {
    // Each bound kept, the relation broken: a cap below the base.
    const d = startDevice({
      supervisor: { restartBaseMs: 5_000, restartCapMs: 1_000 },
      createActor: create as never,
    });
    d.actor.start();
    d.clock.advance(MINUTE);
    expect(d.actor.getSnapshot().context.settings).toEqual(SUPERVISOR_DEFAULTS);
    const why = "board profile: restartCapMs: must not be below restartBaseMs; the defaults run";
    expect(d.logsOf("controller")).toContainEqual({
      level: "error",
      msg: `settings refused: ${why}`,
    });
    expect(d.services.alarms.alarms(SIMULATED_DEVICE.deviceId)).toContainEqual(
      expect.objectContaining({
        type: "settings-refused",
        source: "controller",
        details: { section: "supervisor", error: why },
      }),
    );
    // Not a configuration version: the ConfigManager has nothing refused.
    expect(d.child("config")!.getSnapshot().context.refused).toBeNull();
  });

  it("is taken when the schema accepts it", () => {
    const d = startDevice({ supervisor: { restartCapMs: 20_000 } });
    d.actor.start();
    expect(d.actor.getSnapshot().context.settings).toEqual({
      ...SUPERVISOR_DEFAULTS,
      restartCapMs: 20_000,
    });
    expect(d.logsOf("controller").filter((l) => l.level === "error")).toEqual([]);
  });
});

describe("controller: a restarted manager resumes", () => {
  it("with its section of the configuration in force and the token it had been given", () => {
    const d = startDevice();
    d.services.config.setDocument("sim-tenant", "sim-ns", "sim-0001", {
      network: { backoffCapMs: 22_000 },
      config: { pollIntervalMs: 5_000 },
    });
    d.actor.start();
    d.clock.advance(3 * SECOND);
    expect(d.network().context.settings.backoffCapMs).toBe(22_000);

    // The network manager fails (as XState reports it): it comes back on the server's settings.
    const fail = (id: string) =>
      (d.actor as unknown as { send(e: unknown): void }).send({
        type: `xstate.error.actor.${id}`,
        error: new Error("simulated fault"),
      });
    const networkBefore = d.child("network");
    fail("network");
    d.clock.advance(2 * SECOND);
    expect(d.child("network")).not.toBe(networkBefore);
    expect(d.network().context.settings.backoffCapMs).toBe(22_000);

    // The config manager fails: its successor has the token at once and keeps polling.
    const configBefore = d.child("config");
    fail("config");
    d.clock.advance(2 * SECOND);
    const config = d.child("config")!;
    expect(config).not.toBe(configBefore);
    expect((config.getSnapshot() as { context: { token: string | null } }).context.token).toBe(
      (d.child("auth")!.getSnapshot() as { context: { token: string } }).context.token,
    );
    d.services.config.setDocument("sim-tenant", "sim-ns", "sim-0001", {
      network: { backoffCapMs: 11_000 },
      config: { pollIntervalMs: 5_000 },
    });
    d.clock.advance(6 * SECOND);
    expect(d.network().context.settings.backoffCapMs).toBe(11_000);
  });
});

describe("controller: readiness and liveness", () => {
  it("follows the managers' readiness up and down, naming what fails", () => {
    const d = startDevice();
    d.actor.start();
    expect(d.readiness()).toEqual({
      ready: false,
      failing: { network: "connecting", auth: "registering" },
    });
    d.clock.advance(SECOND);
    expect(d.readiness()).toEqual({ ready: true, failing: {} });
    d.board.radio.drop("beacon timeout");
    expect(d.readiness()).toEqual({
      ready: false,
      failing: { network: "link lost: beacon timeout" },
    });
    d.clock.advance(5 * SECOND);
    expect(d.readiness().ready).toBe(true);
  });

  it("names the logger when the flash refuses its lines", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(SECOND);
    d.board.storage.failNextWrites(1000);
    d.board.radio.drop();
    expect(d.readiness().failing.logger).toBe("flash: full, nothing left to erase");
    d.board.storage.failNextWrites(0);
    d.clock.advance(10 * SECOND);
    expect(d.readiness()).toEqual({ ready: true, failing: {} });
  });

  it("names a manager that stops answering, and clears it when it answers again", () => {
    const d = startDevice({
      specs: withProbe({ count: 0 }),
      supervisor: { pingIntervalMs: 5 * SECOND },
    });
    d.actor.start();
    d.clock.advance(20 * SECOND);
    expect(d.liveness()).toEqual({ live: true, unresponsive: [] });
    child(d, "probe")!.send({ type: "MUTE" });
    // Pinged at 25 s, unanswered by the ping at 30 s.
    d.clock.advance(10 * SECOND);
    expect(d.liveness()).toEqual({ live: false, unresponsive: ["probe"] });
    expect(d.logsOf("controller").at(-1)).toEqual({ level: "error", msg: "not answering: probe" });
    child(d, "probe")!.send({ type: "UNMUTE" });
    d.clock.advance(5 * SECOND);
    expect(d.liveness()).toEqual({ live: true, unresponsive: [] });
  });

  it("answers a ping from its host", () => {
    const d = startDevice();
    const pongs: unknown[] = [];
    d.actor.on("PONG", (e) => pongs.push(e));
    d.actor.start();
    d.actor.send({ type: "PING", seq: 7 });
    // Readiness rides along: the network has not connected yet at start.
    expect(pongs).toEqual([
      {
        type: "PONG",
        seq: 7,
        unresponsive: [],
        ready: false,
        failing: expect.objectContaining({ network: expect.any(String) }),
      },
    ]);
  });
});

describe("controller: the table of managers", () => {
  it("starts managers after those they depend on", () => {
    const spec = (id: string, dependsOn: string[]) =>
      ({ id, dependsOn, requiredForReadiness: false }) as unknown as ManagerSpec;
    const order = startOrder([
      spec("state", ["auth", "network"]),
      spec("auth", ["network"]),
      spec("network", ["logger"]),
      spec("logger", []),
    ]);
    expect(order.map((s) => s.id)).toEqual(["logger", "network", "auth", "state"]);
    expect(() => startOrder([spec("a", ["b"]), spec("b", ["a"])])).toThrow(/cycle at a/);
    expect(() => startOrder([spec("a", ["ghost"])])).toThrow(/a depends on ghost/);
  });

  it("spawns the real managers in dependency order", () => {
    const d = startDevice();
    d.actor.start();
    expect(Object.keys(d.actor.getSnapshot().children as object)).toEqual([
      "logger",
      "network",
      "auth",
      "config",
      "api",
      "alarms",
      "watchdog",
      "timesync",
      "state",
      "ota",
    ]);
  });

  it("runs only the managers a board names, and refuses a list that does not hold together", () => {
    const d = startDevice({ managers: ["logger", "network", "auth", "config", "alarms"] });
    d.actor.start();
    d.clock.advance(10 * SECOND);
    expect(Object.keys(d.actor.getSnapshot().children as object)).toEqual([
      "logger",
      "network",
      "auth",
      "config",
      "alarms",
    ]);
    expect(d.readiness()).toEqual({ ready: true, failing: {} });
    expect(() => startDevice({ managers: ["logger", "sensors"] })).toThrow(
      /no manager called sensors: there are logger, network, auth/,
    );
    expect(() => startDevice({ managers: ["logger", "watchdog"] })).toThrow(
      /watchdog depends on auth, which is not in the table/,
    );
  });

  it("routes a report to the managers that subscribe to it", () => {
    const d = startDevice({ specs: withProbe({ count: 0 }, { subscribes: ["NETWORK_UP"] }) });
    d.actor.start();
    expect(child(d, "probe")!.getSnapshot().value).toBe("up");
    d.clock.advance(SECOND);
    expect(child(d, "probe")!.getSnapshot().value).toBe("heard");
  });
});
