/**
 * The services a device talks to, started together: discovery (registration, tokens,
 * heartbeats), configuration and alarms, the latter two trusting the former's device keys, and
 * an NTP server (UDP, at `NTP_HOST:NTP_PORT` on a simulated network). Put on a
 * `SimulatedNetwork` at fixed origins for runs on the virtual clock, or on real loopback ports
 * for runs in real time; the handlers are the same objects either way.
 */
import { serveOnLoopback } from "../../board/node/loopbackHttp.js";
import type { SimulatedNetwork } from "../../board/node/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { AlarmServer } from "./alarmServer.js";
import { ConfigurationServer } from "./configurationServer.js";
import { NtpServer } from "./ntpServer.js";
import { type DeviceRecord, ServiceDiscovery } from "./serviceDiscovery.js";

export { AlarmServer } from "./alarmServer.js";
export { ConfigurationServer } from "./configurationServer.js";
export { Faults, withFaults } from "./faults.js";
export { NtpServer } from "./ntpServer.js";
export { type DeviceRecord, ServiceDiscovery } from "./serviceDiscovery.js";

export const DISCOVERY_ORIGIN = "http://discovery.sim";
export const CONFIG_ORIGIN = "http://config.sim";
export const ALARM_ORIGIN = "http://alarms.sim";
export const NTP_HOST = "ntp.sim";
export const NTP_PORT = 123;
/** What the simulated NTP server says it is at virtual time 0: 2026-01-01T00:00:00Z. */
export const NTP_EPOCH_MS = 1_767_225_600_000;

export interface ServicesOptions {
  clock: Clock;
  devices: DeviceRecord[];
  /** When given, the services listen on it at `DISCOVERY_ORIGIN`, `CONFIG_ORIGIN`, `ALARM_ORIGIN`. */
  network?: SimulatedNetwork;
  tokenLifetimeMs?: number;
  adminKey?: string;
}

export interface Services {
  discovery: ServiceDiscovery;
  config: ConfigurationServer;
  alarms: AlarmServer;
  ntp: NtpServer;
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
  const alarms = new AlarmServer({
    clock: options.clock,
    keyOf: (deviceId) => discovery.keyOf(deviceId),
  });
  const ntp = new NtpServer({ clock: options.clock, offsetMs: NTP_EPOCH_MS });
  if (options.network !== undefined) {
    options.network.listen(DISCOVERY_ORIGIN, discovery.handler);
    options.network.listen(CONFIG_ORIGIN, config.handler);
    options.network.listen(ALARM_ORIGIN, alarms.handler);
    options.network.listenUdp(NTP_HOST, NTP_PORT, ntp.handler);
  }
  return { discovery, config, alarms, ntp };
}

/** Serves each on 127.0.0.1 ports of the system's choosing; give them a real clock. */
export async function serveServicesOnLoopback(services: Services): Promise<{
  discovery: string;
  config: string;
  alarms: string;
  close(): Promise<void>;
}> {
  const discovery = await serveOnLoopback(services.discovery.handler);
  const config = await serveOnLoopback(services.config.handler).catch(async (error) => {
    await discovery.close();
    throw error;
  });
  const alarms = await serveOnLoopback(services.alarms.handler).catch(async (error) => {
    await Promise.all([discovery.close(), config.close()]);
    throw error;
  });
  return {
    discovery: discovery.origin,
    config: config.origin,
    alarms: alarms.origin,
    close: async () => {
      await Promise.all([discovery.close(), config.close(), alarms.close()]);
    },
  };
}
