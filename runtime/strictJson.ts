/**
 * Strict JSON: RFC 8259 JSON and nothing more, with the same verdict on Node and on Espruino
 * 2v29, for text a device must not read leniently (a token's header and claims).
 *
 * Guarantees: `jsonMemberCount` accepts exactly one RFC 8259 JSON value, at most `MAX_DEPTH`
 * levels deep, with no lone surrogate escape and no integer beyond 18 digits, without allocating
 * or recursing; `parseObject` returns an object only for strict UTF-8 holding such a value, an
 * object, whose member names are unique (RFC 7519 §4 allows refusing duplicates), and null for
 * anything else, never throwing.
 *
 * Why a scanner before `JSON.parse`: Espruino's `JSON.parse` (2v29, measured) takes trailing
 * commas, single quotes, hex and leading-zero numbers, `\x` escapes and trailing text, keeps the
 * *first* of duplicate names, wraps integers beyond 2^63 and throws on a lone surrogate escape. So
 * the text is checked against the grammar before it is parsed.
 */
import { utf8DecodeStrict } from "./utf8.js";

/** Nesting is tracked in the bits of one integer: one bit per level, object or array. */
export const MAX_DEPTH = 30;
/** Longer integers wrap on Espruino (beyond 2^63); none is exact on Node beyond 2^53 anyway. */
const MAX_INTEGER_DIGITS = 18;

/** A JSON object from UTF-8 bytes, or null: strict UTF-8, strict grammar, unique names. */
export function parseObject(bytes: Uint8Array): Record<string, unknown> | null {
  const text = utf8DecodeStrict(bytes);
  if (text === null) return null;
  const members = jsonMemberCount(text);
  if (members < 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  // Fewer members parsed than written means a name was repeated.
  return countParsedMembers(value, 0) === members ? (value as Record<string, unknown>) : null;
}

function countParsedMembers(value: unknown, depth: number): number {
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count += countParsedMembers(value[i], depth + 1);
    return count;
  }
  const keys = Object.keys(value);
  count = keys.length;
  for (let i = 0; i < keys.length; i++) {
    count += countParsedMembers((value as Record<string, unknown>)[keys[i]], depth + 1);
  }
  return count;
}

const EXPECT_VALUE = 0;
const EXPECT_NAME = 1;
const AFTER_VALUE = 2;

/**
 * The number of object members in `text` when it is exactly one RFC 8259 JSON value within the
 * limits above, else -1. Exported for its tests: on Node, JSON.parse refuses what this refuses
 * anyway, so only this function's own tests can show that it would on Espruino.
 *
 * No allocation and no recursion: the nesting is the bit pattern `objects` (bit d set when level
 * d is an object) and `depth`.
 */
export function jsonMemberCount(text: string): number {
  const n = text.length;
  let state = EXPECT_VALUE;
  let emptyAllowed = false;
  let depth = 0;
  let objects = 0;
  let members = 0;
  let i = 0;
  while (true) {
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
    if (i >= n) break;
    if (state === AFTER_VALUE) {
      if (depth === 0) return -1;
      const inObject = (objects >> (depth - 1)) & 1;
      if (c === 0x2c) {
        state = inObject ? EXPECT_NAME : EXPECT_VALUE;
        emptyAllowed = false;
      } else if (c === (inObject ? 0x7d : 0x5d)) {
        depth--;
      } else {
        return -1;
      }
      i++;
      continue;
    }
    if (state === EXPECT_NAME) {
      if (c === 0x7d && emptyAllowed) {
        depth--;
        state = AFTER_VALUE;
        i++;
        continue;
      }
      if (c !== 0x22) return -1;
      i = scanString(text, i);
      if (i < 0) return -1;
      c = text.charCodeAt(i);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
      if (c !== 0x3a) return -1;
      i++;
      members++;
      state = EXPECT_VALUE;
      emptyAllowed = false;
      continue;
    }
    if (c === 0x5d && emptyAllowed) {
      depth--;
      state = AFTER_VALUE;
      i++;
      continue;
    }
    emptyAllowed = false;
    if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_DEPTH) return -1;
      if (c === 0x7b) objects |= 1 << depth;
      else objects &= ~(1 << depth);
      depth++;
      state = c === 0x7b ? EXPECT_NAME : EXPECT_VALUE;
      emptyAllowed = true;
      i++;
      continue;
    }
    if (c === 0x22) i = scanString(text, i);
    else if (c === 0x74) i = text.substr(i, 4) === "true" ? i + 4 : -1;
    else if (c === 0x66) i = text.substr(i, 5) === "false" ? i + 5 : -1;
    else if (c === 0x6e) i = text.substr(i, 4) === "null" ? i + 4 : -1;
    else i = scanNumber(text, i);
    if (i < 0) return -1;
    state = AFTER_VALUE;
  }
  return state === AFTER_VALUE && depth === 0 ? members : -1;
}

/** The index after the string starting at `i` (a quote), or -1. */
function scanString(text: string, i: number): number {
  const n = text.length;
  i++;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) {
      i++;
      continue;
    }
    const e = text.charCodeAt(i + 1);
    if (e !== 0x75) {
      // " \ / b f n r t
      if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e)) {
        if (e !== 0x72 && e !== 0x74) return -1;
      }
      i += 2;
      continue;
    }
    const unit = hex4(text, i + 2);
    if (unit < 0 || (unit >= 0xdc00 && unit < 0xe000)) return -1;
    if (unit >= 0xd800 && unit < 0xdc00) {
      // A high surrogate must be followed by an escaped low one: Espruino throws on a lone one.
      const low = text.charCodeAt(i + 6) === 0x5c && text.charCodeAt(i + 7) === 0x75;
      const next = low ? hex4(text, i + 8) : -1;
      if (next < 0xdc00 || next >= 0xe000) return -1;
      i += 6;
    }
    i += 6;
  }
  return -1;
}

function hex4(text: string, i: number): number {
  let value = 0;
  for (let k = 0; k < 4; k++) {
    const c = text.charCodeAt(i + k);
    let digit = -1;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x37;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The index after the number starting at `i`, or -1. */
function scanNumber(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x2d) i++;
  const start = i;
  if (text.charCodeAt(i) === 0x30) {
    i++;
  } else {
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const integerDigits = i - start;
  let plain = true;
  if (text.charCodeAt(i) === 0x2e) {
    if (!isDigit(text.charCodeAt(++i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
    plain = false;
  }
  const c = text.charCodeAt(i);
  if (c === 0x65 || c === 0x45) {
    const sign = text.charCodeAt(++i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
    plain = false;
  }
  return plain && integerDigits > MAX_INTEGER_DIGITS ? -1 : i;
}
