/**
 * A simulated device on a virtual clock, with its services, instrumented for tests: every state
 * change, every log line written (parsed back from its JSON), and every event the controller
 * receives.
 */
import type { AnyActorRef, AnyEventObject } from "xstate";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type { Transition } from "../../simulations/device.js";
import { simulateWorld, type WorldOptions } from "../../simulations/world.js";

export interface WrittenLine {
  ts: string | number;
  level: string;
  msg: string;
  manager: string;
  [field: string]: unknown;
}

/** The device in its world: ServiceDiscovery and a ConfigurationServer on the in-memory network. */
export function startDevice(options: Partial<WorldOptions> = {}) {
  // A clock of its own, unless it reboots into an earlier device's world (`world`, `clock`).
  const clock = (options.clock as VirtualClock | undefined) ?? new VirtualClock();
  const transitions: Transition[] = [];
  const lines: WrittenLine[] = [];
  const received: AnyEventObject[] = [];
  const device = simulateWorld({
    clock,
    seed: 1,
    onTransition: (t) => transitions.push(t),
    observeLog: (notice) => {
      if (notice.kind === "written" && notice.trail === "log") lines.push(JSON.parse(notice.line));
    },
    inspect: (event) => {
      if (event.type === "@xstate.event" && (event.actorRef as AnyActorRef).id === "controller") {
        received.push(event.event);
      }
    },
    ...options,
  });
  /** Log entries a manager wrote, as `{ level, msg }`. */
  const logsOf = (manager: string) =>
    lines.filter((l) => l.manager === manager).map((l) => ({ level: l.level, msg: l.msg }));
  /** The reports of one type the controller received, oldest first. */
  const reports = (type: string) => received.filter((e) => e.type === type);
  const statesOf = (actor: string) => transitions.filter((t) => t.actor === actor);
  return { clock, transitions, lines, received, logsOf, reports, statesOf, ...device };
}
