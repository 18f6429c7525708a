/**
 * JSON Web Tokens (RFC 7519) signed with HS256 only, the one algorithm a board can check with
 * the SHA-256 it has.
 *
 * Guarantees of `verifyJwt`: it never throws, whatever it is given, and it accepts a token only
 * when the header's `alg` is exactly "HS256" (so `none`, other algorithms and a missing `alg` are
 * refused before any signature is looked at: the key is never used with an algorithm the token
 * chose), the HMAC matches in constant time, the claims are well-typed and the time is inside
 * [nbf, exp) widened by the skew. Its verdicts are jose's `jwtVerify` with `algorithms: ["HS256"]`
 * and `requiredClaims: ["sub", "exp"]`, except where it is stricter on purpose:
 *
 * - segments must be plain base64url (jose, through atob, also takes padding and whitespace);
 * - a `crit` header is refused (no extension is understood; jose knows `b64`);
 * - JSON must be RFC 8259 JSON with unique member names (RFC 7519 §4 allows refusing duplicates),
 *   at most 30 levels deep, no lone surrogate escapes, no integer beyond 18 digits;
 * - `sub` must be a string; `exp`, `nbf`, `iat` finite numbers; `tenant`, `ns` strings and
 *   `roles` a string array when present; a key must not be empty; a token longer than
 *   `maxLength` (8 KB unless told) is refused unread;
 * - with `maxLifetimeSec`, `iat` is required, may not be after now widened by the skew, and
 *   `exp - iat` may not exceed it: a leaked token cannot have been minted to live for years
 *   (jose's `maxTokenAge` bounds `now - iat` instead, which a future `iat` defeats).
 *
 * The JSON rules are what make Node and Espruino agree (Espruino's `JSON.parse` is lenient where
 * Node's is not): `runtime/strictJson.ts` checks the text against the grammar before it is parsed.
 *
 * `signJwt` writes the header `{"alg":"HS256","typ":"JWT"}` and the claims as ASCII JSON
 * (characters beyond U+007E as `\uXXXX`, uppercase hex, which is what Espruino's JSON.stringify
 * writes), so Node and Espruino produce the same token for the same claims as long as numbers are
 * integers (Espruino prints about 11 significant digits) and no key looks like an array index.
 */
import { base64urlDecode, base64urlEncode } from "./base64url.js";
import { type HashFunction, hmacSha256, timingSafeEqual } from "./hmac.js";
import { sha256 } from "./sha256.js";
import { jsonMemberCount, parseObject } from "./strictJson.js";

/**
 * The claims this firmware's tokens carry; times in seconds (RFC 7519 NumericDate). `signJwt`
 * and `verifyJwt` require `sub` and `exp`; the others are type-checked when present, so a token
 * from another issuer may lack them, and callers check `tenant`, `ns` and `roles` themselves.
 */
export interface JwtClaims {
  sub: string;
  tenant: string;
  ns: string;
  roles: string[];
  iat: number;
  nbf: number;
  exp: number;
  [extra: string]: unknown;
}

export type JwtError =
  | "malformed"
  | "unsupported-alg"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "missing-claim"
  | "too-long-lived";

export interface VerifyOptions {
  /** The current time in milliseconds. Not a finite number: every token is refused. */
  nowMs: number;
  /** Clock difference tolerated on both `exp` and `nbf`; 30 s unless told. */
  skewMs?: number;
  /** Longest token read, in characters; 8192 unless told. Bounds the memory a token can take. */
  maxLength?: number;
  /** Longest lifetime (`exp - iat`) accepted, in seconds; unbounded, `iat` optional, unless told. */
  maxLifetimeSec?: number;
}

export type JwtVerdict =
  | { ok: true; claims: JwtClaims }
  | { ok: false; error: JwtError; detail: string };

interface Problem {
  error: JwtError;
  detail: string;
}

const HEADER = base64urlEncode('{"alg":"HS256","typ":"JWT"}');
const DEFAULT_SKEW_MS = 30_000;
const DEFAULT_MAX_LENGTH = 8192;

/**
 * A token for `claims`. Throws when the claims are not what `verifyJwt` accepts (a missing `sub`,
 * a non-finite time, a lone surrogate...) or the key is empty: signing such a token is a bug in
 * the caller.
 */
export function signJwt(
  claims: JwtClaims,
  key: Uint8Array | string,
  hash: HashFunction = sha256,
): string {
  const problem = checkClaims(claims);
  if (problem) throw new Error(`signJwt: ${problem.detail}`);
  if (!(key && key.length > 0)) throw new Error("signJwt: empty key");
  const json = asciiJson(JSON.stringify(claims));
  // What the verifier's grammar refuses (a lone surrogate, an integer beyond 18 digits, deep
  // nesting) must not be signed either.
  if (jsonMemberCount(json) < 0) throw new Error("signJwt: claims outside the JSON accepted");
  const input = `${HEADER}.${base64urlEncode(json)}`;
  return `${input}.${base64urlEncode(hmacSha256(key, input, hash))}`;
}

export function verifyJwt(
  token: string,
  key: Uint8Array | string,
  options: VerifyOptions,
  hash: HashFunction = sha256,
): JwtVerdict {
  try {
    return verify(token, key, options, hash);
  } catch (error) {
    // Nothing above is expected to throw; a failing native hash or a bug must still refuse.
    return refuse("malformed", `verification failed: ${String(error)}`);
  }
}

/** The claims of a token, unchecked: for reading `exp` to plan a refresh, never for trust. */
export function decodeJwtUnverified(token: string): JwtClaims | null {
  try {
    if (typeof token !== "string" || token.length > DEFAULT_MAX_LENGTH) return null;
    const segments = split(token);
    const bytes = segments ? base64urlDecode(segments[1]) : null;
    const claims = bytes ? parseObject(bytes) : null;
    return claims && !checkClaims(claims) ? (claims as JwtClaims) : null;
  } catch {
    return null;
  }
}

function verify(
  token: string,
  key: Uint8Array | string,
  options: VerifyOptions,
  hash: HashFunction,
): JwtVerdict {
  if (typeof token !== "string") return refuse("malformed", "the token is not a string");
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (token.length > maxLength) {
    return refuse("malformed", `the token is longer than ${maxLength} characters`);
  }
  const segments = split(token);
  if (!segments) return refuse("malformed", "the token is not three dot-separated segments");
  const headerBytes = base64urlDecode(segments[0]);
  const payloadBytes = base64urlDecode(segments[1]);
  const signature = base64urlDecode(segments[2]);
  if (!headerBytes || !payloadBytes || !signature) {
    return refuse("malformed", "a segment is not base64url");
  }
  const header = parseObject(headerBytes);
  if (!header) return refuse("malformed", "the header is not a JSON object");
  if (header.crit !== undefined) {
    return refuse("unsupported-alg", "critical header extensions are not supported");
  }
  if (header.alg !== "HS256") {
    const alg = typeof header.alg === "string" ? header.alg.slice(0, 16) : typeof header.alg;
    return refuse("unsupported-alg", `alg ${alg} is not HS256`);
  }
  if (!(key && key.length > 0)) return refuse("bad-signature", "no key, or an empty one");
  // The segments are base64url by now, so this is the token's own ASCII text.
  const signed = `${segments[0]}.${segments[1]}`;
  if (!timingSafeEqual(hmacSha256(key, signed, hash), signature)) {
    return refuse("bad-signature", "the signature does not match");
  }
  const claims = parseObject(payloadBytes);
  if (!claims) return refuse("malformed", "the payload is not a JSON object");
  const problem = checkClaims(claims);
  if (problem) return refuse(problem.error, problem.detail);

  const skewMs = options.skewMs ?? DEFAULT_SKEW_MS;
  const now = options.nowMs;
  // Written as "not inside the window", so a NaN clock or skew refuses instead of accepting.
  if (claims.nbf !== undefined && !(now + skewMs >= (claims.nbf as number) * 1000)) {
    return refuse("not-yet-valid", `nbf ${claims.nbf} is after now ${now} ms + skew`);
  }
  if (!(now - skewMs < (claims.exp as number) * 1000)) {
    return refuse("expired", `exp ${claims.exp} is not after now ${now} ms - skew`);
  }
  const maxLifetime = options.maxLifetimeSec;
  if (maxLifetime !== undefined) {
    const iat = claims.iat as number | undefined;
    if (iat === undefined) return refuse("missing-claim", "no iat: the lifetime is unknown");
    if (!(now + skewMs >= iat * 1000)) {
      return refuse("not-yet-valid", `iat ${iat} is after now ${now} ms + skew`);
    }
    if (!((claims.exp as number) - iat <= maxLifetime)) {
      return refuse("too-long-lived", `exp - iat is more than ${maxLifetime} s`);
    }
  }
  return { ok: true, claims: claims as JwtClaims };
}

function refuse(error: JwtError, detail: string): JwtVerdict {
  return { ok: false, error, detail };
}

/**
 * The three segments, or null. `split`, not indexOf and slice: on Espruino 2v29 `indexOf` counts
 * characters but `slice` counts bytes of a unicode string (measured), while `split` is right.
 */
function split(token: string): string[] | null {
  const segments = token.split(".");
  return segments.length === 3 ? segments : null;
}

function isFiniteNumber(value: unknown): boolean {
  // `x - x` is 0 only for finite numbers; Number.isFinite is missing on Espruino.
  return typeof value === "number" && value - value === 0;
}

/** What is wrong with the claims' types, or null. */
function checkClaims(claims: Record<string, unknown>): Problem | null {
  if (typeof claims.sub !== "string") return { error: "missing-claim", detail: "no string sub" };
  if (!isFiniteNumber(claims.exp)) return { error: "missing-claim", detail: "no numeric exp" };
  if (claims.nbf !== undefined && !isFiniteNumber(claims.nbf)) {
    return { error: "missing-claim", detail: "nbf is not a number" };
  }
  if (claims.iat !== undefined && !isFiniteNumber(claims.iat)) {
    return { error: "missing-claim", detail: "iat is not a number" };
  }
  if (claims.tenant !== undefined && typeof claims.tenant !== "string") {
    return { error: "malformed", detail: "tenant is not a string" };
  }
  if (claims.ns !== undefined && typeof claims.ns !== "string") {
    return { error: "malformed", detail: "ns is not a string" };
  }
  const roles = claims.roles;
  if (roles !== undefined) {
    if (!Array.isArray(roles)) return { error: "malformed", detail: "roles is not an array" };
    for (let i = 0; i < roles.length; i++) {
      if (typeof roles[i] !== "string") {
        return { error: "malformed", detail: "roles holds a non-string" };
      }
    }
  }
  return null;
}

/**
 * JSON.stringify's output made ASCII, in the spelling Espruino's JSON.stringify uses: every
 * character beyond U+007E and every `\u` escape as `\uXXXX` with uppercase hex.
 */
function asciiJson(json: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x5c) {
      if (json.charCodeAt(i + 1) === 0x75) {
        out += json.slice(from, i + 2) + json.substr(i + 2, 4).toUpperCase();
        i += 5;
        from = i + 1;
      } else {
        i++;
      }
    } else if (c >= 0x7f) {
      out += json.slice(from, i);
      if (c > 0xffff) {
        // One Espruino character beyond the BMP: JSON spells it as a surrogate pair.
        out += escapeUnit(0xd800 + ((c - 0x10000) >> 10)) + escapeUnit(0xdc00 + (c & 0x3ff));
      } else {
        out += escapeUnit(c);
      }
      from = i + 1;
    }
  }
  return from === 0 ? json : out + json.slice(from);
}

function escapeUnit(unit: number): string {
  return `\\u${unit.toString(16).toUpperCase().padStart(4, "0")}`;
}
