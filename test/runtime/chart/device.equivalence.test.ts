/**
 * The compiled-chart runtime (what the device runs) against XState (what the laptop runs): the
 * whole device, every manager under its controller, in its simulated world, through scenarios of
 * faults; every snapshot, relayed event and emitted event must be the same, in the same order.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { createCompiledActor } from "../../../scripts/charts/adapt.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { simulateWorld } from "../../../simulations/world.js";
import { traceDifference, traceRecorder } from "../../support/traces.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { tenant, ns, deviceId } = SIMULATED_DEVICE;

type World = ReturnType<typeof simulateWorld>;

interface Scenario {
  name: string;
  seed: number;
  script: (w: World, clock: VirtualClock) => void;
  /** What the trace must show, so the scenario is known to reach what it names. */
  shows: RegExp[];
}

function run(scenario: Scenario, compiled: boolean): string[] {
  const clock = new VirtualClock();
  const trace = traceRecorder(clock);
  const world = simulateWorld({
    clock,
    seed: scenario.seed,
    inspect: trace.inspect,
    createActor: compiled ? (createCompiledActor as never) : undefined,
    freeMemory: () => 8_000,
    entropy: () => 0.25,
  });
  world.actor.on("*", trace.emitted);
  world.actor.start();
  scenario.script(world, clock);
  world.actor.stop();
  return trace.lines;
}

const SCENARIOS: Scenario[] = [
  {
    name: "an online hour: registration, configuration, state, alarms, clock, heartbeats",
    seed: 11,
    script: (w, clock) => {
      clock.runUntil(5 * MINUTE);
      w.services.config.setDocument(tenant, ns, deviceId, {
        network: { backoffCapMs: 20_000 },
        logger: { level: "debug" },
      });
      w.services.state.setDesired(tenant, ns, deviceId, { logLevel: "warn" });
      w.actor.send({
        type: "ALARM",
        alarm: { type: "sensor-hot", severity: "warning", source: "probe" },
      });
      clock.runUntil(30 * MINUTE);
      for (let i = 0; i < 20; i++) {
        w.actor.send({
          type: "ALARM",
          alarm: { type: "flood", severity: "info", source: `s${i % 3}` },
        });
      }
      w.actor.send({ type: "PING", seq: 99 });
      clock.runUntil(60 * MINUTE);
    },
    shows: [/"delivered":2/, /"actor":"config".*"version":1/, /"emitted":\{"failing"/],
  },
  {
    name: "a flapping radio, failed joins and a stalled link",
    seed: 3,
    script: (w, clock) => {
      w.board.radio.failNextConnects(2, "auth-failed");
      clock.runUntil(3 * MINUTE);
      w.board.radio.drop();
      clock.runUntil(6 * MINUTE);
      w.board.radio.hangNextConnects(1);
      w.board.radio.drop();
      clock.runUntil(9 * MINUTE);
      w.board.radio.stall(30 * SECOND);
      clock.runUntil(12 * MINUTE);
      w.board.radio.flap({
        seed: 5,
        upMs: [20 * SECOND, 90 * SECOND],
        downMs: [2 * SECOND, 30 * SECOND],
        until: 40 * MINUTE,
      });
      clock.runUntil(45 * MINUTE);
    },
    shows: [
      /"lastError":"link lost/,
      /"lastError":"connect timeout"/,
      /"actor":"network".*"value":"backoff"/,
    ],
  },
  {
    name: "services failing, hanging and answering garbage",
    seed: 5,
    script: (w, clock) => {
      w.services.discovery.faults.failNext(3);
      w.services.config.faults.malformNext(2);
      w.services.alarms.faults.hangNext(2);
      w.services.state.faults.failNext(4, 500);
      w.actor.send({ type: "ALARM", alarm: { type: "early", severity: "error", source: "boot" } });
      clock.runUntil(10 * MINUTE);
      w.services.config.setDocument(tenant, ns, deviceId, {
        watchdog: { heartbeatIntervalMs: -5 },
      });
      w.services.alarms.faults.failNext(5);
      w.actor.send({ type: "ALARM", alarm: { type: "later", severity: "critical", source: "x" } });
      clock.runUntil(30 * MINUTE);
    },
    shows: [/"status":503/, /settings refused|invalid/, /"actor":"alarms".*"delivered":2/],
  },
  {
    name: "a manager fails, is restarted, and the supervisor escalates",
    seed: 9,
    script: (w, clock) => {
      clock.runUntil(2 * MINUTE);
      // An error event its machine does not handle fails the StateManager, again and again as
      // soon as each restart is up, until the supervisor gives up.
      for (let failures = 0; failures < 7 && clock.now() < 10 * MINUTE; ) {
        const state = w.child("state");
        if (state && state.getSnapshot().status === "active") {
          state.send({ type: "xstate.error.actor.ghost", error: new Error(`boom ${failures}`) });
          failures++;
        }
        clock.runUntil(clock.now() + SECOND);
      }
      clock.runUntil(12 * MINUTE);
    },
    shows: [/"actor":"state".*"status":"error"/, /restarting in/, /"value":"escalated"/],
  },
];

describe("the compiled runtime runs the whole device as XState does", () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, () => {
      const expected = run(scenario, false);
      const actual = run(scenario, true);
      expect(expected.length).toBeGreaterThan(100);
      for (const pattern of scenario.shows) {
        expect(
          expected.some((line) => pattern.test(line)),
          `${pattern}`,
        ).toBe(true);
      }
      expect(traceDifference(expected, actual)).toBeNull();
    });
  }
});
