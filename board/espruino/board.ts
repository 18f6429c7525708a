/**
 * The board on the Espruino interpreter: timers and `getTime()` for the clock, `E.hwRand()` for
 * randomness, `require("Wifi")` for the radio where the firmware has one (ESP32, Espruino WiFi),
 * `require("http")` and `require("dgram")` for the network, `require("Storage")` for flash,
 * `E.enableWatchdog`/`E.kickWatchdog` for the hardware watchdog and `E.reboot()` for a reset.
 *
 * Where the firmware has no Wifi module (the Linux and RP2040 builds), every connect answers
 * `no-radio` and the manager stays offline: nothing throws. On the host's network (the Linux
 * build, whose sockets are the host's: `hostNetwork`) the link is always up instead. Espruino throws on
 * `clearTimeout(undefined)` and clears every timer on `clearTimeout()`, so the clock guards both.
 * Every callback is delivered from a timer, never synchronously, as on every other board.
 */
import type { Board, Clock, Watchdog, Wifi } from "../types.js";
import { espruinoHttp } from "./http.js";
import { loadModule } from "./modules.js";
import { espruinoStorage } from "./storage.js";
import { espruinoUdp } from "./udp.js";

/** The parts of Espruino's Wifi module this board uses (ESP32 and Espruino WiFi agree here). */
interface EspruinoWifi {
  connect(ssid: string, options: { password: string }, done: (error: unknown) => void): void;
  disconnect(done?: () => void): void;
  getIP(done: (error: unknown, info: { ip: string }) => void): void;
  on(event: "disconnected", listener: (details: unknown) => void): void;
  removeListener(event: "disconnected", listener: (details: unknown) => void): void;
}

declare function getTime(): number;
declare const E: {
  hwRand(): number;
  reboot(): void;
  CRC32(data: string): number;
  enableWatchdog?: (timeoutSeconds: number, isAuto: boolean) => void;
  kickWatchdog?: () => void;
};
declare const process: { memory(): { free: number; usage: number } };

const clock: Clock = {
  now: () => Math.floor(getTime() * 1000),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => {
    if (id !== undefined && id !== null) clearTimeout(id as ReturnType<typeof setTimeout>);
  },
};

/**
 * Never kicked automatically (`isAuto` false): only the controller's healthy tick kicks it, so a
 * stuck loop resets the device. A chip may clamp the timeout to what its hardware can count.
 * Guarded for builds without the functions (the 2v29 Linux build has them, doing nothing).
 */
const watchdog: Watchdog = {
  enable: (timeoutMs) => {
    if (typeof E.enableWatchdog === "function") E.enableWatchdog(timeoutMs / 1000, false);
  },
  kick: () => {
    if (typeof E.kickWatchdog === "function") E.kickWatchdog();
  },
};

function loadWifiModule(): EspruinoWifi | null {
  try {
    return loadModule<EspruinoWifi>("Wifi");
  } catch (_) {
    return null;
  }
}

const later = (fn: () => void) => clock.setTimeout(fn, 0);

/** A radio that is not there: every operation answers `no-radio`. */
const absentRadio: Wifi = {
  connect: (_creds, done) => {
    const timer = later(() => done("no-radio"));
    return () => clock.clearTimeout(timer);
  },
  disconnect: () => {},
  probe: (done) => {
    const timer = later(() => done("no-radio"));
    return () => clock.clearTimeout(timer);
  },
  onLinkLost: () => () => {},
};

function espruinoRadio(module: EspruinoWifi): Wifi {
  return {
    connect: (creds, done) => {
      let live = true;
      module.connect(creds.ssid, { password: creds.password }, (error) => {
        if (live) later(() => done(error ? String(error) : null));
      });
      return () => {
        live = false;
      };
    },
    disconnect: () => module.disconnect(),
    // An address means the station finished DHCP; the module offers no cheaper traffic check.
    probe: (done) => {
      let live = true;
      module.getIP((error, info) => {
        if (!live) return;
        if (error) done(String(error));
        else done(info?.ip && info.ip !== "0.0.0.0" ? null : "no address");
      });
      return () => {
        live = false;
      };
    },
    onLinkLost: (listener) => {
      const handler = () => listener("disconnected");
      module.on("disconnected", handler);
      return () => module.removeListener("disconnected", handler);
    },
  };
}

/** Hardware noise: seeds the managers' jitter and draws what must differ between boots. */
const hardwareRandom = () => (E.hwRand() >>> 0) / 4294967296;

/**
 * The host's network, for a build without a radio whose sockets are the host's (the Linux
 * build): there is nothing to join or lose, so a connect succeeds and a probe passes, and the
 * managers that wait for the link (updates, time sync) run as on a board online.
 */
const hostLink: Wifi = {
  connect: (_creds, done) => {
    const timer = later(() => done(null));
    return () => clock.clearTimeout(timer);
  },
  disconnect: () => {},
  probe: (done) => {
    const timer = later(() => done(null));
    return () => clock.clearTimeout(timer);
  },
  onLinkLost: () => () => {},
};

export function createEspruinoBoard(
  deviceId: string,
  firmwareVersion: string,
  options: { hostNetwork?: boolean } = {},
): Board & {
  hasRadio: boolean;
} {
  const module = loadWifiModule();
  return {
    clock,
    wifi: module ? espruinoRadio(module) : options.hostNetwork ? hostLink : absentRadio,
    hasRadio: module !== null,
    http: espruinoHttp(clock),
    udp: espruinoUdp(clock),
    storage: espruinoStorage(),
    watchdog,
    reset: (reason) => {
      console.log(`reset: ${reason}`);
      E.reboot();
    },
    random: hardwareRandom,
    entropy: hardwareRandom,
    info: { deviceId, firmwareVersion, freeMemory: () => process.memory().free },
    log: (line) => console.log(line),
    // Natively, as the boot stub checks slots: signed or not, the same number both ways.
    crc32: (data) => E.CRC32(data),
  };
}
