import { createHash, createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import vm from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64urlDecode, base64urlEncode } from "../../runtime/base64url.js";
import { hmacSha256, timingSafeEqual } from "../../runtime/hmac.js";
import { sha256 } from "../../runtime/sha256.js";
import { utf8Decode, utf8DecodeStrict, utf8Encode } from "../../runtime/utf8.js";
import { createEspruinoLikeContext } from "../../scripts/espruino/builtins.js";
import { checkBundle } from "../../scripts/espruino/gate.js";
import { runFromStorage } from "../../scripts/espruino/interpreter.js";
import { lowerForEspruino } from "../../scripts/espruino/pipeline.js";
import { runCryptoCases } from "../fixtures/crypto-entry.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const nodeSha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const nodeHmac = (key: Uint8Array | string, data: Uint8Array | string) =>
  createHmac("sha256", key).update(data).digest("hex");

/** Lengths around the padding boundaries (55/56 bytes: one block or two), and any up to 300. */
const length = fc.oneof(
  fc.constantFrom(0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129),
  fc.integer({ min: 0, max: 300 }),
);
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const anyBytes = length.chain(bytesOf);
const keyBytes = fc
  .oneof(fc.constantFrom(0, 1, 63, 64, 65, 128, 200), fc.integer({ min: 0, max: 200 }))
  .chain(bytesOf);
/** Any UTF-16 code unit, so lone surrogates too. */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: utf16Unit, maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
);

describe("sha256", () => {
  it("gives the FIPS 180-4 example digests", () => {
    expect(hex(sha256("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hex(sha256(""))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(
      hex(
        sha256(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        ),
      ),
    ).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    expect(hex(sha256("a".repeat(1_000_000)))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("matches node:crypto at every length from 0 to 200 bytes", () => {
    for (let n = 0; n <= 200; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 131 + n) & 255);
      expect(hex(sha256(bytes)), `${n} bytes`).toBe(nodeSha256(bytes));
    }
  });

  it("matches node:crypto on random bytes", () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        expect(hex(sha256(bytes))).toBe(nodeSha256(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("matches node:crypto on random text, hashed as UTF-8", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(hex(sha256(text))).toBe(nodeSha256(text));
      }),
      { numRuns: 300 },
    );
  });

  it("returns a fresh digest each call, though its working buffers are shared", () => {
    const first = sha256("first");
    sha256("second");
    expect(hex(first)).toBe(nodeSha256("first"));
  });
});

describe("hmacSha256", () => {
  const repeated = (n: number, byte: number) => new Uint8Array(n).fill(byte);
  const sequence = (from: number, to: number) =>
    new Uint8Array(to - from + 1).map((_, i) => from + i);

  it("gives the RFC 4231 test vectors", () => {
    const cases: Array<[Uint8Array | string, Uint8Array | string, string]> = [
      [
        repeated(20, 0x0b),
        "Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      ],
      [
        "Jefe",
        "what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      ],
      [
        repeated(20, 0xaa),
        repeated(50, 0xdd),
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
      ],
      [
        sequence(1, 25),
        repeated(50, 0xcd),
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
      ],
      [
        repeated(131, 0xaa),
        "Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      ],
      [
        repeated(131, 0xaa),
        "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
      ],
    ];
    for (const [key, data, mac] of cases) expect(hex(hmacSha256(key, data))).toBe(mac);
    // Test case 5 checks only the first 128 bits.
    expect(hex(hmacSha256(repeated(20, 0x0c), "Test With Truncation")).slice(0, 32)).toBe(
      "a3b6167473100ee06e0c796c2955552b",
    );
  });

  it("matches node:crypto on random keys (0 to 200 bytes) and data", () => {
    fc.assert(
      fc.property(keyBytes, anyBytes, (key, data) => {
        expect(hex(hmacSha256(key, data))).toBe(nodeHmac(key, data));
      }),
      { numRuns: 300 },
    );
  });

  it("takes string keys and data as UTF-8", () => {
    fc.assert(
      fc.property(anyText, anyText, (key, data) => {
        expect(hex(hmacSha256(key, data))).toBe(
          nodeHmac(Buffer.from(utf8Encode(key)), Buffer.from(utf8Encode(data))),
        );
        expect(hex(hmacSha256(key, data))).toBe(nodeHmac(key, data));
      }),
    );
  });

  it("uses the hash it is given: twice, and once more for a key longer than a block", () => {
    const calls: number[] = [];
    const native = (data: Uint8Array) => {
      calls.push(data.length);
      return new Uint8Array(createHash("sha256").update(data).digest());
    };
    expect(hex(hmacSha256("short key", "data", native))).toBe(nodeHmac("short key", "data"));
    expect(calls).toEqual([64 + 4, 64 + 32]);
    calls.length = 0;
    const long = repeated(65, 7);
    expect(hex(hmacSha256(long, "data", native))).toBe(nodeHmac(long, "data"));
    expect(calls).toEqual([65, 64 + 4, 64 + 32]);
  });
});

describe("timingSafeEqual", () => {
  it("is Buffer equality on arrays of the same length", () => {
    fc.assert(
      fc.property(
        length.chain((n) => fc.tuple(bytesOf(n), bytesOf(n))),
        ([a, b]) => {
          expect(timingSafeEqual(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
          expect(timingSafeEqual(a, a.slice())).toBe(true);
        },
      ),
    );
  });

  it("is false for a single changed byte, and for different lengths", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (a, at, delta) => {
          const b = a.slice();
          b[at % b.length] ^= delta;
          expect(timingSafeEqual(a, b)).toBe(false);
          expect(timingSafeEqual(a, a.subarray(1))).toBe(false);
        },
      ),
    );
  });

  it("reads every byte even when the first one differs", () => {
    const reads: number[] = [];
    const counted = (bytes: Uint8Array) =>
      new Proxy(bytes, {
        get(target, property) {
          if (typeof property === "string" && /^\d+$/.test(property)) reads.push(Number(property));
          return target[property as keyof Uint8Array];
        },
      });
    const a = new Uint8Array(32);
    const b = new Uint8Array(32).fill(1);
    expect(timingSafeEqual(counted(a), counted(b))).toBe(false);
    expect(new Set(reads).size).toBe(32);
    expect(reads.length).toBe(64);
  });
});

describe("base64url", () => {
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const alphabetString = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 200 });

  it("encodes bytes as Buffer does, without padding, and decodes them back", () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const encoded = base64urlEncode(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString("base64url"));
        expect(base64urlDecode(encoded)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("encodes text as its UTF-8 bytes", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(base64urlEncode(text)).toBe(Buffer.from(text).toString("base64url"));
      }),
    );
  });

  it("decodes any canonical alphabet string as Buffer does, and refuses a spare bit set", () => {
    fc.assert(
      fc.property(alphabetString, (text) => {
        const decoded = base64urlDecode(text);
        const bytes = Buffer.from(text, "base64url");
        // Canonical: encoding the bytes back gives the same text.
        if (text.length % 4 === 1 || bytes.toString("base64url") !== text) {
          expect(decoded).toBeNull();
        } else expect(decoded).toEqual(new Uint8Array(bytes));
      }),
      { numRuns: 300 },
    );
    // "QR" and "QQ" spell the same byte for Buffer, atob and jose: only "QQ" is read here.
    expect(base64urlDecode("QQ")).toEqual(new Uint8Array([0x41]));
    expect(base64urlDecode("QR")).toBeNull();
    expect(base64urlDecode("QUI")).toEqual(new Uint8Array([0x41, 0x42]));
    expect(base64urlDecode("QUJ")).toBeNull();
  });

  it("refuses padding, other characters and impossible lengths", () => {
    for (const bad of [
      "QQ==",
      "QUI=",
      "Q",
      "QUJDR",
      "a+b/",
      "ab/c",
      "AA A",
      "AA\nA",
      "é",
      "AAA.",
      "😀AA",
    ]) {
      expect(base64urlDecode(bad), JSON.stringify(bad)).toBeNull();
    }
    for (const notText of [null, undefined, 42, {}, ["QQ"], new Uint8Array(2)]) {
      expect(base64urlDecode(notText as unknown as string)).toBeNull();
    }
    fc.assert(
      fc.property(
        alphabetString,
        fc
          .string({ unit: "binary", minLength: 1, maxLength: 1 })
          .filter((c) => !ALPHABET.includes(c)),
        fc.nat(),
        (text, intruder, at) => {
          const position = at % (text.length + 1);
          expect(
            base64urlDecode(text.slice(0, position) + intruder + text.slice(position)),
          ).toBeNull();
        },
      ),
    );
    expect(base64urlDecode("")).toEqual(new Uint8Array(0));
  });
});

describe("utf8", () => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const fatal = new TextDecoder("utf-8", { fatal: true });
  /** Bytes that are mostly UTF-8: whole characters, cut characters and stray bytes mixed. */
  const nearlyUtf8 = fc
    .array(
      fc.oneof(
        fc
          .string({ unit: "binary", minLength: 1, maxLength: 1 })
          .map((c) => [...encoder.encode(c)]),
        fc
          .string({ unit: "binary", minLength: 1, maxLength: 1 })
          .map((c) => [...encoder.encode(c)].slice(0, -1)),
        fc.integer({ min: 0, max: 255 }).map((b) => [b]),
        fc.constantFrom(
          [0xc0, 0x80],
          [0xe0, 0x9f, 0xbf],
          [0xed, 0xa0, 0x80],
          [0xf4, 0x90, 0x80, 0x80],
        ),
      ),
      { maxLength: 40 },
    )
    .map((chunks) => new Uint8Array(chunks.flat()));

  it("encodes as TextEncoder does, lone surrogates included", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(utf8Encode(text)).toEqual(encoder.encode(text));
      }),
      { numRuns: 300 },
    );
    expect(hex(utf8Encode("\ud83d\ude00"))).toBe("f09f9880");
    expect(hex(utf8Encode("a\ud800b\udc00"))).toBe("61efbfbd62efbfbd");
    expect(hex(utf8Encode("\udbff\udfff"))).toBe("f48fbfbf");
  });

  it("decodes as TextDecoder does, each invalid sequence becoming U+FFFD", () => {
    fc.assert(
      fc.property(fc.oneof(nearlyUtf8, fc.uint8Array({ maxLength: 300 })), (bytes) => {
        expect(utf8Decode(bytes)).toBe(decoder.decode(bytes));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(anyText, (text) => {
        expect(utf8Decode(encoder.encode(text))).toBe(decoder.decode(encoder.encode(text)));
      }),
    );
    // Overlong, encoded surrogate, beyond U+10FFFF, cut short: as the WHATWG decoder splits them.
    const invalid = new Uint8Array([
      0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82,
    ]);
    expect(utf8Decode(invalid)).toBe("\ufffd".repeat(10));
  });

  it("decodes strictly as a fatal TextDecoder does: null where it throws", () => {
    fc.assert(
      fc.property(fc.oneof(nearlyUtf8, fc.uint8Array({ maxLength: 100 })), (bytes) => {
        let expected: string | null;
        try {
          expected = fatal.decode(bytes);
        } catch {
          expected = null;
        }
        expect(utf8DecodeStrict(bytes)).toBe(expected);
      }),
      { numRuns: 500 },
    );
    expect(utf8DecodeStrict(new Uint8Array([0x61, 0xe2, 0x82, 0xac]))).toBe("a€");
    expect(utf8DecodeStrict(new Uint8Array([0x61, 0xe2, 0x82]))).toBeNull();
  });
});

/** The fixture's results on Node, as JSON reads them back; timings left out. */
function nodeResults(): Array<[string, unknown]> {
  const results: Array<[string, unknown]> = [];
  runCryptoCases((name, value) => results.push([name, JSON.parse(JSON.stringify(value))]));
  return results;
}

const isTiming = ([name]: [string, unknown]) => name.endsWith(" ms");

async function fixtureBundle(): Promise<string> {
  return (await lowerForEspruino("test/fixtures/crypto-entry.ts")).code;
}

describe("the crypto fixture bundled for Espruino", () => {
  it("passes the compatibility gate with no shim provided", async () => {
    expect(checkBundle(await fixtureBundle(), { provided: [] })).toEqual([]);
  }, 60_000);

  it("gives Node's results in a vm context holding only Espruino's built-ins, without shims", async () => {
    const results: Array<[string, unknown]> = [];
    const context = createEspruinoLikeContext({
      cryptoCasesOut: (name: string, value: unknown) =>
        results.push([name, JSON.parse(JSON.stringify(value))]),
    });
    vm.runInContext(await fixtureBundle(), context);
    const expected = nodeResults();
    expect(expected.length).toBeGreaterThan(70);
    expect(results.filter((r) => !isTiming(r))).toEqual(expected);
  }, 60_000);
});

/** An Espruino interpreter (the Linux target of the firmware), where the environment names one. */
const espruinoBin = process.env.ESPRUINO_BIN;

describe.skipIf(!espruinoBin)(
  espruinoBin
    ? "the crypto fixture on the real Espruino interpreter"
    : "the crypto fixture on the real Espruino interpreter: SKIPPED, ESPRUINO_BIN is not set",
  () => {
    it("gives Node's results, run from Storage, and reports how long SHA-256 takes", async () => {
      const prelude = existsSync("dist/prelude.js")
        ? readFileSync("dist/prelude.js", "utf8")
        : (await lowerForEspruino("runtime/shims/prelude.ts")).code;
      const hook =
        'var cryptoCasesOut = function (name, value) { console.log("RESULT " + JSON.stringify([name, value])); };';
      const run = await runFromStorage({
        bin: espruinoBin as string,
        code: `${hook}\n${prelude}\n${await fixtureBundle()}\n`,
        name: "crypto.js",
        epilogue: 'console.log("JSVARS " + process.memory().usage); quit();',
        timeoutMs: 120_000,
      });
      const results: Array<[string, unknown]> = [];
      for (const line of run.output.replace(/\r/g, "").split("\n")) {
        const match = line.match(/RESULT (.*)$/);
        if (match) results.push(JSON.parse(match[1]));
      }
      const timings = results.filter(isTiming);
      console.log(
        `Espruino (code in Storage): ${timings.map(([n, v]) => `${n} ${Math.round(v as number)}`).join(", ")}; ${run.output.match(/JSVARS \d+/)?.[0]}`,
      );
      expect(
        results.filter((r) => !isTiming(r)),
        run.output.slice(-3000),
      ).toEqual(nodeResults());
      expect(timings.map(([name]) => name)).toEqual([
        "sha256 1KB ms",
        "jwt sign ms",
        "jwt verify ms",
      ]);
    }, 180_000);
  },
);
