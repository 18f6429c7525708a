/**
 * The device API's entry in the device: serves once the logger runs (it audits every request),
 * takes the `api` section; the device is ready without it.
 */
import type { ManagerFactory } from "../manager.js";
import { apiEffects } from "./effects.js";
import { createApiMachine } from "./machine.js";

export const api: ManagerFactory = (d) => ({
  id: "api",
  logic: createApiMachine(apiEffects(d.board, d.wallClock.now)),
  input: { seed: d.setup.seed + 2, settings: d.setup.api },
  dependsOn: ["logger"],
  requiredForReadiness: false,
  configKey: "api",
});
