/**
 * The device API's server actor; its routes are `routes.ts`.
 *
 * One callback actor opens the port through the board (`Http.serve`) and answers every request
 * until it is stopped. For each request, in this order, each step cheaper than the next:
 *
 * 1. the rate: one token bucket per client (`runtime/tokenBucket.ts`), 429 with `Retry-After`,
 *    before the route, so unknown paths spend it too; `/healthz` has buckets of its own, by
 *    address, so neither kind of flood starves the other;
 * 2. the route and method: unknown paths 404, known paths with another method 405 with `Allow`;
 * 3. two `Authorization` headers (joined with ", " by the transport): 400;
 * 4. provisioning: until the device holds an API key in flash (`api.key`, provisioned like
 *    `device.key`) and knows its tenant and namespace (from its own service token's claims),
 *    every protected route answers 503 `{"error":"device not provisioned"}`;
 * 5. a token not remembered as verified takes from one budget shared by all clients
 *    (`unverifiedPerSec`), since it costs an HMAC: 429 once that is spent;
 * 6. the token (`runtime/rbac.ts`): HS256 with the API key, the device's tenant and namespace,
 *    the route's role, expiry, not-before and issue time with the configured skew, a lifetime
 *    within `maxTokenLifetimeSec`; 401 or 403;
 * 7. the body of a PUT or POST: a JSON object, 400 otherwise; then the route itself.
 *
 * Which bucket: a client is its token's subject, else its address, but the subject is trusted
 * only once its token has verified: keying by the subject of an unverified token would let anyone
 * mint a bucket per request or drain a real user's. Tokens that verified are remembered by their
 * signature (`runtime/verifiedTokens.ts`). (Espruino's server does not expose the peer's
 * address: there every not-yet-verified request shares one bucket.)
 *
 * The audit trail (`AUDIT` to the logger): each PUT and POST by an authenticated caller is one
 * record (who, what, result, role, tenant, namespace). Refusals of callers not authenticated,
 * GETs included and those the transport answered itself (`onRefused`), are counted per client
 * (`runtime/refusals.ts`) and written once a minute, one record per client into `refused.*` and
 * one log line for all, so no flood, from however many addresses, turns over the records of
 * authenticated actions or the log. Every answer is JSON (`/metrics` is Prometheus text) and no
 * error carries a stack trace: a route that throws is answered 500 by the board.
 */
import { type AnyActorRef, fromCallback } from "xstate";
import type { ServedRequest, ServedResponse } from "../../board/types.js";
import { decodeJwtUnverified } from "../../runtime/jwt.js";
import { authorize, bearerToken } from "../../runtime/rbac.js";
import { createRefusals } from "../../runtime/refusals.js";
import { createRateLimiter } from "../../runtime/tokenBucket.js";
import { pathOf } from "../../runtime/url.js";
import { createVerifiedTokens } from "../../runtime/verifiedTokens.js";
import type { AuthView } from "../auth/view.js";
import type { HostPong } from "../controller/machine.js";
import type { AuditRecord } from "../logger/machine.js";
import { logTo } from "../supervision.js";
import { viewOf } from "../view.js";
import type { ApiEffects, ApiSettings, ServerInput, ServerSettingsEvent } from "./machine.js";
import { type ApiBoard, type Caller, json, ROUTES, type Server } from "./routes.js";

/** Where the device keeps the secret its API tokens are signed with. */
export const API_KEY_FILE = "api.key";

/** Buckets kept at once (see `runtime/tokenBucket.ts` for why forgetting the idlest is safe). */
const MAX_CLIENTS = 32;
/** `/healthz` buckets kept at once, by address. */
const MAX_HEALTH_CLIENTS = 8;
/** Tokens remembered as verified, to pick their subject's bucket; at most two per subject. */
const VERIFIED_MEMORY = 8;
const VERIFIED_PER_SUBJECT = 2;
/** Refused requests are summarised once per this window... */
const REFUSAL_SUMMARY_MS = 60_000;
/** ...one record per client, this many clients, and one record for all the others. */
const MAX_REFUSING_CLIENTS = 8;

/** How long `/healthz` and `/readyz` wait for the controller's answer. */
const CONTROLLER_TIMEOUT_MS = 2_000;
/** Health checks waiting for the controller's answer at once, at most. */
const MAX_PINGS_IN_FLIGHT = 16;

/** The global budget for unverified tokens, as a bucket: one second's worth at once. */
function unverifiedBudget(settings: ApiSettings) {
  return { burst: settings.unverifiedPerSec, refillPerSec: settings.unverifiedPerSec };
}

/** A token's signature segment: its HMAC, what the memory of verified tokens is keyed by. */
function signatureOf(token: string): string | undefined {
  const segments = token.split(".");
  return segments.length === 3 && segments[2] !== "" ? segments[2] : undefined;
}

/** A PUT or POST body: a JSON object, nothing, or why it is refused. */
function parseBody(text: string): { body: Record<string, unknown> | null } | { error: string } {
  if (text === "") return { body: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (_) {
    return { error: "the body is not JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { error: "the body must be a JSON object" };
  }
  return { body: value as Record<string, unknown> };
}

/**
 * `wallTime` is Unix milliseconds as time sync corrects them: what a token's `exp` and `nbf` are
 * checked against. Rate limits count elapsed time on the board's own clock, which never steps.
 */
export function apiEffects(board: ApiBoard, wallTime: () => number): ApiEffects {
  const bootAt = board.clock.now();
  return {
    server: fromCallback<ServerSettingsEvent, ServerInput>(
      ({ input, system, sendBack, receive }) => {
        let settings: ApiSettings = input.settings;
        const limiter = createRateLimiter(settings.rateLimit, MAX_CLIENTS);
        const healthLimiter = createRateLimiter(settings.rateLimit, MAX_HEALTH_CLIENTS);
        const unverified = createRateLimiter(unverifiedBudget(settings), 1);
        const verified = createVerifiedTokens(VERIFIED_MEMORY, VERIFIED_PER_SUBJECT);
        const refusals = createRefusals(MAX_REFUSING_CLIENTS);
        let summaryDue: unknown;
        const controller = input.controller;
        let seq = 0;
        const waiting: Array<{
          seq: number;
          timer: unknown;
          answer: (pong: HostPong | null) => void;
        }> = [];

        const settle = (n: number, pong: HostPong | null) => {
          for (let i = 0; i < waiting.length; i++) {
            if (waiting[i].seq !== n) continue;
            const w = waiting.splice(i, 1)[0];
            board.clock.clearTimeout(w.timer);
            w.answer(pong);
            return;
          }
        };
        const subscription = controller?.on("PONG", (pong: HostPong) => settle(pong.seq, pong));

        const server: Server = {
          board,
          system,
          controller,
          bootAt,
          askController(answer) {
            // Unanswered pings are bounded too: past that, the controller counts as not answering.
            if (!controller || waiting.length >= MAX_PINGS_IN_FLIGHT) return answer(null);
            seq++;
            const n = seq;
            const timer = board.clock.setTimeout(() => settle(n, null), CONTROLLER_TIMEOUT_MS);
            waiting.push({ seq: n, timer, answer });
            controller.send({ type: "PING", seq: n });
          },
          send(id, event) {
            const ref = (id === "controller" ? controller : system.get(id)) as
              | AnyActorRef
              | undefined;
            if (!ref) return false;
            ref.send(event);
            return true;
          },
          log: (level, msg, fields) => logTo(system, "api", { level, msg, fields }),
        };
        const audit = (record: AuditRecord) => server.send("logger", { type: "AUDIT", record });

        /** The minute's refusals: one audit record per client, one log line for them all. */
        const summarise = () => {
          summaryDue = undefined;
          const drained = refusals.drain();
          const counts: Record<string, number> = {};
          let total = 0;
          for (let i = 0; i < drained.length; i++) {
            const c = drained[i];
            audit({
              who: c.client,
              what: "refused requests",
              result: `${c.total} refused`,
              fields: { counts: c.counts, last: c.last, tenant: c.tenant, ns: c.ns },
              refused: true,
            });
            total += c.total;
            const statuses = Object.keys(c.counts);
            for (let k = 0; k < statuses.length; k++) {
              counts[statuses[k]] = (counts[statuses[k]] || 0) + c.counts[statuses[k]];
            }
          }
          server.log("warn", `refused ${total} request(s) from ${drained.length} client(s)`, {
            counts,
          });
        };
        const countRefusal = (
          who: string,
          status: number,
          last: string,
          claimed?: { tenant: string | null; ns: string | null },
        ) => {
          if (refusals.count(who, status, last, claimed)) {
            summaryDue = board.clock.setTimeout(summarise, REFUSAL_SUMMARY_MS);
          }
        };

        receive((event) => {
          settings = event.settings;
          limiter.configure(settings.rateLimit);
          healthLimiter.configure(settings.rateLimit);
          unverified.configure(unverifiedBudget(settings));
        });

        const handle = (req: ServedRequest, respond: (res: ServedResponse) => void) => {
          const path = pathOf(req.path);
          const what = `${req.method} ${path.slice(0, 100)}`;
          const mutating = req.method === "PUT" || req.method === "POST";
          const header = req.headers.authorization;
          const token = header === undefined ? null : bearerToken(header);
          const signature = token === null ? undefined : signatureOf(token);
          const known = signature === undefined ? undefined : verified.subjectOf(signature);
          const anonymous = `anonymous@${req.remoteAddress}`;
          /** Set once the token verified and the role sufficed. */
          let caller: Caller | null = null;
          /** What a genuine token refused with 403 claimed, for the refusal's summary. */
          let claimed: Caller | null = null;
          const answer = (response: ServedResponse, error: string) => {
            if (caller === null && response.status >= 400) {
              countRefusal(
                claimed ? claimed.subject : known !== undefined ? known : anonymous,
                response.status,
                `${what} ${response.status}${error === "" ? "" : ` ${error}`}`,
                claimed ? claimed : undefined,
              );
            } else if (caller !== null && mutating) {
              audit({
                who: caller.subject,
                what,
                result: error === "" ? `${response.status}` : `${response.status} ${error}`,
                fields: { role: caller.role, tenant: caller.tenant, ns: caller.ns },
              });
            }
            respond(response);
          };
          const reply = (status: number, payload: unknown) => {
            const error = (payload as { error?: unknown } | null)?.error;
            answer(
              typeof payload === "string"
                ? {
                    status,
                    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
                    body: payload,
                  }
                : json(status, payload),
              typeof error === "string" ? error : "",
            );
          };
          const reply429 = (retryAfterSec: number, error: string) => {
            sendBack({ type: "RATE_LIMITED" });
            const headers = { "retry-after": String(retryAfterSec) };
            answer(json(429, { error, retryAfterSec }, headers), error);
          };

          // The bucket before anything else, so that 404s and 405s spend it too. Health checks
          // have buckets of their own: a flood of them leaves a client's API calls alone, and a
          // flood of API calls leaves health checks from elsewhere alone.
          const now = board.clock.now();
          const verdict =
            path === "/healthz"
              ? healthLimiter.check(`addr:${req.remoteAddress}`, now)
              : limiter.check(
                  known !== undefined ? `sub:${known}` : `addr:${req.remoteAddress}`,
                  now,
                );
          if (!verdict.allowed) return reply429(verdict.retryAfterSec, "too many requests");

          // Looked up among the table's own keys: `__proto__` or `toString` is no route.
          if (Object.keys(ROUTES).indexOf(path) < 0) {
            return reply(404, { error: "no such route" });
          }
          const methods = ROUTES[path];
          const allowed = Object.keys(methods);
          const method = allowed.indexOf(req.method) >= 0 ? methods[req.method] : undefined;
          if (!method) {
            const allow = allowed.join(", ");
            const error = `method not allowed: use ${allow}`;
            return answer(json(405, { error }, { allow }), error);
          }

          // `/healthz` needs no token, but is limited like any route: each one pings the controller.
          if (method.role === null) return method.run({ req, body: null, server, reply });

          // Repeated headers arrive joined by a comma, which no token holds: which one counts
          // would be the transport's guess, so neither does.
          if (header !== undefined && header.indexOf(",") >= 0) {
            return reply(400, { error: "more than one Authorization header" });
          }
          const key = (board.storage.read(API_KEY_FILE) ?? "").trim();
          const claims = viewOf<AuthView>(system, "auth")?.claims as
            | { tenant?: unknown; ns?: unknown }
            | null
            | undefined;
          const tenant = claims?.tenant;
          const ns = claims?.ns;
          if (key === "" || typeof tenant !== "string" || typeof ns !== "string") {
            return reply(503, {
              error: "device not provisioned",
              detail:
                key === ""
                  ? `no API key in flash (${API_KEY_FILE})`
                  : "no tenant yet: the device has not registered",
            });
          }
          // A token not known to have verified costs an HMAC: those are budgeted across all
          // clients, so rotating addresses or tokens cannot buy more of them.
          if (token !== null && known === undefined) {
            const budget = unverified.check("unverified", now);
            if (!budget.allowed)
              return reply429(budget.retryAfterSec, "too many unverified tokens");
          }
          const auth = authorize(header, method.role, {
            key,
            tenant,
            ns,
            nowMs: wallTime(),
            skewMs: settings.clockSkewMs,
            maxLifetimeSec: settings.maxTokenLifetimeSec,
          });
          if (!auth.ok) {
            // A 403 comes only after the signature verified: its claims name who was refused.
            const genuine =
              auth.status === 403 && token !== null ? decodeJwtUnverified(token) : null;
            if (genuine) {
              claimed = {
                subject: genuine.sub,
                role: null,
                tenant: genuine.tenant,
                ns: genuine.ns,
              };
            }
            return reply(auth.status, { error: auth.error });
          }
          caller = { subject: auth.subject, role: auth.role, tenant: auth.tenant, ns: auth.ns };
          verified.remember(signature as string, auth.subject);

          let body: Record<string, unknown> | null = null;
          if (mutating) {
            const parsed = parseBody(req.body);
            if ("error" in parsed) return reply(400, { error: parsed.error });
            body = parsed.body;
          }
          method.run({ req, body, server, reply, caller: auth.subject });
        };

        /** What the transport answered itself (413, 431...) spends and counts like the rest. */
        const refusedByTransport = (status: number, from: string) => {
          limiter.check(`addr:${from}`, board.clock.now());
          countRefusal(`anonymous@${from}`, status, `${status} answered by the transport`);
        };

        const close = board.http.serve(
          {
            port: settings.port,
            maxBodyBytes: settings.maxBodyBytes,
            onRefused: refusedByTransport,
          },
          handle,
          (error, port) =>
            sendBack(
              error === null ? { type: "LISTENING", port } : { type: "LISTEN_FAILED", error },
            ),
        );
        return () => {
          close();
          subscription?.unsubscribe();
          for (let i = 0; i < waiting.length; i++) board.clock.clearTimeout(waiting[i].timer);
          // Counted refusals are written now rather than lost with the server.
          if (summaryDue !== undefined) {
            board.clock.clearTimeout(summaryDue);
            summarise();
          }
        };
      },
    ),
  };
}
