/**
 * The NetworkManager's entry in the device: joins the access point the device was given, takes
 * the `network` section and the watchdog's `RECONNECT`.
 */
import type { ManagerFactory } from "../manager.js";
import { networkEffects } from "./effects.js";
import { createNetworkMachine } from "./machine.js";

export const network: ManagerFactory = (d) => ({
  id: "network",
  logic: createNetworkMachine(networkEffects(d.board)),
  input: { seed: d.setup.seed, settings: d.setup.network },
  dependsOn: ["logger"],
  requiredForReadiness: true,
  configKey: "network",
  subscribes: ["RECONNECT"],
});
