/**
 * The services a device talks to, started together: discovery (registration, tokens,
 * heartbeats), configuration, state and alarms, the last three trusting the former's device
 * keys, and an NTP server (UDP, at `NTP_HOST:NTP_PORT` on a simulated network). Put on a
 * `SimulatedNetwork` at fixed origins for runs on the virtual clock, or on real loopback ports
 * for runs in real time; the handlers are the same objects either way.
 */
import { type LoopbackServer, serveOnLoopback } from "../../board/node/loopbackHttp.js";
import type { SimulatedNetwork } from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { AlarmServer } from "./alarmServer.js";
import { ConfigurationServer } from "./configurationServer.js";
import { NtpServer } from "./ntpServer.js";
import { type DeviceRecord, ServiceDiscovery, seededNonces } from "./serviceDiscovery.js";
import { StateServer } from "./stateServer.js";
import { UpdateServer } from "./updateServer.js";

export { AlarmServer } from "./alarmServer.js";
export { ConfigurationServer } from "./configurationServer.js";
export { Faults, withFaults } from "./faults.js";
export { NtpServer } from "./ntpServer.js";
export { type DeviceRecord, ServiceDiscovery } from "./serviceDiscovery.js";
export { StateServer } from "./stateServer.js";
export { UpdateServer } from "./updateServer.js";

export const DISCOVERY_ORIGIN = "http://discovery.sim";
export const CONFIG_ORIGIN = "http://config.sim";
export const ALARM_ORIGIN = "http://alarms.sim";
export const STATE_ORIGIN = "http://state.sim";
export const UPDATE_ORIGIN = "http://updates.sim";
export const NTP_HOST = "ntp.sim";
export const NTP_PORT = 123;
/** What the simulated NTP server says it is at virtual time 0: 2026-01-01T00:00:00Z. */
export const NTP_EPOCH_MS = 1_767_225_600_000;

export interface ServicesOptions {
  clock: Clock;
  devices: DeviceRecord[];
  /** When given, the services listen on it at their origins (`DISCOVERY_ORIGIN`...) and `NTP_HOST`. */
  network?: SimulatedNetwork;
  tokenLifetimeMs?: number;
  adminKey?: string;
  /** Seeds the services' randomness (the discovery's nonces); `node:crypto` draws them when absent. */
  seed?: number;
}

export interface Services {
  discovery: ServiceDiscovery;
  config: ConfigurationServer;
  alarms: AlarmServer;
  ntp: NtpServer;
  state: StateServer;
  updates: UpdateServer;
}

export function startServices(options: ServicesOptions): Services {
  const discovery = new ServiceDiscovery({
    clock: options.clock,
    devices: options.devices,
    tokenLifetimeMs: options.tokenLifetimeMs,
    nonce: options.seed === undefined ? undefined : seededNonces(options.seed),
  });
  const config = new ConfigurationServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
    adminKey: options.adminKey,
  });
  const alarms = new AlarmServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
  });
  const state = new StateServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
    adminKey: options.adminKey,
  });
  const updates = new UpdateServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
  });
  const ntp = new NtpServer({ clock: options.clock, offsetMs: NTP_EPOCH_MS });
  if (options.network !== undefined) {
    options.network.listen(DISCOVERY_ORIGIN, discovery.handler);
    options.network.listen(CONFIG_ORIGIN, config.handler);
    options.network.listen(ALARM_ORIGIN, alarms.handler);
    options.network.listen(STATE_ORIGIN, state.handler);
    options.network.listen(UPDATE_ORIGIN, updates.handler);
    options.network.listenUdp(NTP_HOST, NTP_PORT, ntp.handler);
  }
  return { discovery, config, alarms, state, ntp, updates };
}

/** The HTTP services, by the name their loopback origin is returned under. */
export type HttpServiceName = "discovery" | "config" | "alarms" | "state" | "updates";
const HTTP_SERVICES: readonly HttpServiceName[] = [
  "discovery",
  "config",
  "alarms",
  "state",
  "updates",
];

/**
 * Serves each HTTP service named (all unless told) on a 127.0.0.1 port of the system's choosing
 * (give them a real clock), returning each one's origin; if one cannot be served, those already
 * listening are closed.
 */
export async function serveServicesOnLoopback<N extends HttpServiceName = HttpServiceName>(
  services: Services,
  names: readonly N[] = HTTP_SERVICES as readonly N[],
): Promise<Record<N, string> & { close(): Promise<void> }> {
  const servers: LoopbackServer[] = [];
  const close = async () => {
    // Held long polls would keep their sockets, and so the servers, open.
    services.state.releaseWaiting();
    await Promise.all(servers.map((server) => server.close()));
  };
  const origins = {} as Record<N, string>;
  try {
    for (const name of names) {
      const server = await serveOnLoopback(services[name].handler);
      servers.push(server);
      origins[name] = server.origin;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return Object.assign(origins, { close });
}
