/**
 * base64url (RFC 4648 §5) without padding, as JOSE (RFC 7515 §2) spells it, in plain code so it
 * behaves the same on Node and Espruino.
 *
 * Guarantees: `base64urlEncode` matches `Buffer.from(x).toString("base64url")` (strings are
 * UTF-8). `base64urlDecode` returns null for any character outside the 64-character alphabet
 * (so padding, whitespace, `+` and `/` too) and for a length that no encoding has
 * (`length % 4 === 1`), and never throws. Unlike Buffer, atob and jose, it also returns null
 * when the unused low bits of the last character are not zero: only the canonical spelling of
 * some bytes decodes, so a signed token has exactly one text and a token that decodes to the same
 * bytes but is spelled otherwise is refused (RFC 4648 §3.5 allows encoders no choice there).
 */
import { utf8Encode } from "./utf8.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Value of each ASCII character in the alphabet, -1 for the rest: one lookup per character. */
const VALUES = new Int8Array(128);
VALUES.fill(-1);
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function base64urlEncode(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? utf8Encode(data) : data;
  const n = bytes.length;
  const whole = n - (n % 3);
  let out = "";
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out +=
      ALPHABET.charAt(v >> 18) +
      ALPHABET.charAt((v >> 12) & 63) +
      ALPHABET.charAt((v >> 6) & 63) +
      ALPHABET.charAt(v & 63);
  }
  if (n - whole === 1) {
    const v = bytes[whole];
    out += ALPHABET.charAt(v >> 2) + ALPHABET.charAt((v & 3) << 4);
  } else if (n - whole === 2) {
    const v = (bytes[whole] << 8) | bytes[whole + 1];
    out +=
      ALPHABET.charAt(v >> 10) + ALPHABET.charAt((v >> 4) & 63) + ALPHABET.charAt((v & 15) << 2);
  }
  return out;
}

export function base64urlDecode(s: string): Uint8Array | null {
  if (typeof s !== "string") return null;
  const n = s.length;
  if (n % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let j = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v =
      (sextet(s, i) << 18) | (sextet(s, i + 1) << 12) | (sextet(s, i + 2) << 6) | sextet(s, i + 3);
    // A -1 sextet sets every high bit, so one sign test covers all four characters.
    if (v < 0) return null;
    out[j++] = v >> 16;
    out[j++] = v >> 8;
    out[j++] = v;
  }
  if (i < n) {
    const v =
      (sextet(s, i) << 18) | (sextet(s, i + 1) << 12) | (n - i === 3 ? sextet(s, i + 2) << 6 : 0);
    // Spare bits: 4 under two characters, 2 under three; any set means a non-canonical spelling.
    if (v < 0 || (v & (n - i === 3 ? 0xff : 0xffff)) !== 0) return null;
    out[j++] = v >> 16;
    if (n - i === 3) out[j] = v >> 8;
  }
  return out;
}

/** A character's value, or -1 outside the alphabet (Espruino's charCodeAt can exceed 0xFFFF). */
function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? VALUES[c] : -1;
}
