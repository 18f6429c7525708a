/**
 * The OtaManager's entry in the device: checks the update service with the token while the
 * network is up, takes the desired state's `firmware`, and on a trial boot waits for the
 * managers required for readiness. Not required for readiness itself: an update under way
 * never makes the device unready.
 */
import type { ManagerFactory } from "../manager.js";
import { otaEffects } from "./effects.js";
import { createOtaMachine } from "./machine.js";

export const ota: ManagerFactory = (d) => ({
  id: "ota",
  logic: createOtaMachine(
    otaEffects(d.board, {
      deviceId: d.deviceId,
      updatesUrl: d.setup.services.updatesUrl,
      boot: d.setup.boot ?? null,
      required: d.requiredIds,
    }),
  ),
  input: { seed: d.setup.seed + 6, settings: d.setup.ota },
  dependsOn: ["auth"],
  requiredForReadiness: false,
  subscribes: ["TOKEN", "TOKEN_LOST", "NETWORK_UP", "NETWORK_DOWN", "FIRMWARE_DESIRED"],
});
