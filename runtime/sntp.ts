/**
 * SNTP (RFC 4330, packets of RFC 5905): the client's request, the server's reply decoded and
 * judged, and one sample's clock offset and round-trip delay.
 *
 * Guarantees: the request is 48 bytes, version 4, mode 3 (client), every field zero but the
 * transmit timestamp, which carries T1; a reply is accepted only if it is a version 1-4 server
 * answer (mode 4) to that very request (its originate timestamp equals our T1, bit for bit: a
 * stale or forged answer is refused), not a kiss-of-death (stratum 0, whose reference id is the
 * code: RATE, DENY, RSTR...), from a synchronised server (leap indicator not 3, stratum 1-15),
 * with a transmit timestamp set. Every refusal says why, in a short sentence.
 *
 * Timestamps are NTP era 0 (1900-01-01 to 2036-02-07), which is enough for a device built now:
 * the 64-bit value is kept as two unsigned 32-bit words, because the interpreter has no BigInt,
 * and converted to and from Unix milliseconds with the fraction to about a nanosecond. Bytes are
 * a `Uint8Array` read and written by hand (no Node `Buffer`), which both hosts have.
 */

/** Seconds from 1900-01-01 (NTP's epoch) to 1970-01-01 (Unix's). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 4_294_967_296;

export const NTP_PACKET_BYTES = 48;
export const NTP_VERSION = 4;
export const MODE_CLIENT = 3;
export const MODE_SERVER = 4;
/** Leap indicator 3: the server's clock is not synchronised. */
export const LEAP_UNSYNCHRONISED = 3;
export const MAX_STRATUM = 15;

/** An NTP timestamp: whole seconds since 1900 and a fraction of 2^-32 s, both unsigned 32-bit. */
export interface NtpTimestamp {
  seconds: number;
  fraction: number;
}

export interface NtpPacket {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  /** log2 seconds between polls the server suggests. */
  poll: number;
  /** log2 seconds of the server clock's precision (e.g. -20 is about a microsecond). */
  precision: number;
  rootDelayMs: number;
  rootDispersionMs: number;
  /** Stratum 0-1: four ASCII characters (the kiss code, or the reference clock); else an IPv4 address. */
  referenceId: string;
  reference: NtpTimestamp;
  originate: NtpTimestamp;
  receive: NtpTimestamp;
  transmit: NtpTimestamp;
}

/** The measurement one exchange yields, in milliseconds. */
export interface SntpSample {
  /** How far our clock is behind the server's: add it to our clock to read the server's time. */
  offsetMs: number;
  delayMs: number;
  stratum: number;
}

/** Unix milliseconds as an era-0 NTP timestamp; undefined outside 1900-2036. */
export function unixMsToNtp(ms: number): NtpTimestamp | undefined {
  let seconds = Math.floor(ms / 1000);
  let fraction = Math.round(((ms - seconds * 1000) / 1000) * TWO_32);
  if (fraction >= TWO_32) {
    seconds++;
    fraction -= TWO_32;
  }
  seconds += NTP_UNIX_OFFSET_S;
  if (!(seconds >= 0 && seconds < TWO_32)) return undefined;
  return { seconds, fraction };
}

/** An era-0 NTP timestamp as Unix milliseconds (fractional). */
export function ntpToUnixMs(t: NtpTimestamp): number {
  return (t.seconds - NTP_UNIX_OFFSET_S) * 1000 + (t.fraction * 1000) / TWO_32;
}

function isZero(t: NtpTimestamp): boolean {
  return t.seconds === 0 && t.fraction === 0;
}

function sameTimestamp(a: NtpTimestamp, b: NtpTimestamp): boolean {
  return a.seconds === b.seconds && a.fraction === b.fraction;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return bytes[at] * 16_777_216 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = Math.floor(value / 16_777_216) & 0xff;
  bytes[at + 1] = (value >> 16) & 0xff;
  bytes[at + 2] = (value >> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

function readTimestamp(bytes: Uint8Array, at: number): NtpTimestamp {
  return { seconds: readUint32(bytes, at), fraction: readUint32(bytes, at + 4) };
}

export function writeTimestamp(bytes: Uint8Array, at: number, t: NtpTimestamp): void {
  writeUint32(bytes, at, t.seconds);
  writeUint32(bytes, at + 4, t.fraction);
}

/** An unsigned 16.16 fixed-point number of seconds (NTP short format) in milliseconds. */
function shortFormatMs(bytes: Uint8Array, at: number): number {
  return (readUint32(bytes, at) * 1000) / 65_536;
}

function signedByte(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/** The client's request for `t1`: what to send, and the timestamp the answer must echo. */
export function sntpRequest(t1Ms: number): { bytes: Uint8Array; t1: NtpTimestamp } | undefined {
  const t1 = unixMsToNtp(t1Ms);
  if (t1 === undefined) return undefined;
  const bytes = new Uint8Array(NTP_PACKET_BYTES);
  bytes[0] = (NTP_VERSION << 3) | MODE_CLIENT;
  writeTimestamp(bytes, 40, t1);
  return { bytes, t1 };
}

/** The packet's fields; undefined when it is too short to be one. */
export function decodeNtpPacket(bytes: Uint8Array): NtpPacket | undefined {
  if (bytes.length < NTP_PACKET_BYTES) return undefined;
  const stratum = bytes[1];
  let referenceId = "";
  if (stratum <= 1) {
    for (let i = 12; i < 16 && bytes[i] !== 0; i++) referenceId += String.fromCharCode(bytes[i]);
  } else {
    referenceId = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  return {
    leap: bytes[0] >> 6,
    version: (bytes[0] >> 3) & 7,
    mode: bytes[0] & 7,
    stratum,
    poll: signedByte(bytes[2]),
    precision: signedByte(bytes[3]),
    rootDelayMs: shortFormatMs(bytes, 4),
    rootDispersionMs: shortFormatMs(bytes, 8),
    referenceId,
    reference: readTimestamp(bytes, 16),
    originate: readTimestamp(bytes, 24),
    receive: readTimestamp(bytes, 32),
    transmit: readTimestamp(bytes, 40),
  };
}

/** Why a reply to the request that carried `t1` cannot be used, or null when it can. */
export function rejectionOf(packet: NtpPacket, t1: NtpTimestamp): string | null {
  if (packet.mode !== MODE_SERVER) return `wrong mode ${packet.mode} (a server answers 4)`;
  if (packet.version < 1 || packet.version > 4) return `unsupported version ${packet.version}`;
  // Checked before the kiss code: anyone can send a kiss-of-death, only the server knows our T1.
  if (!sameTimestamp(packet.originate, t1)) {
    return "originate timestamp is not our request's: a stale or forged answer";
  }
  if (packet.stratum === 0) return `kiss-of-death ${packet.referenceId || "(no code)"}`;
  if (packet.leap === LEAP_UNSYNCHRONISED) return "server clock unsynchronised (leap indicator 3)";
  if (packet.stratum > MAX_STRATUM) return `stratum ${packet.stratum} is beyond ${MAX_STRATUM}`;
  if (isZero(packet.transmit)) return "zero transmit timestamp";
  return null;
}

/**
 * RFC 4330's offset `((T2-T1)+(T3-T4))/2` and delay `(T4-T1)-(T3-T2)`, T1 and T4 on our clock,
 * T2 and T3 on the server's. A delay below zero only comes from clocks read to the millisecond
 * across a sub-millisecond exchange: it is counted as zero.
 */
export function sampleOf(t1Ms: number, t2Ms: number, t3Ms: number, t4Ms: number) {
  return {
    offsetMs: (t2Ms - t1Ms + (t3Ms - t4Ms)) / 2,
    delayMs: Math.max(0, t4Ms - t1Ms - (t3Ms - t2Ms)),
  };
}

/** The sample a reply gives, or why it is refused. */
export function readReply(
  bytes: Uint8Array,
  t1: NtpTimestamp,
  t4Ms: number,
): { sample: SntpSample } | { rejected: string } {
  const packet = decodeNtpPacket(bytes);
  if (packet === undefined) return { rejected: `short packet (${bytes.length} bytes)` };
  const reason = rejectionOf(packet, t1);
  if (reason !== null) return { rejected: reason };
  const measured = sampleOf(
    ntpToUnixMs(t1),
    ntpToUnixMs(packet.receive),
    ntpToUnixMs(packet.transmit),
    t4Ms,
  );
  return {
    sample: { offsetMs: measured.offsetMs, delayMs: measured.delayMs, stratum: packet.stratum },
  };
}

/** A server's reply as bytes (for simulated servers and tests). */
export function encodeNtpPacket(p: NtpPacket): Uint8Array {
  const bytes = new Uint8Array(NTP_PACKET_BYTES);
  bytes[0] = ((p.leap & 3) << 6) | ((p.version & 7) << 3) | (p.mode & 7);
  bytes[1] = p.stratum & 0xff;
  bytes[2] = p.poll & 0xff;
  bytes[3] = p.precision & 0xff;
  writeUint32(bytes, 4, Math.round((p.rootDelayMs * 65_536) / 1000));
  writeUint32(bytes, 8, Math.round((p.rootDispersionMs * 65_536) / 1000));
  if (p.stratum <= 1) {
    for (let i = 0; i < 4; i++)
      bytes[12 + i] = i < p.referenceId.length ? p.referenceId.charCodeAt(i) : 0;
  } else {
    const parts = p.referenceId.split(".");
    for (let i = 0; i < 4; i++) bytes[12 + i] = Number(parts[i]) & 0xff;
  }
  writeTimestamp(bytes, 16, p.reference);
  writeTimestamp(bytes, 24, p.originate);
  writeTimestamp(bytes, 32, p.receive);
  writeTimestamp(bytes, 40, p.transmit);
  return bytes;
}
