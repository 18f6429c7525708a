/**
 * The ConfigManager's entry in the device: fetches the configuration with the token it is given.
 */
import type { ManagerFactory } from "../manager.js";
import { configEffects } from "./effects.js";
import { createConfigMachine } from "./machine.js";

export const config: ManagerFactory = (d) => ({
  id: "config",
  logic: createConfigMachine(configEffects(d.board)),
  input: { deviceId: d.deviceId, configUrl: d.setup.services.configUrl },
  dependsOn: ["auth"],
  requiredForReadiness: true,
  subscribes: ["TOKEN", "TOKEN_LOST"],
});
