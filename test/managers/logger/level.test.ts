/**
 * The log level's precedence, on the virtual clock: an operator's override (`PUT /log-level`,
 * through the controller) holds until it lapses, above the desired `logLevel`, above the
 * configuration's `logger.level`; a change to the `logger` section does not undo the others; a
 * restarted logger runs what its predecessor ran; and reported shows the level the logger runs.
 */
import { describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { LoggerContext } from "../../../managers/logger/machine.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { simulateWorld } from "../../../simulations/world.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { deviceId, tenant, ns } = SIMULATED_DEVICE;

function world() {
  const clock = new VirtualClock();
  const w = simulateWorld({ clock, seed: 7 });
  const logger = () => (w.child("logger") as AnyActorRef).getSnapshot().context as LoggerContext;
  const reported = () => w.services.state.document(tenant, ns, deviceId).reported;
  const configure = (doc: Record<string, unknown>) =>
    w.services.config.setDocument(tenant, ns, deviceId, {
      config: { pollIntervalMs: 10_000 },
      ...doc,
    });
  const override = (level: string | null, forMs: number) =>
    w.actor.send({ type: "LOG_LEVEL_OVERRIDE", level, until: clock.now() + forMs });
  return { ...w, clock, logger, reported, configure, override };
}

describe("the log level's precedence", () => {
  it("override (until it lapses) > desired > configured, and reported shows the level run", () => {
    const w = world();
    w.configure({ logger: { level: "warn" } });
    w.actor.start();
    w.clock.advance(MINUTE);
    expect(w.logger()).toMatchObject({ level: "warn", desired: null, override: null });

    w.services.state.setDesired(tenant, ns, deviceId, { logLevel: "debug" });
    w.clock.advance(MINUTE);
    expect(w.logger().level).toBe("debug");
    expect(w.reported().logLevel).toBe("debug");

    // Another change to the logger section (its level filled in as "info") leaves desired on top.
    w.configure({ logger: { maskedFields: ["pin"] } });
    w.clock.advance(MINUTE);
    expect(w.logger().settings).toMatchObject({ level: "info", maskedFields: ["pin"] });
    expect(w.logger().level).toBe("debug");

    w.override("error", 5 * MINUTE);
    w.clock.advance(MINUTE);
    expect(w.logger().level).toBe("error");
    expect(w.reported().logLevel).toBe("error");
    // A new desired value waits under the override.
    w.services.state.setDesired(tenant, ns, deviceId, { logLevel: "warn" });
    w.clock.advance(MINUTE);
    expect(w.logger()).toMatchObject({ level: "error", desired: "warn" });

    w.clock.advance(3 * MINUTE - SECOND);
    expect(w.logger().level).toBe("error");
    w.clock.advance(SECOND); // 5 minutes after the override
    expect(w.logger()).toMatchObject({ level: "warn", override: null });
    w.clock.advance(10 * SECOND); // the StateManager's debounce
    expect(w.reported().logLevel).toBe("warn");
    w.actor.stop();
  });

  it("a lifted override, or one already lapsed, leaves the level below it", () => {
    const w = world();
    w.actor.start();
    w.clock.advance(MINUTE);
    w.override("debug", MINUTE);
    expect(w.logger().level).toBe("debug");
    w.override(null, MINUTE);
    expect(w.logger()).toMatchObject({ level: "info", override: null });
    w.override("debug", 0);
    expect(w.logger().level).toBe("info");
    w.actor.stop();
  });

  it("survives a logger restart: the controller gives the new one the override and desired", () => {
    const w = world();
    w.actor.start();
    w.clock.advance(MINUTE);
    w.services.state.setDesired(tenant, ns, deviceId, { logLevel: "warn" });
    w.clock.advance(MINUTE);
    w.override("debug", 10 * MINUTE);
    w.clock.advance(2 * MINUTE);
    const before = w.child("logger");
    w.actor.send({ type: "RESTART", id: "logger" });
    expect(w.child("logger")).not.toBe(before);
    expect(w.logger()).toMatchObject({ level: "debug", desired: "warn" });
    // The new instance's expiry is the old one's: ten minutes after the override, not after the restart.
    w.clock.advance(8 * MINUTE - SECOND);
    expect(w.logger().level).toBe("debug");
    w.clock.advance(SECOND);
    expect(w.logger().level).toBe("warn");
    w.actor.stop();
  });
});
