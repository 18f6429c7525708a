/**
 * The LoggerManager's entry in the device: first to start (every other manager logs through it),
 * required for readiness, takes the `logger` section, the token (its tenant and namespace) and
 * the desired level.
 */
import type { ManagerFactory } from "../manager.js";
import { loggerEffects } from "./effects.js";
import { createLoggerMachine } from "./machine.js";

export const logger: ManagerFactory = (d) => ({
  id: "logger",
  logic: createLoggerMachine(loggerEffects(d.board, d.wallClock, d.setup.observeLog)),
  input: { identity: d.identity, settings: d.setup.logger },
  dependsOn: [],
  requiredForReadiness: true,
  configKey: "logger",
  subscribes: ["TOKEN", "SET_LEVEL", "LOG_LEVEL_OVERRIDE"],
});
