/**
 * ApiManager: the device's own HTTP API (`/healthz`, `/metrics`, `/state`, admin actions), as a
 * supervised manager.
 *
 * running{opening → serving} ⇄ backoff. One long-lived server actor (`managers/api/effects.ts`) opens the
 * port and answers every request; when the port cannot be opened (in use, no network stack) the
 * manager waits a jittered backoff and opens it again. Ready while serving.
 *
 * Settings (`api` section of the configuration: port, rate limit, body limit, clock skew) come at
 * start and by `CONFIGURE`, checked whole, the first bad field named, a refused change leaving
 * the previous settings in force. A new port or body limit reopens the server (only the
 * transport knows them); a new rate limit or skew is handed to the running server, so the
 * clients' buckets survive it. A port of 0 lets the board choose (where it can): a later `0`
 * keeps the port chosen. The server counts the requests it refuses for their rate
 * (`RATE_LIMITED`), the figure `/metrics` publishes.
 */
import { type AnyActorRef, assign, type CallbackActorLogic, enqueueActions, setup } from "xstate";
import { type BackoffState, nextBackoff } from "../../runtime/backoff.js";
import { seedFrom } from "../../runtime/random.js";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import { acceptSettings, answerPing, logAction, type PingEvent, READY } from "../supervision.js";
import { apiSettings } from "./settings.js";

export interface RateLimitSettings {
  burst: number;
  refillPerSec: number;
}

export interface ApiSettings {
  port: number;
  rateLimit: RateLimitSettings;
  /**
   * Tokens not yet known to have verified, checked per second across all clients (each costs an
   * HMAC): what bounds the work of a flood that rotates its address or its token.
   */
  unverifiedPerSec: number;
  maxBodyBytes: number;
  clockSkewMs: number;
  /** The longest lifetime (`exp - iat`) of a token the API accepts. */
  maxTokenLifetimeSec: number;
}

/** Port 8080, not 80: a Node host runs the simulated device unprivileged, and so may a board. */
export const API_DEFAULTS: ApiSettings = settingsDefaults(apiSettings);

/** How long a port that would not open is left before the next try. */
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 60_000;

export type ApiEvent =
  | { type: "LISTENING"; port: number }
  | { type: "LISTEN_FAILED"; error: string }
  | { type: "RATE_LIMITED" }
  | { type: "CONFIGURE"; settings: Partial<ApiSettings> }
  | PingEvent;

/** What the manager tells its running server. */
export interface ServerSettingsEvent {
  type: "SETTINGS";
  settings: ApiSettings;
}

export interface ApiInput {
  seed: number;
  settings?: Partial<ApiSettings>;
}

export interface ApiContext extends BackoffState {
  settings: ApiSettings;
  /** The port bound while serving; null otherwise. */
  port: number | null;
  /** Requests refused for their rate since start. */
  rateLimited: number;
  lastError: string | null;
}

export interface ServerInput {
  settings: ApiSettings;
  /** The controller (the manager's parent): asked for liveness and readiness, read for metrics. */
  controller: AnyActorRef | undefined;
}

export interface ApiEffects {
  /** Opens the port and answers requests: sends `LISTENING`, `LISTEN_FAILED`, `RATE_LIMITED`. */
  server: CallbackActorLogic<ServerSettingsEvent, ServerInput>;
}

/** Merges `changes` over `current`; the first problem names its field. */
export function mergeApiSettings(
  current: ApiSettings,
  changes: Partial<ApiSettings>,
): SettingsMerge<ApiSettings> {
  return mergeSettings(current, changes, apiSettings);
}

/** Whether `next` needs the server reopened: what the transport holds changed. */
function needsReopen(context: ApiContext, next: ApiSettings): boolean {
  const samePort =
    next.port === context.settings.port || (next.port !== 0 && next.port === context.port);
  return !samePort || next.maxBodyBytes !== context.settings.maxBodyBytes;
}

type Configure = Extract<ApiEvent, { type: "CONFIGURE" }>;

export function createApiMachine(effects: ApiEffects) {
  return setup({
    types: {
      context: {} as ApiContext,
      events: {} as ApiEvent,
      input: {} as ApiInput,
    },
    actors: { server: effects.server },
    actions: {
      log: logAction("api"),
      chooseBackoff: assign(({ context }) => nextBackoff(context, RETRY_BASE_MS, RETRY_CAP_MS)),
      /** Takes valid settings; logs and keeps the old ones otherwise. */
      configure: enqueueActions(({ context, event, enqueue }) => {
        const result = mergeApiSettings(context.settings, (event as Configure).settings);
        if ("error" in result) enqueue.assign({ lastError: `settings refused: ${result.error}` });
        const settings = acceptSettings(result, enqueue, "api");
        if (settings === null) return;
        enqueue.assign({ settings });
      }),
    },
    guards: {
      reopens: ({ context, event }) => {
        const result = mergeApiSettings(context.settings, (event as Configure).settings);
        return "settings" in result && needsReopen(context, result.settings);
      },
    },
    delays: {
      backoffDelay: ({ context }) => context.backoffMs,
    },
  }).createMachine({
    id: "api",
    context: ({ input }) => {
      const merged = mergeApiSettings(API_DEFAULTS, input.settings ?? {});
      return {
        settings: "error" in merged ? API_DEFAULTS : merged.settings,
        seed: seedFrom(input.seed),
        retry: 0,
        backoffMs: 0,
        port: null,
        rateLimited: 0,
        lastError: "error" in merged ? `settings refused: ${merged.error}` : null,
      };
    },
    initial: "running",
    on: {
      PING: { actions: answerPing },
      RATE_LIMITED: { actions: assign({ rateLimited: ({ context }) => context.rateLimited + 1 }) },
      CONFIGURE: { actions: "configure" },
    },
    states: {
      running: {
        invoke: {
          id: "server",
          src: "server",
          input: ({ context, self }) => ({ settings: context.settings, controller: self._parent }),
        },
        initial: "opening",
        on: {
          LISTEN_FAILED: {
            target: "backoff",
            actions: [
              assign({ port: null, lastError: ({ event }) => `port: ${event.error}` }),
              {
                type: "log",
                params: ({ context, event }) => ({
                  level: "error",
                  msg: `cannot serve the API on port ${context.settings.port}: ${event.error}`,
                }),
              },
            ],
          },
          CONFIGURE: [
            { guard: "reopens", target: "running", reenter: true, actions: "configure" },
            {
              actions: [
                "configure",
                enqueueActions(({ context, enqueue }) => {
                  enqueue.sendTo("server", { type: "SETTINGS", settings: context.settings });
                }),
              ],
            },
          ],
        },
        states: {
          opening: {
            on: {
              LISTENING: {
                target: "serving",
                actions: [
                  assign({ port: ({ event }) => event.port, retry: 0, lastError: null }),
                  {
                    type: "log",
                    params: ({ event }) => ({
                      level: "info",
                      msg: `API serving on port ${event.port}`,
                    }),
                  },
                ],
              },
            },
          },
          serving: { tags: READY },
        },
      },
      backoff: {
        entry: "chooseBackoff",
        after: { backoffDelay: "running" },
      },
    },
  });
}

export type ApiMachine = ReturnType<typeof createApiMachine>;
