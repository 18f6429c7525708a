/**
 * The services a device talks to, started together: discovery (registration, tokens,
 * heartbeats), configuration and state, the latter two trusting the former's device keys. Put on a
 * `SimulatedNetwork` at fixed origins for runs on the virtual clock, or on real loopback ports
 * for runs in real time; the handlers are the same objects either way.
 */
import { serveOnLoopback } from "../../board/node/loopbackHttp.js";
import type { SimulatedNetwork } from "../../board/node/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { ConfigurationServer } from "./configurationServer.js";
import { type DeviceRecord, ServiceDiscovery } from "./serviceDiscovery.js";
import { StateServer } from "./stateServer.js";

export { ConfigurationServer } from "./configurationServer.js";
export { Faults, withFaults } from "./faults.js";
export { type DeviceRecord, ServiceDiscovery } from "./serviceDiscovery.js";
export { StateServer } from "./stateServer.js";

export const DISCOVERY_ORIGIN = "http://discovery.sim";
export const CONFIG_ORIGIN = "http://config.sim";
export const STATE_ORIGIN = "http://state.sim";

export interface ServicesOptions {
  clock: Clock;
  devices: DeviceRecord[];
  /** When given, the services listen on it at `DISCOVERY_ORIGIN`, `CONFIG_ORIGIN`, `STATE_ORIGIN`. */
  network?: SimulatedNetwork;
  tokenLifetimeMs?: number;
  adminKey?: string;
}

export interface Services {
  discovery: ServiceDiscovery;
  config: ConfigurationServer;
  state: StateServer;
}

export function startServices(options: ServicesOptions): Services {
  const discovery = new ServiceDiscovery({
    clock: options.clock,
    devices: options.devices,
    tokenLifetimeMs: options.tokenLifetimeMs,
  });
  const config = new ConfigurationServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
    adminKey: options.adminKey,
  });
  const state = new StateServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
    adminKey: options.adminKey,
  });
  if (options.network !== undefined) {
    options.network.listen(DISCOVERY_ORIGIN, discovery.handler);
    options.network.listen(CONFIG_ORIGIN, config.handler);
    options.network.listen(STATE_ORIGIN, state.handler);
  }
  return { discovery, config, state };
}

/** Serves each on a 127.0.0.1 port of the system's choosing; give them a real clock. */
export async function serveServicesOnLoopback(services: Services): Promise<{
  discovery: string;
  config: string;
  state: string;
  close(): Promise<void>;
}> {
  const discovery = await serveOnLoopback(services.discovery.handler);
  const config = await serveOnLoopback(services.config.handler).catch(async (error) => {
    await discovery.close();
    throw error;
  });
  const state = await serveOnLoopback(services.state.handler).catch(async (error) => {
    await Promise.all([discovery.close(), config.close()]);
    throw error;
  });
  return {
    discovery: discovery.origin,
    config: config.origin,
    state: state.origin,
    close: async () => {
      services.state.releaseWaiting();
      await Promise.all([discovery.close(), config.close(), state.close()]);
    },
  };
}
