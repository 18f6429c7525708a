/**
 * Honest application: a configuration section the schema accepts but its manager refuses
 * (`reconnectAfterMisses` above `resetAfterMisses`) is reported back. The alarm manager gets an alarm
 * naming the section and why, keeps reporting the version still in force (summary, `/config`'s
 * context), and reports a later version applied once every section of it is taken.
 */
import { describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { ConfigContext } from "../../../managers/config/machine.js";
import { deviceSummary } from "../../../managers/controller/summary.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { simulateWorld } from "../../../simulations/world.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { deviceId, tenant, ns } = SIMULATED_DEVICE;

function world() {
  const alarms: Array<{ type: string; source: string; details: any }> = [];
  const clock = new VirtualClock();
  const w = simulateWorld({
    clock,
    seed: 5,
    inspect: (event) => {
      const e = event.type === "@xstate.event" ? (event.event as { type: string }) : null;
      if (e?.type === "ALARM" && (event.actorRef as AnyActorRef).id === "alarms") {
        alarms.push((e as unknown as { alarm: (typeof alarms)[number] }).alarm);
      }
    },
  });
  const config = () => (w.child("config") as AnyActorRef).getSnapshot().context as ConfigContext;
  const watchdog = () => (w.child("watchdog") as AnyActorRef).getSnapshot().context;
  const summary = () => deviceSummary(w.actor.system, ["config"], w.board, 0);
  return { ...w, clock, alarms, config, watchdog, summary };
}

const document = (watchdog: Record<string, number>) => ({
  config: { pollIntervalMs: 10_000 },
  watchdog,
});

describe("a configuration section its manager refuses", () => {
  it("is reported with why, raises an alarm, and leaves the version in force reported", () => {
    const w = world();
    w.services.config.setDocument(tenant, ns, deviceId, document({ reconnectAfterMisses: 2 }));
    w.actor.start();
    w.clock.advance(MINUTE);
    expect(w.config().version).toBe(1);
    expect(w.watchdog().settings.reconnectAfterMisses).toBe(2);

    // Each field within the schema's bounds; together refused by the WatchdogManager.
    const doc = document({ reconnectAfterMisses: 9, resetAfterMisses: 4 });
    w.services.config.setDocument(tenant, ns, deviceId, doc);
    w.clock.advance(MINUTE);
    const why = "resetAfterMisses: must be above reconnectAfterMisses (9)";
    expect(w.watchdog().settings.reconnectAfterMisses).toBe(2);
    expect(w.config()).toMatchObject({
      version: 1,
      refused: { version: 2, sections: { watchdog: why } },
    });
    expect(w.summary()).toMatchObject({
      configVersion: 1,
      configRefused: { version: 2, sections: { watchdog: why } },
    });
    expect(w.alarms).toContainEqual({
      type: "settings-refused",
      severity: "warning",
      source: "watchdog",
      details: { section: "watchdog", error: why },
    });
    // Not taken again on every poll: the same document is the same refusal.
    expect(w.alarms.filter((a) => a.type === "settings-refused")).toHaveLength(1);

    // A version every manager takes is reported applied, and the refusal is gone.
    w.services.config.setDocument(tenant, ns, deviceId, document({ reconnectAfterMisses: 3 }));
    w.clock.advance(MINUTE);
    expect(w.config()).toMatchObject({ version: 3, refused: null });
    expect(w.summary().configRefused).toBeUndefined();
    expect(w.watchdog().settings.reconnectAfterMisses).toBe(3);
    w.actor.stop();
  });

  it("counts the controller's own refusal too (a hardware timeout the board cannot hold)", () => {
    const w = world();
    w.services.config.setDocument(
      tenant,
      ns,
      deviceId,
      document({ hardwareTimeoutMs: 5_000 }), // not above the 10 s ping interval
    );
    w.actor.start();
    w.clock.advance(MINUTE);
    expect(w.config()).toMatchObject({ version: null, refused: { version: 1 } });
    expect(Object.keys(w.config().refused!.sections)).toEqual(["watchdog"]);
    expect(w.alarms.map((a) => [a.type, a.source])).toContainEqual([
      "settings-refused",
      "controller",
    ]);
    w.actor.stop();
  });

  // Every manager checks its section the same way (the StateManager took its settings unchecked,
  // the controller its supervisor section): each field in the schema's bounds, the whole refused.
  it.each([
    [
      "state",
      "state",
      { retryBaseMs: 5_000, retryCapMs: 2_000 },
      "retryCapMs: must not be below retryBaseMs",
    ],
    [
      "controller",
      "supervisor",
      { restartBaseMs: 5_000, restartCapMs: 2_000 },
      "restartCapMs: must not be below restartBaseMs",
    ],
  ])(
    "refused by %s (section %s): reported, the version not applied, the settings kept",
    (source, key, section, why) => {
      const w = world();
      w.actor.start();
      const settings = () =>
        source === "controller"
          ? w.actor.getSnapshot().context.settings
          : (w.child(source) as AnyActorRef).getSnapshot().context.settings;
      const before = settings();
      w.services.config.setDocument(tenant, ns, deviceId, {
        config: { pollIntervalMs: 10_000 },
        [key]: section,
      });
      w.clock.advance(MINUTE);
      expect(w.config()).toMatchObject({
        version: null,
        refused: { version: 1, sections: { [key]: why } },
      });
      expect(settings()).toEqual(before);
      expect(w.alarms).toContainEqual({
        type: "settings-refused",
        severity: "warning",
        source,
        details: { section: key, error: why },
      });
      w.actor.stop();
    },
  );

  it("takes a section the StateManager and the controller accept", () => {
    const w = world();
    w.actor.start();
    w.services.config.setDocument(tenant, ns, deviceId, {
      config: { pollIntervalMs: 10_000 },
      state: { debounceMs: 500 },
      supervisor: { restartCapMs: 20_000 },
    });
    w.clock.advance(MINUTE);
    expect(w.config()).toMatchObject({ version: 1, refused: null });
    expect((w.child("state") as AnyActorRef).getSnapshot().context.settings.debounceMs).toBe(500);
    expect(w.actor.getSnapshot().context.settings.restartCapMs).toBe(20_000);
    w.actor.stop();
  });
});
