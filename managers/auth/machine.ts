/**
 * AuthManager: the device's identity towards its services.
 *
 * registering → authenticated{fresh → refreshing} → (token expires unrefreshed) expired →
 * registering again. Registration proves the device holds its key (an HMAC over a server nonce,
 * done by the `register` actor, which reads the key from flash on every attempt, so a rotated key
 * is used as soon as `KEY_ROTATED` says so). The token is refreshed at `refreshAt` (80 %) of its
 * lifetime; a refused refresh (401) means registering again; a failed one (network, 5xx) is
 * retried with jittered backoff until the token expires. Failed registrations back off the same
 * way, and retry at once when the network comes back.
 *
 * Every new token goes to the parent as `TOKEN` (the controller routes it to the managers that
 * call services); `TOKEN_LOST` when it expires. A service's 401 comes back as `TOKEN_REJECTED`
 * with the token it refused: the current one triggers one refresh; an older one is answered
 * with the current token. The token never enters a log line. Ready while authenticated.
 */
import { assign, type CallbackActorLogic, type EventObject, sendParent, setup } from "xstate";
import { type BackoffState, nextBackoff } from "../../runtime/backoff.js";
import { seedFrom } from "../../runtime/random.js";
import { answerPing, logAction, type PingEvent, READY } from "../supervision.js";

export interface TokenClaims {
  sub: string;
  tenant: string;
  ns: string;
  roles: string[];
}

export interface AuthSettings {
  /** The fraction of a token's lifetime after which it is refreshed. */
  refreshAt: number;
  retryBaseMs: number;
  retryCapMs: number;
  requestTimeoutMs: number;
}

/** A token as the actors deliver it: verified, with its lifetime left when it arrived. */
export interface TokenEvent {
  token: string;
  claims: TokenClaims;
  lifetimeMs: number;
  /** When it arrived, on the board's clock. */
  at: number;
}

export type AuthEvent =
  | ({ type: "REGISTERED" } & TokenEvent)
  | ({ type: "REFRESHED" } & TokenEvent)
  | { type: "REGISTER_FAILED"; error: string; status?: number }
  | { type: "REFRESH_FAILED"; error: string; status?: number }
  | { type: "TOKEN_REJECTED"; token: string }
  | { type: "KEY_ROTATED" }
  | { type: "NETWORK_UP" }
  | PingEvent;

/** What the manager tells its parent. */
export type AuthReport =
  | ({ type: "TOKEN" } & TokenClaims & { token: string })
  | { type: "TOKEN_LOST"; reason: string };

export interface AuthInput {
  deviceId: string;
  discoveryUrl: string;
  seed: number;
  settings?: Partial<AuthSettings>;
}

export interface AuthContext extends BackoffState {
  deviceId: string;
  discoveryUrl: string;
  settings: AuthSettings;
  token: string | null;
  claims: TokenClaims | null;
  lifetimeMs: number;
  /** When the token expires, on the board's clock (its arrival plus its lifetime). */
  expiresAt: number | null;
  registrations: number;
  refreshes: number;
  lastError: string | null;
}

export interface RegisterInput {
  deviceId: string;
  discoveryUrl: string;
  timeoutMs: number;
}

export interface RefreshInput {
  discoveryUrl: string;
  token: string;
  timeoutMs: number;
}

export interface AuthEffects {
  /** Challenge, proof, token: sends `REGISTERED` or `REGISTER_FAILED`. */
  register: CallbackActorLogic<EventObject, RegisterInput>;
  /** Sends `REFRESHED` or `REFRESH_FAILED`. */
  refresh: CallbackActorLogic<EventObject, RefreshInput>;
}

export const AUTH_DEFAULTS: AuthSettings = {
  refreshAt: 0.8,
  retryBaseMs: 1_000,
  retryCapMs: 60_000,
  requestTimeoutMs: 10_000,
};

export function createAuthMachine(effects: AuthEffects) {
  return setup({
    types: {
      context: {} as AuthContext,
      events: {} as AuthEvent,
      input: {} as AuthInput,
    },
    actors: { register: effects.register, refresh: effects.refresh },
    actions: {
      log: logAction("auth"),
      keepToken: assign(({ event }) => {
        const e = event as TokenEvent;
        return {
          token: e.token,
          claims: e.claims,
          lifetimeMs: e.lifetimeMs,
          expiresAt: e.at + e.lifetimeMs,
          retry: 0,
          lastError: null,
        };
      }),
      reportToken: sendParent(({ context }) => ({
        type: "TOKEN",
        token: context.token,
        sub: context.claims?.sub,
        tenant: context.claims?.tenant,
        ns: context.claims?.ns,
        roles: context.claims?.roles,
      })),
      chooseBackoff: assign(({ context }) =>
        nextBackoff(context, context.settings.retryBaseMs, context.settings.retryCapMs),
      ),
      noteFailure: assign({
        lastError: ({ event }) => {
          const e = event as { error: string; status?: number };
          return e.status ? `${e.error} (HTTP ${e.status})` : e.error;
        },
      }),
    },
    guards: {
      isCurrentToken: ({ context, event }) =>
        event.type === "TOKEN_REJECTED" && event.token === context.token,
      refused: ({ event }) => (event as { status?: number }).status === 401,
    },
    delays: {
      refreshDelay: ({ context }) => Math.floor(context.lifetimeMs * context.settings.refreshAt),
      tokenExpiry: ({ context }) => context.lifetimeMs,
      backoffDelay: ({ context }) => context.backoffMs,
    },
  }).createMachine({
    id: "auth",
    context: ({ input }) => ({
      deviceId: input.deviceId,
      discoveryUrl: input.discoveryUrl,
      settings: Object.assign({}, AUTH_DEFAULTS, input.settings),
      seed: seedFrom(input.seed),
      retry: 0,
      backoffMs: 0,
      token: null,
      claims: null,
      lifetimeMs: 0,
      expiresAt: null,
      registrations: 0,
      refreshes: 0,
      lastError: null,
    }),
    initial: "registering",
    on: {
      PING: { actions: answerPing },
      KEY_ROTATED: {
        target: ".registering",
        actions: {
          type: "log",
          params: { level: "info", msg: "device key rotated: registering again" },
        },
      },
    },
    states: {
      registering: {
        invoke: {
          src: "register",
          input: ({ context }) => ({
            deviceId: context.deviceId,
            discoveryUrl: context.discoveryUrl,
            timeoutMs: context.settings.requestTimeoutMs,
          }),
        },
        on: {
          REGISTERED: {
            target: "authenticated",
            actions: [
              "keepToken",
              assign({ registrations: ({ context }) => context.registrations + 1 }),
              "reportToken",
              {
                type: "log",
                params: ({ context }) => ({
                  level: "info",
                  msg: `registered as ${context.claims?.sub} (tenant ${context.claims?.tenant}, ns ${context.claims?.ns})`,
                }),
              },
            ],
          },
          REGISTER_FAILED: {
            target: "backoff",
            actions: [
              "noteFailure",
              {
                type: "log",
                params: ({ context }) => ({
                  level: "warn",
                  msg: `registration failed: ${context.lastError}`,
                }),
              },
            ],
          },
        },
      },
      backoff: {
        entry: "chooseBackoff",
        after: { backoffDelay: "registering" },
        on: { NETWORK_UP: "registering" },
      },
      authenticated: {
        tags: READY,
        after: { tokenExpiry: "expired" },
        initial: "fresh",
        on: {
          // A service refused a token this manager has since replaced: hand out the current one.
          TOKEN_REJECTED: {
            guard: ({ context, event }) => event.token !== context.token,
            actions: "reportToken",
          },
        },
        states: {
          fresh: {
            after: { refreshDelay: "refreshing" },
            on: {
              TOKEN_REJECTED: {
                guard: "isCurrentToken",
                target: "refreshing",
                actions: {
                  type: "log",
                  params: { level: "info", msg: "a service refused the token: refreshing" },
                },
              },
            },
          },
          refreshing: {
            invoke: {
              src: "refresh",
              input: ({ context }) => ({
                discoveryUrl: context.discoveryUrl,
                token: context.token ?? "",
                timeoutMs: context.settings.requestTimeoutMs,
              }),
            },
            on: {
              REFRESHED: {
                target: "#auth.authenticated",
                reenter: true,
                actions: [
                  "keepToken",
                  assign({ refreshes: ({ context }) => context.refreshes + 1 }),
                  "reportToken",
                ],
              },
              REFRESH_FAILED: [
                {
                  guard: "refused",
                  target: "#auth.registering",
                  actions: [
                    "noteFailure",
                    {
                      type: "log",
                      params: { level: "warn", msg: "token refresh refused: registering again" },
                    },
                  ],
                },
                {
                  target: "retrying",
                  actions: [
                    "noteFailure",
                    {
                      type: "log",
                      params: ({ context }) => ({
                        level: "warn",
                        msg: `token refresh failed: ${context.lastError}`,
                      }),
                    },
                  ],
                },
              ],
            },
          },
          retrying: {
            entry: "chooseBackoff",
            after: { backoffDelay: "refreshing" },
          },
        },
      },
      expired: {
        entry: [
          assign({ token: null, expiresAt: null, lastError: "token expired" }),
          sendParent({ type: "TOKEN_LOST", reason: "expired" }),
          {
            type: "log",
            params: {
              level: "warn",
              msg: "token expired before a refresh succeeded: registering again",
            },
          },
        ],
        always: "registering",
      },
    },
  });
}

export type AuthMachine = ReturnType<typeof createAuthMachine>;
