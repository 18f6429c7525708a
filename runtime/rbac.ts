/**
 * Who may call the device's API: the bearer token of a request, checked against a role.
 *
 * Guarantees of `authorize`: it never throws; it answers 401 when the `Authorization` header is
 * missing, is not exactly `Bearer <token>` (scheme in any case, one space, no other whitespace),
 * or holds a token `verifyJwt` refuses (forged, `alg` other than HS256, expired, not yet valid,
 * malformed: HS256 with the device's key, `exp` and `nbf` widened by the skew; without `iat`,
 * issued in the future or living longer than `maxLifetimeSec`); and 403 when the token is
 * genuine but its `tenant` or `ns` claim is not the device's, or the highest role it names is
 * below the one needed. Two Authorization headers are the caller's to sort out, before this:
 * a transport joins repeated headers with a comma, which no token holds (see `managers/api/effects.ts`). Roles are ordered viewer < operator < admin; names it does not know are
 * ignored, so a token naming none of these has no role and is refused 403. The error text says
 * which check failed and never repeats the token, which is a credential.
 */
// biome-ignore-all lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see schema.ts).
import { verifyJwt } from "./jwt.js";

export type Role = "viewer" | "operator" | "admin";

export type ApiAuth =
  | { ok: true; subject: string; role: Role; tenant: string; ns: string }
  | { ok: false; status: 401 | 403; error: string };

export interface AuthorizeOptions {
  /** The HS256 key API tokens are signed with. */
  key: string;
  /** The device's tenant: a token must carry exactly this `tenant` claim. */
  tenant: string;
  /** The device's namespace within its tenant: a token must carry exactly this `ns` claim. */
  ns: string;
  nowMs: number;
  /** Clock difference tolerated on `exp`, `nbf` and `iat`. */
  skewMs: number;
  /** Longest `exp - iat` accepted, in seconds. */
  maxLifetimeSec: number;
}

const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

function rank(role: string): number {
  return ROLES.indexOf(role as Role);
}

export function roleAtLeast(have: Role, need: Role): boolean {
  const needed = rank(need);
  return needed >= 0 && rank(have) >= needed;
}

export function authorize(
  authorization: string | undefined,
  need: Role,
  options: AuthorizeOptions,
): ApiAuth {
  if (authorization === undefined || authorization === "") {
    return deny(401, "no Authorization header");
  }
  const token = bearerToken(authorization);
  if (token === null) return deny(401, "the Authorization header is not 'Bearer <token>'");
  const verdict = verifyJwt(token, options.key, {
    nowMs: options.nowMs,
    skewMs: options.skewMs,
    maxLifetimeSec: options.maxLifetimeSec,
  });
  if (!verdict.ok) return deny(401, "token refused: " + verdict.error);
  const claims = verdict.claims;
  if (claims.tenant !== options.tenant) return deny(403, "the token is for another tenant");
  if (claims.ns !== options.ns) return deny(403, "the token is for another namespace");
  let best = -1;
  const roles = claims.roles || [];
  for (let i = 0; i < roles.length; i++) {
    const r = rank(roles[i]);
    if (r > best) best = r;
  }
  if (best < 0) return deny(403, "the token names no role this device knows");
  if (best < rank(need)) return deny(403, "role " + ROLES[best] + " is below " + need);
  return { ok: true, subject: claims.sub, role: ROLES[best], tenant: claims.tenant, ns: claims.ns };
}

function deny(status: 401 | 403, error: string): ApiAuth {
  return { ok: false, status, error };
}

/**
 * The token of `Bearer <token>`, or null. `split`, not `slice`: the header may hold any text,
 * and `slice` counts bytes of a unicode string on Espruino. A token holds no space, so the header
 * must split into exactly two parts; base64url and dots are left for `verifyJwt` to judge.
 */
export function bearerToken(header: string): string | null {
  if (typeof header !== "string") return null;
  const parts = header.split(" ");
  if (parts.length !== 2 || parts[0].toLowerCase() !== "bearer" || parts[1] === "") return null;
  const token = parts[1];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c <= 32 || c === 127) return null;
  }
  return token;
}
