/**
 * runtime/sntp.ts: the request's bytes, a server packet decoded field by field, offsets and
 * delays computed by hand, every rejection with its reason, and NTP timestamps to and from
 * Unix milliseconds (property tests).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeNtpPacket,
  encodeNtpPacket,
  NTP_UNIX_OFFSET_S,
  type NtpPacket,
  ntpToUnixMs,
  readReply,
  rejectionOf,
  sampleOf,
  sntpRequest,
  unixMsToNtp,
} from "../../runtime/sntp.js";

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

/** 2023-11-14T22:13:20Z: NTP seconds 3,908,988,800 = 0xE8FE6F80. */
const T1_MS = 1_700_000_000_000;

/**
 * A stratum-2 answer, laid out by hand: T1 = S, T2 = S + 0.5 s, T3 = S + 0.75 s (fractions
 * 0x80000000 and 0xC0000000), root delay 0x100 (1/256 s), root dispersion 0x8000 (0.5 s).
 */
const KNOWN_REPLY = hex(`
  24 02 06 ec  00000100  00008000  c0 00 02 01
  e8fe6f40 00000000
  e8fe6f80 00000000
  e8fe6f80 80000000
  e8fe6f80 c0000000`);

function replyWith(changes: Partial<NtpPacket>): Uint8Array {
  const packet = decodeNtpPacket(KNOWN_REPLY) as NtpPacket;
  return encodeNtpPacket(Object.assign({}, packet, changes));
}

const t1 = unixMsToNtp(T1_MS)!;

describe("the client's request", () => {
  it("is 48 bytes, version 4, mode 3, zero but for the transmit timestamp T1", () => {
    const request = sntpRequest(T1_MS + 250)!;
    expect(request.bytes.length).toBe(48);
    expect(request.bytes[0]).toBe(0x23);
    expect(Array.from(request.bytes.slice(1, 40)).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(request.bytes.slice(40)).toString("hex")).toBe("e8fe6f8040000000");
    expect(request.t1).toEqual({ seconds: 0xe8fe6f80, fraction: 0x40000000 });
  });

  it("cannot be made for a time outside NTP era 0", () => {
    expect(sntpRequest(Date.UTC(2036, 1, 8))).toBeUndefined();
    expect(sntpRequest(Date.UTC(1899, 11, 31))).toBeUndefined();
    expect(sntpRequest(Date.UTC(2036, 1, 7))).toBeDefined();
  });
});

describe("a server's answer", () => {
  it("decodes field by field", () => {
    expect(decodeNtpPacket(KNOWN_REPLY)).toEqual({
      leap: 0,
      version: 4,
      mode: 4,
      stratum: 2,
      poll: 6,
      precision: -20,
      rootDelayMs: 3.90625,
      rootDispersionMs: 500,
      referenceId: "192.0.2.1",
      reference: { seconds: 0xe8fe6f40, fraction: 0 },
      originate: { seconds: 0xe8fe6f80, fraction: 0 },
      receive: { seconds: 0xe8fe6f80, fraction: 0x80000000 },
      transmit: { seconds: 0xe8fe6f80, fraction: 0xc0000000 },
    });
  });

  it("gives the offset and delay computed by hand", () => {
    // offset = ((500 - 0) + (750 - 500)) / 2 = 375; delay = (500 - 0) - (750 - 500) = 250.
    expect(readReply(KNOWN_REPLY, t1, T1_MS + 500)).toEqual({
      sample: { offsetMs: 375, delayMs: 250, stratum: 2 },
    });
    // A clock 1 s behind a server 40 ms away (20 ms each way), answered in 5 ms.
    expect(sampleOf(10_000, 11_020, 11_025, 10_045)).toEqual({ offsetMs: 1000, delayMs: 40 });
    // A clock ahead: the offset is negative.
    expect(sampleOf(10_000, 9_020, 9_021, 10_041)).toEqual({ offsetMs: -1000, delayMs: 40 });
    // An asymmetric path (30 ms out, 10 ms back) biases the offset by half the difference.
    expect(sampleOf(0, 30, 30, 40)).toEqual({ offsetMs: 10, delayMs: 40 });
  });

  it("reads a stratum-1 reference id as text", () => {
    const packet = decodeNtpPacket(replyWith({ stratum: 1, referenceId: "GPS" }))!;
    expect(packet.referenceId).toBe("GPS");
  });

  it.each([
    ["kiss-of-death RATE", { stratum: 0, leap: 3, referenceId: "RATE" }],
    ["kiss-of-death DENY", { stratum: 0, leap: 3, referenceId: "DENY" }],
    ["kiss-of-death RSTR", { stratum: 0, referenceId: "RSTR" }],
    ["stratum 16 is beyond 15", { stratum: 16 }],
    ["server clock unsynchronised (leap indicator 3)", { leap: 3 }],
    ["wrong mode 3 (a server answers 4)", { mode: 3 }],
    ["wrong mode 5 (a server answers 4)", { mode: 5 }],
    ["unsupported version 0", { version: 0 }],
    ["zero transmit timestamp", { transmit: { seconds: 0, fraction: 0 } }],
    [
      "originate timestamp is not our request's: a stale or forged answer",
      { originate: { seconds: 0xe8fe6f80, fraction: 1 } },
    ],
  ] as Array<[string, Partial<NtpPacket>]>)("is rejected: %s", (reason, changes) => {
    expect(readReply(replyWith(changes), t1, T1_MS + 500)).toEqual({ rejected: reason });
  });

  it("names a forged kiss-of-death by its originate, not its code", () => {
    const forged = replyWith({
      stratum: 0,
      referenceId: "DENY",
      originate: { seconds: 1, fraction: 0 },
    });
    expect(readReply(forged, t1, T1_MS)).toEqual({
      rejected: "originate timestamp is not our request's: a stale or forged answer",
    });
  });

  it("refuses a packet shorter than 48 bytes", () => {
    expect(readReply(KNOWN_REPLY.slice(0, 47), t1, T1_MS)).toEqual({
      rejected: "short packet (47 bytes)",
    });
    expect(readReply(new Uint8Array(0), t1, T1_MS)).toEqual({ rejected: "short packet (0 bytes)" });
  });

  it("accepts versions 1 to 4 in a server's answer", () => {
    for (const version of [1, 2, 3, 4]) {
      expect(rejectionOf(decodeNtpPacket(replyWith({ version }))!, t1)).toBeNull();
    }
  });
});

/** Unix milliseconds NTP era 0 covers: 1900-01-01 up to 2036-02-07T06:28:15Z. */
const ERA0_MS = fc.double({
  min: -NTP_UNIX_OFFSET_S * 1000,
  max: (4_294_967_295 - NTP_UNIX_OFFSET_S) * 1000,
  noNaN: true,
});

describe("NTP timestamps", () => {
  it("convert to and from Unix milliseconds to within a double's precision", () => {
    fc.assert(
      fc.property(ERA0_MS, (ms) => {
        const t = unixMsToNtp(ms)!;
        expect(t.seconds).toBeGreaterThanOrEqual(0);
        expect(t.seconds).toBeLessThan(2 ** 32);
        expect(t.fraction).toBeGreaterThanOrEqual(0);
        expect(t.fraction).toBeLessThan(2 ** 32);
        expect(Math.abs(ntpToUnixMs(t) - ms)).toBeLessThan(1e-6 + Math.abs(ms) * 1e-15);
      }),
    );
  });

  it("round-trip whole milliseconds exactly once rounded", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_208_988_800_000, max: 2_085_978_495_000 }), (ms) => {
        expect(Math.round(ntpToUnixMs(unixMsToNtp(ms)!))).toBe(ms);
      }),
    );
  });

  it("survive a packet's encoding bit for bit", () => {
    const stamp = fc.record({
      seconds: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fraction: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    });
    fc.assert(
      fc.property(stamp, stamp, stamp, stamp, (reference, originate, receive, transmit) => {
        const packet = decodeNtpPacket(replyWith({ reference, originate, receive, transmit }))!;
        expect(packet).toMatchObject({ reference, originate, receive, transmit });
      }),
    );
  });

  it("give back the offset and delay of any symmetric exchange", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.integer({ min: -100_000_000, max: 100_000_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 1_000 }),
        (t1Ms, theta, oneWay, processing) => {
          const t2 = t1Ms + oneWay + theta;
          const t3 = t2 + processing;
          const t4 = t3 - theta + oneWay;
          expect(sampleOf(t1Ms, t2, t3, t4)).toEqual({ offsetMs: theta, delayMs: 2 * oneWay });
        },
      ),
    );
  });
});
