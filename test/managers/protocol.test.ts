/**
 * The protocol (`managers/protocol.ts`): every report type has a receiver (a manager of the full
 * table subscribes to it, or the controller takes it itself) or is declared observation-only with
 * a reason; every type a table entry names is one of the protocol's; and every event a manager
 * sends the controller in a whole simulated device's life is a member of the union.
 */
import { describe, expect, it } from "vitest";
import type { AnyActorRef, AnyEventObject } from "xstate";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import { RECEIVERS, type ReportType } from "../../managers/protocol.js";
import { simulateDevice } from "../../simulations/device.js";
import { startDevice } from "../support/device.js";

const MINUTE = 60_000;

/** The full table and the controller's own handlers, as the firmware builds them. */
function fullDevice() {
  const device = simulateDevice({ clock: new VirtualClock(), seed: 1 });
  const controller = (device.actor as unknown as { logic: { config: Record<string, any> } }).logic
    .config;
  const handled = Object.assign({}, controller.on, controller.states.supervising.on);
  return { specs: device.specs, handled };
}

describe("the device's protocol", () => {
  it("gives every report type a receiver, or says on purpose that it is only observed", () => {
    const { specs, handled } = fullDevice();
    const unreceived: string[] = [];
    for (const type of Object.keys(RECEIVERS) as ReportType[]) {
      const receiver = RECEIVERS[type];
      if (receiver === "routed") {
        if (!specs.some((s) => s.subscribes?.includes(type))) unreceived.push(type);
      } else if (receiver === "controller") {
        if (!handled[type]) unreceived.push(type);
      } else {
        expect(receiver.observedOnly.length).toBeGreaterThan(20);
        // Observation-only means nobody acts on it: a subscriber would contradict the declaration.
        expect(specs.filter((s) => s.subscribes?.includes(type))).toEqual([]);
      }
    }
    expect(unreceived).toEqual([]);
  });

  it("lets a table entry name only the protocol's report types", () => {
    const known = Object.keys(RECEIVERS);
    for (const spec of fullDevice().specs) {
      for (const type of (spec.subscribes ?? []).concat(spec.queues ?? [])) {
        expect(known, `${spec.id} subscribes to ${type}`).toContain(type);
      }
    }
  });

  it("sees managers send the controller nothing outside the union in a device's life", () => {
    const fromManagers: AnyEventObject[] = [];
    const d = startDevice({
      inspect: (event) => {
        if (event.type !== "@xstate.event") return;
        const target = event.actorRef as AnyActorRef;
        const source = event.sourceRef as AnyActorRef | undefined;
        if (target.id === "controller" && source && source.id !== "controller") {
          fromManagers.push(event.event);
        }
      },
    });
    d.actor.start();
    d.clock.advance(10 * MINUTE);
    const types = new Set(fromManagers.map((e) => e.type));
    // The run covers the common reports, so the check below is not vacuous.
    for (const type of ["PONG", "NETWORK_UP", "TOKEN", "CONFIG_UPDATED", "TIME_SYNCED"]) {
      expect(types).toContain(type);
    }
    const known = Object.keys(RECEIVERS);
    expect([...types].filter((t) => known.indexOf(t) < 0)).toEqual([]);
  });
});
