/**
 * The composition root: the table of managers the controller supervises, each manager's pure
 * machine joined to its effects on a given board. The firmware, the simulator and the tests all
 * build the device here, so what runs on the board is what was simulated. A new manager joins
 * by one entry in `managerTable`.
 */
import type { Board } from "../board/types.js";
import { createAuthMachine } from "../machines/auth.js";
import { createConfigMachine } from "../machines/config.js";
import { createControllerMachine, type ManagerSpec } from "../machines/controller.js";
import { createLoggerMachine } from "../machines/logger.js";
import { createNetworkMachine } from "../machines/network.js";
import { authEffects } from "./auth.js";
import { configEffects } from "./config.js";
import { loggerEffects, type SinkNotice } from "./logger.js";
import { networkEffects } from "./network.js";

/** Where the reason for a supervisor escalation is kept across the reset it causes. */
export const ESCALATION_FILE = "supervisor.escalation";

export interface DeviceOptions {
  /** Sees every line the logger writes, expires or drops (the console view, tests). */
  observeLog?: (notice: SinkNotice) => void;
}

export function managerTable(board: Board, options: DeviceOptions = {}): ManagerSpec[] {
  return [
    {
      id: "logger",
      logic: createLoggerMachine(loggerEffects(board, options.observeLog)),
      dependsOn: [],
      requiredForReadiness: true,
      configKey: "logger",
      subscribes: ["TOKEN"],
    },
    {
      id: "network",
      logic: createNetworkMachine(networkEffects(board)),
      dependsOn: ["logger"],
      requiredForReadiness: true,
      configKey: "network",
    },
    {
      id: "auth",
      logic: createAuthMachine(authEffects(board)),
      dependsOn: ["network"],
      requiredForReadiness: true,
      subscribes: ["NETWORK_UP", "TOKEN_REJECTED"],
    },
    {
      id: "config",
      logic: createConfigMachine(configEffects(board)),
      dependsOn: ["auth"],
      requiredForReadiness: true,
      subscribes: ["TOKEN", "TOKEN_LOST"],
    },
  ];
}

export function createDeviceMachine(board: Board, specs: ManagerSpec[]) {
  return createControllerMachine(specs, {
    persistEscalation: (reason) => {
      board.storage.write(ESCALATION_FILE, JSON.stringify({ reason, at: board.clock.now() }));
    },
    reset: (reason) => board.reset(reason),
  });
}
