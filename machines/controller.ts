/**
 * Controller: the root supervisor, the one place that knows the whole device.
 *
 * It invokes each manager as a child actor and keeps what the children report about the
 * device: for now whether the network is up. Restart strategy, liveness and readiness join here
 * as the managers that need them arrive.
 */
import { assign, setup } from "xstate";
import type { NetworkInput, NetworkMachine, NetworkReport } from "./network.js";

export interface ControllerInput {
  network: NetworkInput;
}

export interface ControllerContext {
  /** What each manager starts with: kept so a restarted manager starts the same way. */
  inputs: ControllerInput;
  networkUp: boolean;
  /** Why the network last went down, for the operator. */
  networkDownReason: string | null;
}

export interface ControllerManagers {
  network: NetworkMachine;
}

export function createControllerMachine(managers: ControllerManagers) {
  return setup({
    types: {
      context: {} as ControllerContext,
      events: {} as NetworkReport,
      input: {} as ControllerInput,
    },
    actors: { network: managers.network },
  }).createMachine({
    id: "controller",
    context: ({ input }) => ({ inputs: input, networkUp: false, networkDownReason: null }),
    invoke: {
      id: "network",
      systemId: "network",
      src: "network",
      input: ({ context }) => context.inputs.network,
    },
    on: {
      NETWORK_UP: { actions: assign({ networkUp: true, networkDownReason: null }) },
      NETWORK_DOWN: {
        actions: assign({ networkUp: false, networkDownReason: ({ event }) => event.reason }),
      },
    },
  });
}
