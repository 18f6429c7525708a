/**
 * Every machine the firmware can run (the controller and each manager), built exactly as the
 * firmware builds them (`actors/device.ts`) on a simulated board, so the compiler sees the very
 * definitions the device will hand to `setup().createMachine()`. Effects are never called here:
 * only the structure is read.
 */
import type { AnyStateMachine } from "xstate";
import { createDeviceMachine, managerTable } from "../../actors/device.js";
import { createSimulatedBoard } from "../../board/node/simulatedBoard.js";
import { VirtualClock } from "../../board/node/virtualClock.js";

export function deviceMachines(): AnyStateMachine[] {
  const board = createSimulatedBoard({
    clock: new VirtualClock(),
    seed: 1,
    freeMemory: () => 0,
    log: () => {},
  });
  const table = managerTable(board, {
    seed: 1,
    network: { ssid: "", password: "" },
    services: { discoveryUrl: "http://discovery.invalid", configUrl: "http://config.invalid" },
  });
  return [createDeviceMachine(board, table) as AnyStateMachine].concat(table.map((s) => s.logic));
}
