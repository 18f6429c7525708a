/**
 * The AuthManager's effects: registering with ServiceDiscovery and refreshing the token.
 *
 * Registration reads the device key from flash (`device.key`) on every attempt, so a rotated key
 * is used at once. It asks for a nonce, proves it holds the key with an HMAC-SHA256 over
 * `deviceId.nonce`, and receives an HS256 token signed with the same key, which it verifies
 * before trusting a claim in it. The token's lifetime is measured from its arrival (exp - iat),
 * not against the device's clock, which may not be set yet when the device first registers.
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import { base64urlEncode } from "../../runtime/base64url.js";
import { hmacSha256 } from "../../runtime/hmac.js";
import { decodeJwtUnverified, verifyJwt } from "../../runtime/jwt.js";
import { type JsonOutcome, requestJson } from "../httpJson.js";
import type { AuthEffects, RefreshInput, RegisterInput, TokenEvent } from "./machine.js";

/** Where the device keeps the secret it shares with ServiceDiscovery. */
export const DEVICE_KEY_FILE = "device.key";

/** A token the device may use, or why it may not. */
export function acceptToken(token: unknown, key: string): Omit<TokenEvent, "at"> | string {
  if (typeof token !== "string") return "no token in the answer";
  const decoded = decodeJwtUnverified(token);
  if (!decoded || typeof decoded.iat !== "number") return "malformed token";
  const verified = verifyJwt(token, key, { nowMs: decoded.iat * 1000, skewMs: 0 });
  if (!verified.ok) return `token refused: ${verified.error}`;
  const c = verified.claims;
  if (typeof c.tenant !== "string" || typeof c.ns !== "string" || !Array.isArray(c.roles)) {
    return "token lacks tenant, ns or roles";
  }
  return {
    token,
    claims: { sub: c.sub, tenant: c.tenant, ns: c.ns, roles: c.roles },
    lifetimeMs: (c.exp - c.iat) * 1000,
  };
}

function failure(outcome: JsonOutcome & { ok: false }) {
  return { error: outcome.error, status: outcome.status };
}

export function authEffects(board: Pick<Board, "http" | "storage" | "clock">): AuthEffects {
  const readKey = () => (board.storage.read(DEVICE_KEY_FILE) ?? "").trim();
  return {
    register: fromCallback<any, RegisterInput>(({ input, sendBack }) => {
      const fail = (error: string, status?: number) =>
        sendBack({ type: "REGISTER_FAILED", error, status });
      const key = readKey();
      if (key === "") {
        fail(`no device key in flash (${DEVICE_KEY_FILE})`);
        return;
      }
      const post = (path: string, body: unknown, done: (o: JsonOutcome) => void) =>
        requestJson(
          board.http,
          { method: "POST", url: `${input.discoveryUrl}${path}`, body, timeoutMs: input.timeoutMs },
          done,
        );
      let cancel = post("/v1/register/challenge", { deviceId: input.deviceId }, (challenge) => {
        if (!challenge.ok) return sendBack({ type: "REGISTER_FAILED", ...failure(challenge) });
        const nonce = (challenge.json as { nonce?: unknown } | null)?.nonce;
        if (typeof nonce !== "string") return fail("malformed challenge");
        const proof = base64urlEncode(hmacSha256(key, `${input.deviceId}.${nonce}`));
        cancel = post("/v1/register", { deviceId: input.deviceId, nonce, proof }, (answer) => {
          if (!answer.ok) return sendBack({ type: "REGISTER_FAILED", ...failure(answer) });
          const accepted = acceptToken((answer.json as { token?: unknown } | null)?.token, key);
          if (typeof accepted === "string") return fail(accepted);
          sendBack({ type: "REGISTERED", ...accepted, at: board.clock.now() });
        });
      });
      return () => cancel();
    }),

    refresh: fromCallback<any, RefreshInput>(({ input, sendBack }) =>
      requestJson(
        board.http,
        {
          method: "POST",
          url: `${input.discoveryUrl}/v1/token/refresh`,
          token: input.token,
          timeoutMs: input.timeoutMs,
        },
        (answer) => {
          if (!answer.ok) return sendBack({ type: "REFRESH_FAILED", ...failure(answer) });
          const accepted = acceptToken(
            (answer.json as { token?: unknown } | null)?.token,
            readKey(),
          );
          if (typeof accepted === "string")
            return sendBack({ type: "REFRESH_FAILED", error: accepted });
          sendBack({ type: "REFRESHED", ...accepted, at: board.clock.now() });
        },
      ),
    ),
  };
}
