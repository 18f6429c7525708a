/**
 * SHA-256 (FIPS 180-4) in plain 32-bit integer code, for boards whose firmware has no crypto
 * library (the RP2040 build has none).
 *
 * Guarantees: the same digest as `node:crypto` for any bytes, strings hashed as UTF-8. Every sum
 * is taken back to 32 bits with `| 0` (the interpreter has no Math.imul and no BigInt, and none is
 * needed: SHA-256 only adds, shifts and masks). Memory: the message schedule, the state and the
 * padded tail live in three small typed arrays reused by every call, full blocks are read where
 * they lie in the input, so a call allocates only its 32-byte result (plus the UTF-8 bytes of a
 * string). Not reentrant, which a single-threaded interpreter without callbacks here allows.
 *
 * `sha256Begin`/`sha256Text`/`sha256End` hash a message that arrives in pieces (a firmware image
 * read from flash chunk by chunk, yielding between chunks): the stream keeps its own state and
 * partial block, so other hashing (tokens) may run between its pieces; its text is taken byte
 * by byte (each character's low 8 bits, as Storage holds binary data), not as UTF-8.
 *
 * The round loop is written for an interpreter that re-reads the source on every step: rotations
 * inline, Ch as `g ^ (e & (f ^ g))` and Maj as `(a & b) | (c & (a | b))`, one fewer operation each.
 */
import { utf8Encode } from "./utf8.js";

/** Round constants, kept as text so the module holds no 64-element array literal. */
const K_HEX =
  "428a2f9871374491b5c0fbcfe9b5dba53956c25b59f111f1923f82a4ab1c5ed5d807aa9812835b01243185be550c7dc3" +
  "72be5d7480deb1fe9bdc06a7c19bf174e49b69c1efbe47860fc19dc6240ca1cc2de92c6f4a7484aa5cb0a9dc76f988da" +
  "983e5152a831c66db00327c8bf597fc7c6e00bf3d5a7914706ca63511429296727b70a852e1b21384d2c6dfc53380d13" +
  "650a7354766a0abb81c2c92e92722c85a2bfe8a1a81a664bc24b8b70c76c51a3d192e819d6990624f40e3585106aa070" +
  "19a4c1161e376c082748774c34b0bcb5391c0cb34ed8aa4a5b9cca4f682e6ff3748f82ee78a5636f84c878148cc70208" +
  "90befffaa4506cebbef9a3f7c67178f2";

const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = parseInt(K_HEX.substr(i * 8, 8), 16);

const W = new Int32Array(64);
const H = new Int32Array(8);
/** The last one or two blocks: the message's tail, the 0x80 byte and the bit length. */
const TAIL = new Uint8Array(128);

export function sha256(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? utf8Encode(data) : data;
  const n = bytes.length;
  H[0] = 0x6a09e667;
  H[1] = 0xbb67ae85;
  H[2] = 0x3c6ef372;
  H[3] = 0xa54ff53a;
  H[4] = 0x510e527f;
  H[5] = 0x9b05688c;
  H[6] = 0x1f83d9ab;
  H[7] = 0x5be0cd19;
  const whole = n - (n % 64);
  for (let offset = 0; offset < whole; offset += 64) compress(H, bytes, offset);

  TAIL.fill(0);
  const rest = n - whole;
  for (let i = 0; i < rest; i++) TAIL[i] = bytes[whole + i];
  TAIL[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  // The length in bits, a 64-bit big-endian number: n * 8 split without overflowing 32 bits.
  const high = Math.floor(n / 0x20000000);
  const low = (n * 8) % 0x100000000;
  TAIL[end - 8] = high >>> 24;
  TAIL[end - 7] = high >>> 16;
  TAIL[end - 6] = high >>> 8;
  TAIL[end - 5] = high;
  TAIL[end - 4] = low >>> 24;
  TAIL[end - 3] = low >>> 16;
  TAIL[end - 2] = low >>> 8;
  TAIL[end - 1] = low;
  compress(H, TAIL, 0);
  if (end === 128) compress(H, TAIL, 64);
  return digestOf(H);
}

function digestOf(state: Int32Array): Uint8Array {
  const digest = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    digest[i * 4] = v >>> 24;
    digest[i * 4 + 1] = v >>> 16;
    digest[i * 4 + 2] = v >>> 8;
    digest[i * 4 + 3] = v;
  }
  return digest;
}

/** A message hashed in pieces: its state, its partial block and its length so far. */
export interface Sha256Stream {
  state: Int32Array;
  block: Uint8Array;
  length: number;
}

export function sha256Begin(): Sha256Stream {
  const state = new Int32Array(8);
  state.set([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  return { state, block: new Uint8Array(64), length: 0 };
}

/** Adds `text` (one byte per character) to the stream. */
export function sha256Text(stream: Sha256Stream, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const fill = stream.length % 64;
    stream.block[fill] = text.charCodeAt(i);
    stream.length++;
    if (fill === 63) compress(stream.state, stream.block, 0);
  }
}

/** The digest of everything added; the stream is done with. */
export function sha256End(stream: Sha256Stream): Uint8Array {
  const n = stream.length;
  const fill = n % 64;
  const block = stream.block;
  block.fill(0, fill);
  block[fill] = 0x80;
  if (fill >= 56) {
    compress(stream.state, block, 0);
    block.fill(0);
  }
  const high = Math.floor(n / 0x20000000);
  const low = (n * 8) % 0x100000000;
  block[56] = high >>> 24;
  block[57] = high >>> 16;
  block[58] = high >>> 8;
  block[59] = high;
  block[60] = low >>> 24;
  block[61] = low >>> 16;
  block[62] = low >>> 8;
  block[63] = low;
  compress(stream.state, block, 0);
  return digestOf(stream.state);
}

/** One 64-byte block at `offset` of `block` into `H` (the one-shot's state or a stream's). */
function compress(H: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const o = offset + i * 4;
    W[i] = (block[o] << 24) | (block[o + 1] << 16) | (block[o + 2] << 8) | block[o + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15];
    const y = W[i - 2];
    // Storing into the Int32Array wraps the sum to 32 bits.
    W[i] =
      (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
      (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
      W[i - 7] +
      W[i - 16];
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  let f = H[5];
  let g = H[6];
  let h = H[7];
  for (let i = 0; i < 64; i++) {
    const t1 =
      (h +
        (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        (g ^ (e & (f ^ g))) +
        K[i] +
        W[i]) |
      0;
    const t2 =
      ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) | (c & (a | b)))) |
      0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] += a;
  H[1] += b;
  H[2] += c;
  H[3] += d;
  H[4] += e;
  H[5] += f;
  H[6] += g;
  H[7] += h;
}
