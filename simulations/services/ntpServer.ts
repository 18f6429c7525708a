/**
 * An NTP server (RFC 5905 server packets, mode 4) as a `DatagramHandler`: served on a
 * `SimulatedNetwork`'s UDP on the virtual clock, or on real loopback UDP (`serveUdpOnLoopback`).
 *
 * Its time is its clock plus `offsetMs`, so a test knows exactly what a device should recover.
 * What a device must survive is set on it, each a public field or call:
 * - `requestDelayMs` / `replyDelayMs`: extra delay on the way in (before T2 is stamped) and on
 *   the way out (after T3), beyond the network's: unequal ones make the path asymmetric, which
 *   biases the client's offset by half the difference, as on a real network;
 * - `dropNext(n)`: the next n requests are never answered;
 * - `kissCode`: every answer is a kiss-of-death (stratum 0, leap 3, the code as reference id);
 * - `stratum` above 15, or `leap` 3: an unsynchronised server;
 * - `forgeOriginate`: the answer echoes a timestamp other than the client's (a forged reply).
 * Requests that are not client-mode NTP packets get no answer, as from a real server.
 */
import type { DatagramHandler } from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import {
  decodeNtpPacket,
  encodeNtpPacket,
  MODE_CLIENT,
  MODE_SERVER,
  unixMsToNtp,
} from "../../runtime/sntp.js";

export interface NtpServerOptions {
  clock: Clock;
  /** The server's time is `clock.now() + offsetMs`. */
  offsetMs?: number;
  stratum?: number;
  /** Of the server it syncs from (stratum 2 and up): an IPv4 address. */
  referenceId?: string;
}

export interface NtpServerStats {
  received: number;
  answered: number;
  dropped: number;
}

const ZERO = { seconds: 0, fraction: 0 };

export class NtpServer {
  offsetMs: number;
  stratum: number;
  leap = 0;
  referenceId: string;
  requestDelayMs = 0;
  replyDelayMs = 0;
  kissCode: string | null = null;
  forgeOriginate = false;
  readonly stats: NtpServerStats = { received: 0, answered: 0, dropped: 0 };
  private dropping = 0;
  private readonly clock: Clock;

  constructor(options: NtpServerOptions) {
    this.clock = options.clock;
    this.offsetMs = options.offsetMs ?? 0;
    this.stratum = options.stratum ?? 2;
    this.referenceId = options.referenceId ?? "192.0.2.1";
  }

  /** The server's time now, in Unix milliseconds. */
  now(): number {
    return this.clock.now() + this.offsetMs;
  }

  dropNext(n: number): void {
    this.dropping = n;
  }

  readonly handler: DatagramHandler = (data, _from, reply) => {
    const request = decodeNtpPacket(data);
    if (request === undefined || request.mode !== MODE_CLIENT) return;
    this.stats.received++;
    if (this.dropping > 0) {
      this.dropping--;
      this.stats.dropped++;
      return;
    }
    const answer = () => {
      const t2 = unixMsToNtp(this.now()) ?? ZERO;
      const kiss = this.kissCode;
      const originate = this.forgeOriginate
        ? { seconds: request.transmit.seconds, fraction: (request.transmit.fraction + 1) >>> 0 }
        : request.transmit;
      const packet = encodeNtpPacket({
        leap: kiss !== null ? 3 : this.leap,
        version: request.version,
        mode: MODE_SERVER,
        stratum: kiss !== null ? 0 : this.stratum,
        poll: request.poll,
        precision: -20,
        rootDelayMs: 1,
        rootDispersionMs: 1,
        referenceId: kiss !== null ? kiss : this.referenceId,
        reference: kiss !== null ? ZERO : (unixMsToNtp(this.now() - 60_000) ?? ZERO),
        originate,
        receive: kiss !== null ? ZERO : t2,
        transmit: kiss !== null ? ZERO : (unixMsToNtp(this.now()) ?? ZERO),
      });
      const send = () => {
        this.stats.answered++;
        reply(packet);
      };
      if (this.replyDelayMs > 0) this.clock.setTimeout(send, this.replyDelayMs);
      else send();
    };
    if (this.requestDelayMs > 0) this.clock.setTimeout(answer, this.requestDelayMs);
    else answer();
  };
}
