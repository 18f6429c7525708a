/**
 * A board made of simulated parts on any clock: the same `Board` the device has, with a
 * `SimulatedRadio` for WiFi, a `SimulatedWatchdog` that resets the board when it bites, and a
 * seeded random source, so a run is reproduced from its seed (all but `entropy`, which no seed
 * reproduces, as on a real board).
 * It holds no Node API itself (the trace bundle runs it inside Espruino); what differs between
 * hosts, such as free memory and where console lines go, is passed in.
 */

import { crc32 } from "../../runtime/crc32.js";
import { seededRandom } from "../../runtime/random.js";
import type { Board, Clock, Http, Udp } from "../types.js";
import { FlashStorage } from "./flashStorage.js";
import { SimulatedNetwork } from "./simulatedNetwork.js";
import { type RadioOptions, SimulatedRadio } from "./simulatedRadio.js";
import { SimulatedWatchdog } from "./simulatedWatchdog.js";

export interface SimulatedBoardOptions {
  clock: Clock;
  seed: number;
  deviceId?: string;
  firmwareVersion?: string;
  radio?: RadioOptions;
  /** The flash; a fresh empty one when absent. Pass the same one again to simulate a reboot. */
  storage?: FlashStorage;
  /**
   * The board's HTTP, given whether the radio's link is up (requests fail while it is down):
   * a `SimulatedNetwork`'s client, or real loopback. An empty simulated network when absent.
   */
  http?: (isLinkUp: () => boolean) => Http;
  /** The board's UDP, likewise: a `SimulatedNetwork`'s, or real loopback. Nothing answers when absent. */
  udp?: (isLinkUp: () => boolean) => Udp;
  freeMemory: () => number;
  log: (line: string) => void;
  /** The board's unseeded random source; the host's `Math.random` unless told. */
  entropy?: () => number;
}

export interface SimulatedBoard extends Board {
  radio: SimulatedRadio;
  storage: FlashStorage;
  watchdog: SimulatedWatchdog;
  /**
   * Every `reset(reason)`, in order, `hardware-watchdog` for a bite: a simulated board does not
   * restart (its watchdog is left disarmed, as a restarted chip's is).
   */
  resets: string[];
}

export function createSimulatedBoard(options: SimulatedBoardOptions): SimulatedBoard {
  const radio = new SimulatedRadio(options.clock, options.radio);
  const resets: string[] = [];
  const reset = (reason: string) => {
    watchdog.disarm();
    resets.push(reason);
  };
  const watchdog = new SimulatedWatchdog(options.clock, () => reset("hardware-watchdog"));
  return {
    clock: options.clock,
    wifi: radio,
    radio,
    http: (options.http ?? ((up) => new SimulatedNetwork(options.clock).client(up)))(() =>
      radio.isAssociated(),
    ),
    udp: (options.udp ?? ((up) => new SimulatedNetwork(options.clock).udp(up)))(() =>
      radio.isAssociated(),
    ),
    storage: options.storage ?? new FlashStorage(),
    watchdog,
    resets,
    reset,
    random: seededRandom(options.seed),
    entropy: options.entropy ?? Math.random,
    info: {
      deviceId: options.deviceId ?? "sim-0001",
      firmwareVersion: options.firmwareVersion ?? "0.1.0-sim",
      freeMemory: options.freeMemory,
    },
    log: options.log,
    crc32,
  };
}
