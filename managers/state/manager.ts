/**
 * The StateManager's entry in the device: reports the device (every other manager of the table)
 * to the StateServer and turns desired keys into events for the controller.
 */
import type { ManagerFactory } from "../manager.js";
import { stateEffects } from "./effects.js";
import { createStateMachine } from "./machine.js";

export const state: ManagerFactory = (d) => ({
  id: "state",
  logic: createStateMachine(
    stateEffects(d.board, () => d.managerIds.filter((id) => id !== "state")),
  ),
  input: {
    deviceId: d.deviceId,
    stateUrl: d.setup.services.stateUrl ?? "http://state.invalid",
    seed: d.setup.seed + 5,
  },
  dependsOn: ["auth"],
  requiredForReadiness: false,
  configKey: "state",
  subscribes: ["NETWORK_UP", "NETWORK_DOWN", "TOKEN", "TOKEN_LOST", "CONFIG_UPDATED", "LOG_LEVEL"],
});
