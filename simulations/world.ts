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
  UPDATE_ORIGIN,
} from "./services/index.js";

export interface WorldOptions extends Omit<SimulatedDeviceOptions, "services"> {
  tokenLifetimeMs?: number;
  /** One-way latency of the in-memory network. */
  latencyMs?: number;
  /** The services and network of an earlier run on the same clock: a reboot into the same world. */
  world?: { services: Services; net: SimulatedNetwork };
  /** The probability that a datagram is lost, each way (seeded by `seed`). */
  udpLoss?: number;
  /** Who this device is to its services; the simulated device (`SIMULATED_DEVICE`) when absent. */
  device?: WorldDevice;
}

/** A device as its services know it. */
export interface WorldDevice {
  deviceId: string;
  key: string;
  tenant: string;
  ns: string;
}

export interface WorldNetworkOptions {
  clock: WorldOptions["clock"];
  seed: number;
  latencyMs?: number;
  udpLoss?: number;
  tokenLifetimeMs?: number;
  /** Every device the services know (a fleet shares one world). */
  devices: WorldDevice[];
}

/** The services on an in-memory network, knowing `devices`: what one device or a fleet talks to. */
export function createWorld(options: WorldNetworkOptions): {
  services: Services;
  net: SimulatedNetwork;
} {
  const net = new SimulatedNetwork(options.clock, {
    latencyMs: options.latencyMs ?? 20,
    udpLoss: options.udpLoss,
    seed: options.seed,
  });
  const services = startServices({
    clock: options.clock,
    network: net,
    tokenLifetimeMs: options.tokenLifetimeMs,
    seed: options.seed,
    devices: options.devices.map((d) => ({ ...d, roles: ["device"] })),
  });
  return { services, net };
}

/** The time sync settings of a device in the world: its NTP server, then the device's own. */
export function worldTimesync(settings: WorldOptions["timesync"]): WorldOptions["timesync"] {
  return Object.assign({ servers: [{ host: NTP_HOST, port: NTP_PORT }] }, settings);
}

export function simulateWorld(options: WorldOptions) {
  const known = options.device ?? SIMULATED_DEVICE;
  const { services, net } =
    options.world ??
    createWorld({
      clock: options.clock,
      seed: options.seed,
      latencyMs: options.latencyMs,
      udpLoss: options.udpLoss,
      tokenLifetimeMs: options.tokenLifetimeMs,
      devices: [known],
    });
  const device = simulateDevice({
    ...options,
    deviceId: known.deviceId,
    deviceKey: options.deviceKey ?? known.key,
    services: {
      discoveryUrl: DISCOVERY_ORIGIN,
      configUrl: CONFIG_ORIGIN,
      alarmsUrl: ALARM_ORIGIN,
      stateUrl: STATE_ORIGIN,
      updatesUrl: UPDATE_ORIGIN,
      http: (isLinkUp) => net.client(isLinkUp),
      udp: (isLinkUp) => net.udp(isLinkUp),
    },
    timesync: worldTimesync(options.timesync),
  });
  return { ...device, services, net };
}
