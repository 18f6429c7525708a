/**
 * A simulated device in its world: the services it talks to (ServiceDiscovery,
 * ConfigurationServer, StateServer, AlarmServer, an NTP server) on an in-memory network on the same virtual
 * clock, knowing the device by its id and key. Node only (the services sign with node:crypto),
 * unlike `device.ts`.
 */
import { SimulatedNetwork } from "../board/sim/simulatedNetwork.js";
import { SIMULATED_DEVICE, type SimulatedDeviceOptions, simulateDevice } from "./device.js";
import {
  ALARM_ORIGIN,
  CONFIG_ORIGIN,
  DISCOVERY_ORIGIN,
  NTP_HOST,
  NTP_PORT,
  type Services,
  STATE_ORIGIN,
  startServices,
} from "./services/index.js";

export interface WorldOptions extends Omit<SimulatedDeviceOptions, "services"> {
  tokenLifetimeMs?: number;
  /** One-way latency of the in-memory network. */
  latencyMs?: number;
  /** The services and network of an earlier run on the same clock: a reboot into the same world. */
  world?: { services: Services; net: SimulatedNetwork };
  /** The probability that a datagram is lost, each way (seeded by `seed`). */
  udpLoss?: number;
}

export function simulateWorld(options: WorldOptions) {
  const net =
    options.world?.net ??
    new SimulatedNetwork(options.clock, {
      latencyMs: options.latencyMs ?? 20,
      udpLoss: options.udpLoss,
      seed: options.seed,
    });
  const services =
    options.world?.services ??
    startServices({
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
      alarmsUrl: ALARM_ORIGIN,
      stateUrl: STATE_ORIGIN,
      http: (isLinkUp) => net.client(isLinkUp),
      udp: (isLinkUp) => net.udp(isLinkUp),
    },
    timesync: Object.assign({ servers: [{ host: NTP_HOST, port: NTP_PORT }] }, options.timesync),
  });
  return { ...device, services, net };
}
