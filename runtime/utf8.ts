/**
 * UTF-8 without TextEncoder/TextDecoder, which Espruino lacks.
 *
 * Guarantees: `utf8Encode` gives TextEncoder's bytes, a lone surrogate becoming U+FFFD;
 * `utf8Decode` gives TextDecoder's string, each maximal invalid subpart becoming one U+FFFD (the
 * WHATWG algorithm), and `utf8DecodeStrict` gives null where a fatal TextDecoder would throw,
 * which is what JOSE parsers use for headers and claims.
 *
 * Why two paths: on Node a string is UTF-16, so a character beyond U+FFFF is a surrogate pair
 * and `String.fromCharCode` builds any code unit. Espruino (2v29, measured) keeps unicode strings
 * as UTF-8: `charCodeAt` returns whole code points (0x1F600 for an emoji of length 1), a lone
 * surrogate cannot exist (it throws), and `String.fromCharCode` keeps only the low byte. There the
 * decoder builds a string of UTF-8 bytes and `E.asUTF8` turns it into a unicode string; a build
 * without unicode support has no `E.asUTF8` and gets the byte string, its only kind of string.
 * (It appends only byte strings: there `a += b`, `repeat` and template literals turn a unicode
 * string into its bytes, while `a = a + b` and `split` keep it, all measured on 2v29.)
 */

/**
 * Whether `String.fromCharCode` makes UTF-16 code units (Node) or bytes (Espruino). Asked through
 * a function because the bundler's minifier folds `String.fromCharCode(0x20ac).charCodeAt(0)` to
 * the answer on the build machine, which is Node's.
 */
function keepsCodeUnit(unit: number): boolean {
  return String.fromCharCode(unit).charCodeAt(0) === unit;
}
const WIDE = keepsCodeUnit(0x20ac);

const espruino = (globalThis as { E?: { asUTF8?: (bytes: string) => string } }).E;
const asUtf8 = !WIDE && espruino && typeof espruino.asUTF8 === "function" ? espruino.asUTF8 : null;

/** The bytes of `s` in UTF-8; counted first, so the result is exactly as long as needed. */
export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c < 0xdc00 && isLowSurrogate(s.charCodeAt(i + 1))) {
      size += 4;
      i++;
    } else if (c < 0x10000) size += 3;
    else size += 4;
  }
  const out = new Uint8Array(size);
  let j = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
      continue;
    }
    if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const next = s.charCodeAt(i + 1);
      if (c < 0xdc00 && isLowSurrogate(next)) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x10000) {
      out[j++] = 0xe0 | (c >> 12);
    } else {
      // Only Espruino gets here with a single character: its strings hold whole code points.
      out[j++] = 0xf0 | (c >> 18);
      out[j++] = 0x80 | ((c >> 12) & 0x3f);
    }
    out[j++] = 0x80 | ((c >> 6) & 0x3f);
    out[j++] = 0x80 | (c & 0x3f);
  }
  return out;
}

/** The text of `b`, as TextDecoder gives it: invalid sequences become U+FFFD. */
export function utf8Decode(b: Uint8Array): string {
  return decode(b, false) as string;
}

/** The text of `b`, or null when `b` is not well-formed UTF-8 (a fatal TextDecoder's verdict). */
export function utf8DecodeStrict(b: Uint8Array): string | null {
  return decode(b, true);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c < 0xe000;
}

/** Appends one code point to `text` in the representation the interpreter's strings use. */
function append(text: string, c: number): string {
  if (c < 0x80) return text + String.fromCharCode(c);
  if (WIDE) {
    if (c < 0x10000) return text + String.fromCharCode(c);
    c -= 0x10000;
    return text + String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
  }
  if (c < 0x800) return text + String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
  const tail = String.fromCharCode(0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  if (c < 0x10000) return text + String.fromCharCode(0xe0 | (c >> 12)) + tail;
  return text + String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f)) + tail;
}

/**
 * The WHATWG UTF-8 decoder. `lower`/`upper` bound the next continuation byte, which is how it
 * refuses overlong forms, encoded surrogates and code points beyond U+10FFFF; a byte outside the
 * bounds ends the sequence as one U+FFFD and is then read again as the start of the next.
 */
function decode(b: Uint8Array, fatal: boolean): string | null {
  let text = "";
  let needed = 0;
  let seen = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const byte = b[i];
    if (needed === 0) {
      if (byte < 0x80) {
        text += String.fromCharCode(byte);
        continue;
      }
      if (byte >= 0xc2 && byte <= 0xdf) {
        needed = 1;
        cp = byte & 0x1f;
      } else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte === 0xe0) lower = 0xa0;
        if (byte === 0xed) upper = 0x9f;
        needed = 2;
        cp = byte & 0x0f;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte === 0xf0) lower = 0x90;
        if (byte === 0xf4) upper = 0x8f;
        needed = 3;
        cp = byte & 0x07;
      } else {
        if (fatal) return null;
        text = append(text, 0xfffd);
      }
      continue;
    }
    if (byte < lower || byte > upper) {
      if (fatal) return null;
      needed = seen = cp = 0;
      lower = 0x80;
      upper = 0xbf;
      text = append(text, 0xfffd);
      i--;
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (byte & 0x3f);
    if (++seen === needed) {
      text = append(text, cp);
      needed = seen = cp = 0;
    }
  }
  if (needed !== 0) {
    if (fatal) return null;
    text = append(text, 0xfffd);
  }
  return asUtf8 ? asUtf8(text) : text;
}

/**
 * Bytes `text` takes in UTF-8, without encoding it: what a `Content-Length` must say. Node's
 * strings hold UTF-16 (a surrogate pair is one 4-byte character); Espruino's unicode strings give
 * the code point itself, which may be above 0xFFFF.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c > 0xffff) bytes += 4;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
