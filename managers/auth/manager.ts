/**
 * The AuthManager's entry in the device: registers with ServiceDiscovery once the network is up,
 * and again when a service refuses its token.
 */
import type { ManagerFactory } from "../manager.js";
import { authEffects } from "./effects.js";
import { createAuthMachine } from "./machine.js";

export const auth: ManagerFactory = (d) => ({
  id: "auth",
  logic: createAuthMachine(authEffects(d.board)),
  input: {
    deviceId: d.deviceId,
    discoveryUrl: d.setup.services.discoveryUrl,
    seed: d.setup.seed + 1,
  },
  dependsOn: ["network"],
  requiredForReadiness: true,
  subscribes: ["NETWORK_UP", "TOKEN_REJECTED"],
});
