/**
 * The board on the Espruino interpreter: timers and `getTime()` for the clock, `E.hwRand()` for
 * randomness, `require("Wifi")` for the radio where the firmware has one (ESP32, Espruino WiFi),
 * `require("http")` and `require("dgram")` for the network, `require("Storage")` for flash,
 * `E.enableWatchdog`/`E.kickWatchdog` for the hardware watchdog and `E.reboot()` for a reset.
 *
 * Where the firmware has no Wifi module, the link is fixed: on the Linux build its `http` and
 * `dgram` are the host's sockets, so the link is up as a wired board's is (connects and probes
 * succeed, it is never lost); on a board with no network at all (the RP2040 build) every connect
 * answers `no-radio` and the manager stays offline. Nothing throws. Espruino throws on
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
declare const process: {
  memory(): { free: number; usage: number };
  env: { BOARD?: string };
};

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

/** A link with no radio behind it: every connect and probe answers `answer`; never lost. */
function fixedLink(answer: "no-radio" | null): Wifi {
  const answerLater = (done: (error: string | null) => void) => {
    const timer = later(() => done(answer));
    return () => clock.clearTimeout(timer);
  };
  return {
    connect: (_creds, done) => answerLater(done),
    disconnect: () => {},
    probe: answerLater,
    onLinkLost: () => () => {},
  };
}

/** What carries the device's traffic: the radio, the host's network, or nothing. */
export type Link = "radio" | "wired" | "none";

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

export function createEspruinoBoard(
  deviceId: string,
  firmwareVersion: string,
): Board & {
  link: Link;
} {
  const module = loadWifiModule();
  // Every Linux build's board file is named from `LINUX` (`LINUX`, a measuring `LINUX32`...).
  const linux = (process.env.BOARD || "").slice(0, 5) === "LINUX";
  const link: Link = module ? "radio" : linux ? "wired" : "none";
  return {
    clock,
    wifi: module ? espruinoRadio(module) : fixedLink(link === "wired" ? null : "no-radio"),
    link,
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
