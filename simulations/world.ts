/**
 * A simulated device in its world: the services it talks to (ServiceDiscovery,
 * ConfigurationServer, StateServer) on an in-memory network on the same virtual clock, knowing the device
 * by its id and key. Node only (the services sign with node:crypto), unlike `device.ts`.
 */
import { SimulatedNetwork } from "../board/node/simulatedNetwork.js";
import { SIMULATED_DEVICE, type SimulatedDeviceOptions, simulateDevice } from "./device.js";
import { CONFIG_ORIGIN, DISCOVERY_ORIGIN, STATE_ORIGIN, startServices } from "./services/index.js";

export interface WorldOptions extends Omit<SimulatedDeviceOptions, "services"> {
  tokenLifetimeMs?: number;
  /** One-way latency of the in-memory network. */
  latencyMs?: number;
}

export function simulateWorld(options: WorldOptions) {
  const net = new SimulatedNetwork(options.clock, { latencyMs: options.latencyMs ?? 20 });
  const services = startServices({
    clock: options.clock,
    network: net,
    tokenLifetimeMs: options.tokenLifetimeMs,
    devices: [
      {
        deviceId: SIMULATED_DEVICE.deviceId,
        key: SIMULATED_DEVICE.key,
        tenant: SIMULATED_DEVICE.tenant,
        ns: SIMULATED_DEVICE.ns,
        roles: ["device"],
      },
    ],
  });
  const device = simulateDevice({
    ...options,
    services: {
      discoveryUrl: DISCOVERY_ORIGIN,
      configUrl: CONFIG_ORIGIN,
      stateUrl: STATE_ORIGIN,
      http: (isLinkUp) => net.client(isLinkUp),
    },
  });
  return { ...device, services, net };
}
