/**
 * Device tokens: compact HS256 JWTs signed with the device's own key (its UTF-8 bytes), so the
 * device can verify what it is given. Times are whole seconds of the services' clock, not the
 * host's, so a simulation on a virtual clock starting at 0 issues tokens that expire on it.
 *
 * Signed and verified synchronously with `node:crypto` rather than with jose's async API: a
 * handler on the virtual clock then answers within the same `advance()`, so a device test stays
 * synchronous and its trace does not depend on when a thread pool finishes. The tests check that
 * jose accepts these tokens and that tokens jose signs are accepted here, so the format is the
 * standard one. Verification accepts `alg: "HS256"` only (never `none`, never a key the token
 * names itself), checks the signature before trusting any claim but `sub` (needed to find the
 * key), and refuses a token at or after `exp` or before `nbf`, as jose does.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ServiceRequest, ServiceResponse } from "../../board/sim/simulatedNetwork.js";
import type { JwtClaims } from "../../runtime/jwt.js";
import { jsonError } from "./json.js";

/** The same claims the device's own JWT code reads. */
export type DeviceClaims = JwtClaims;

export type TokenCheck = { ok: true; claims: DeviceClaims } | { ok: false; reason: string };

export function signToken(claims: object, key: string): string {
  const header = encode({ alg: "HS256", typ: "JWT" });
  const payload = encode(claims);
  return `${header}.${payload}.${mac(key, `${header}.${payload}`)}`;
}

/** Checks `token` against the key of the device it names, at `nowMs` on the services' clock. */
export function verifyToken(
  token: string,
  keyOf: (deviceId: string) => string | undefined,
  nowMs: number,
): TokenCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed token" };
  const header = decode(parts[0]);
  const payload = decode(parts[1]);
  if (!isObject(header) || !isObject(payload)) return { ok: false, reason: "malformed token" };
  if (header.alg !== "HS256" || header.crit !== undefined) {
    return { ok: false, reason: "unsupported algorithm" };
  }
  if (typeof payload.sub !== "string") return { ok: false, reason: "no subject" };
  const key = keyOf(payload.sub);
  if (key === undefined) return { ok: false, reason: "unknown device" };
  if (!sameSecret(parts[2], mac(key, `${parts[0]}.${parts[1]}`))) {
    return { ok: false, reason: "bad signature" };
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.exp !== "number" || payload.exp <= now) {
    return { ok: false, reason: "token expired" };
  }
  if (typeof payload.nbf === "number" && payload.nbf > now) {
    return { ok: false, reason: "token not yet valid" };
  }
  if (
    typeof payload.tenant !== "string" ||
    typeof payload.ns !== "string" ||
    !Array.isArray(payload.roles)
  ) {
    return { ok: false, reason: "missing claims" };
  }
  return { ok: true, claims: payload as DeviceClaims };
}

/** A request's bearer token checked: its claims, or the 401 to answer with. */
export type BearerCheck =
  | { ok: true; claims: DeviceClaims }
  | { ok: false; refusal: ServiceResponse };

/**
 * What every service does with a device's request: the bearer token verified (`verifyToken`),
 * and a refusal is a 401 naming the reason with the `www-authenticate` challenge RFC 6750 asks
 * for, so a device reads the same answer from every service. The caller counts it.
 */
export function checkBearer(
  req: ServiceRequest,
  keyOf: (deviceId: string) => string | undefined,
  nowMs: number,
): BearerCheck {
  const token = bearerToken(req.headers);
  const checked: TokenCheck =
    token === undefined
      ? { ok: false, reason: "missing bearer token" }
      : verifyToken(token, keyOf, nowMs);
  if (checked.ok) return checked;
  const refusal = jsonError(401, checked.reason);
  refusal.headers["www-authenticate"] = 'Bearer error="invalid_token"';
  return { ok: false, refusal };
}

/** Whether verified claims name this document's tenant, namespace and device (else 403). */
export function coversDocument(
  claims: DeviceClaims,
  tenant: string,
  ns: string,
  deviceId: string,
): boolean {
  return claims.tenant === tenant && claims.ns === ns && claims.sub === deviceId;
}

/**
 * The 401 an operator's request gets unless its `x-admin-key` is `adminKey` (compared in
 * constant time); null when it may go on. The caller counts it.
 */
export function adminRefusal(req: ServiceRequest, adminKey: string): ServiceResponse | null {
  return sameSecret(req.headers["x-admin-key"] ?? "", adminKey)
    ? null
    : jsonError(401, "admin key required");
}

/** `given === expected`, in a time that does not tell how much of a secret was guessed. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `authorization: Bearer <token>` header; the scheme name is case-blind. */
export function bearerToken(headers: Record<string, string>): string | undefined {
  const value = headers.authorization;
  if (value === undefined) return undefined;
  const space = value.indexOf(" ");
  if (space < 0 || value.slice(0, space).toLowerCase() !== "bearer") return undefined;
  const token = value.slice(space + 1).trim();
  return token === "" ? undefined : token;
}

/** base64url(HMAC-SHA256(key, text)) without padding: also the registration proof's form. */
export function mac(key: string, text: string): string {
  return createHmac("sha256", Buffer.from(key, "utf8")).update(text, "utf8").digest("base64url");
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

function decode(part: string): unknown {
  if (part === "" || !/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch (_error) {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
