/**
 * Every machine of the device, built exactly as the firmware builds them: the manager table
 * (`managers/list.ts`, one line per manager, built by `managers/controller/device.ts`) on a
 * simulated board that is never started (the factories only close over their effects, so
 * nothing runs), and the controller over that table. What `npm run machines` draws, what the
 * offline viewer shows and what the tests compare with are these machines.
 */
import type { AnyStateMachine } from "xstate";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import { simulateDevice } from "../device.js";

export interface DeviceMachine {
  /** The actor's id on the device: `controller`, or the manager's system id. */
  id: string;
  machine: AnyStateMachine;
  /** Whether the device is ready only while this one is (the controller's readiness rule). */
  requiredForReadiness: boolean;
}

export function deviceMachines(): DeviceMachine[] {
  const device = simulateDevice({ clock: new VirtualClock(), seed: 1 });
  return [
    {
      id: "controller",
      machine: (device.actor as unknown as { logic: AnyStateMachine }).logic,
      requiredForReadiness: false,
    },
    ...device.specs.map((spec) => ({
      id: spec.id,
      machine: spec.logic,
      requiredForReadiness: spec.requiredForReadiness,
    })),
  ];
}
