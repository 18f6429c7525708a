/**
 * The composition root: joins each manager's pure machine to its effects on a given board, and
 * the managers to the controller. The device firmware, the simulator and the tests all build the
 * device here, so what runs on the board is what was simulated.
 */
import type { Board } from "../board/types.js";
import { createControllerMachine } from "../machines/controller.js";
import { createNetworkMachine } from "../machines/network.js";
import type { LogEntry } from "../runtime/log.js";
import { networkEffects } from "./network.js";

/** Where a manager's log lines go; the logger manager will take this over. */
export type ManagerLog = (manager: string, params: LogEntry) => void;

export function createDeviceMachine(board: Board, log: ManagerLog) {
  return createControllerMachine({
    network: createNetworkMachine(networkEffects(board, (params) => log("network", params))),
  });
}
