/**
 * HMAC-SHA-256 (RFC 2104) and a constant-time comparison, for signing and checking tokens.
 *
 * Guarantees: the same MAC as `node:crypto`'s `createHmac("sha256", key)`, strings taken as
 * UTF-8, keys longer than the 64-byte block hashed first. The hash is a parameter so a board whose
 * firmware has a native SHA-256 (`require("crypto").SHA256`, wrapped to return a Uint8Array) can
 * pass it in place of the pure one. `timingSafeEqual` reads every byte whatever it finds, so the
 * time it takes says nothing about where two MACs of the same length first differ.
 */
import { sha256 } from "./sha256.js";
import { utf8Encode } from "./utf8.js";

/** A one-shot SHA-256: the whole message in, its 32-byte digest out. */
export type HashFunction = (data: Uint8Array) => Uint8Array;

const BLOCK = 64;

export function hmacSha256(
  key: Uint8Array | string,
  data: Uint8Array | string,
  hash: HashFunction = sha256,
): Uint8Array {
  let k = typeof key === "string" ? utf8Encode(key) : key;
  if (k.length > BLOCK) k = hash(k);
  const message = typeof data === "string" ? utf8Encode(data) : data;
  // A one-shot hash needs the padded key and the message in one buffer.
  const inner = new Uint8Array(BLOCK + message.length);
  for (let i = 0; i < BLOCK; i++) inner[i] = (i < k.length ? k[i] : 0) ^ 0x36;
  inner.set(message, BLOCK);
  const innerDigest = hash(inner);
  const outer = new Uint8Array(BLOCK + innerDigest.length);
  for (let i = 0; i < BLOCK; i++) outer[i] = (i < k.length ? k[i] : 0) ^ 0x5c;
  outer.set(innerDigest, BLOCK);
  return hash(outer);
}

/** Equal contents, compared in time that depends only on the length (lengths are public). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}
