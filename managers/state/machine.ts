/**
 * StateManager: the device's half of a reported/desired document kept by the StateServer, one
 * version for the whole document.
 *
 * waiting → connected{fetching → synced ⇄ debouncing → updating → synced | backoff} → waiting.
 * It needs a token and a network not reported down (both routed reports); then, on every
 * reconnect and every new token, a new connected spell starts with a full fetch, since
 * notifications missed while away are not replayed (the flow Azure documents for device twins). A desired part newer than the one it
 * applied is applied: the keys `DESIRED_EVENTS` maps become events sent to the parent (desired
 * `logLevel` becomes `SET_LEVEL`, routed to the logger), the others are only kept.
 *
 * Reported: every routed report it subscribes to (network up or down, tokens, new
 * configuration) and every desired change applied count as a change; the first change opens a
 * `debounceMs` window, after which one update carries them all. The document sent is built when
 * sent, by the `summarize` effect (the device summary), over the server's last reported part,
 * with the desired values applied echoed back. It goes with the version held; a 409 means the
 * document moved on: fetch, merge, retry, up to `maxConflictRetries` times in a row, then back
 * off. A change made while an update is under way is sent by the next one: an update is matched
 * to the changes it carried (`changes`/`acked`), so an update cancelled or lost is sent again.
 *
 * Desired changes arrive by long poll (`watchDesired`, one actor for the whole connected spell,
 * told the version applied); a notification whose version is not newer than the one applied is
 * ignored, so duplicates and stale ones change nothing, and the version held never goes
 * backwards. A poll that fails means a full fetch after the backoff. A 401 sends `TOKEN_REJECTED`
 * once and waits for the next token; a second one in a row backs off. Ready in sync.
 */
import {
  type ActorSystem,
  type AnyEventObject,
  assign,
  type CallbackActorLogic,
  type EventObject,
  enqueueActions,
  sendTo,
  setup,
} from "xstate";
import { type BackoffState, nextBackoff } from "../../runtime/backoff.js";
import { jsonEqual } from "../../runtime/jsonEqual.js";
import { seedFrom } from "../../runtime/random.js";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import {
  acceptSettings,
  answerPing,
  logAction,
  logTo,
  type PingEvent,
  READY,
  reportTokenRejected,
} from "../supervision.js";
import { stateSettings } from "./settings.js";

export type StatePart = Record<string, unknown>;

export interface StateSettings {
  /** How long changes to reported are collected before one update carries them. */
  debounceMs: number;
  /** How long the server may hold a change poll. */
  longPollMs: number;
  /** 409s in a row answered by fetch, merge and retry before backing off. */
  maxConflictRetries: number;
  requestTimeoutMs: number;
  retryBaseMs: number;
  retryCapMs: number;
}

export const STATE_DEFAULTS: StateSettings = settingsDefaults(stateSettings);

/** `changes` merged over `current` and checked as a whole, or the first error naming its field. */
export function mergeStateSettings(
  current: StateSettings,
  changes: Partial<StateSettings>,
): SettingsMerge<StateSettings> {
  return mergeSettings(current, changes, stateSettings);
}

/**
 * Desired keys the device acts on, each made into the event sent to the parent (and routed by
 * the controller) when its value changes. A new one joins by one line.
 */
export const DESIRED_EVENTS: Record<string, (value: unknown) => AnyEventObject> = {
  logLevel: (level) => ({ type: "SET_LEVEL", level }),
  firmware: (firmware) => ({ type: "FIRMWARE_DESIRED", firmware }),
};

/** Any of the three requests failed: one event, so one list of transitions handles them all. */
export interface Failure {
  request: "fetch" | "update" | "poll";
  error: string;
  status?: number;
}

export type StateEvent =
  | { type: "TOKEN"; token: string; tenant: string; ns: string }
  | { type: "TOKEN_LOST" }
  | { type: "NETWORK_UP" }
  | { type: "NETWORK_DOWN" }
  | { type: "CONFIG_UPDATED" }
  | { type: "LOG_LEVEL"; level: string }
  | { type: "CONFIGURE"; settings: Partial<StateSettings> }
  | { type: "STATE_FETCHED"; version: number; reported: StatePart; desired: StatePart }
  | { type: "REPORTED_ACCEPTED"; version: number; changes: number }
  | { type: "DESIRED_NOTIFIED"; version: number; desired: StatePart }
  | ({ type: "REQUEST_FAILED" } & Failure)
  | PingEvent;

export interface StateInput {
  deviceId: string;
  stateUrl: string;
  seed: number;
  settings?: Partial<StateSettings>;
}

export interface StateContext extends BackoffState {
  deviceId: string;
  stateUrl: string;
  settings: StateSettings;
  token: string | null;
  tenant: string | null;
  ns: string | null;
  /**
   * False once the network manager reported the network down, until it reports it up: a board
   * whose network never reports (no radio, wired) is online as far as this manager can tell.
   */
  online: boolean;
  /** The document version applied: never goes backwards. Null before the first fetch. */
  version: number | null;
  /** The reported part last built (what the server holds once `acked` reaches `changes`). */
  reported: StatePart | null;
  /** The desired part applied. */
  desired: StatePart;
  /** Changes to reported so far, and those the server has acknowledged. */
  changes: number;
  acked: number;
  /** 409s in a row. */
  conflicts: number;
  /** Whether `TOKEN_REJECTED` went out since the last request that succeeded. */
  rejected: boolean;
  lastError: string | null;
}

export interface StateRequest {
  /** The document's URL: `{stateUrl}/v1/state/{tenant}/{ns}/{deviceId}`. */
  url: string;
  token: string;
  timeoutMs: number;
}

export interface UpdateRequest extends StateRequest {
  version: number;
  reported: StatePart;
  /** Echoed in `REPORTED_ACCEPTED`: the changes this update carries. */
  changes: number;
}

/** Sent to `watchDesired`: poll with these, after at least this version. */
export interface PollCommand extends StateRequest {
  type: "POLL";
  after: number;
  waitMs: number;
}

export interface StateEffects {
  /** Sends `STATE_FETCHED` or `REQUEST_FAILED`. */
  fetchState: CallbackActorLogic<EventObject, StateRequest>;
  /** Sends `REPORTED_ACCEPTED` or `REQUEST_FAILED` (409 when the version moved on). */
  updateReported: CallbackActorLogic<EventObject, UpdateRequest>;
  /**
   * Idle until the first `POLL`; then long-polls for desired changes, sending `DESIRED_NOTIFIED`
   * for each answer and polling again, until a poll fails (`REQUEST_FAILED`), when it waits for
   * the next `POLL`. A `POLL` while polling only updates what the next poll carries.
   */
  watchDesired: CallbackActorLogic<EventObject, unknown>;
  /** The device as the reported part shows it, read at the moment it is sent. */
  summarize: (system: ActorSystem<any>) => StatePart;
  /**
   * What the device runs for the desired keys it acts on (the logger's level, which an operator's
   * override or the configuration may hold apart from the desired one), read when sent.
   */
  running: (system: ActorSystem<any>) => StatePart;
}

function failureText(event: Failure): string {
  return event.status ? `${event.error} (HTTP ${event.status})` : event.error;
}

/**
 * The desired keys the device acts on, echoed in reported once applied: with the value the device
 * runs (`running`) where it knows one, so reported never claims a level the logger does not run.
 */
function appliedOf(desired: StatePart, running: StatePart): StatePart {
  const applied: StatePart = {};
  const keys = Object.keys(DESIRED_EVENTS);
  for (let i = 0; i < keys.length; i++) {
    if (desired[keys[i]] === undefined) continue;
    applied[keys[i]] = running[keys[i]] !== undefined ? running[keys[i]] : desired[keys[i]];
  }
  return applied;
}

export function createStateMachine(effects: StateEffects) {
  const documentUrl = (c: StateContext) =>
    `${c.stateUrl}/v1/state/${c.tenant}/${c.ns}/${c.deviceId}`;
  const request = (c: StateContext): StateRequest => ({
    url: documentUrl(c),
    token: c.token ?? "",
    timeoutMs: c.settings.requestTimeoutMs,
  });

  return setup({
    types: {
      context: {} as StateContext,
      events: {} as StateEvent,
      input: {} as StateInput,
    },
    actors: {
      fetchState: effects.fetchState,
      updateReported: effects.updateReported,
      watchDesired: effects.watchDesired,
    },
    actions: {
      log: logAction("state"),
      markChanged: assign({ changes: ({ context }) => context.changes + 1 }),
      keepToken: assign(({ context, event }) => {
        const e = event as Extract<StateEvent, { type: "TOKEN" }>;
        return { token: e.token, tenant: e.tenant, ns: e.ns, changes: context.changes + 1 };
      }),
      /**
       * Applies a desired part with its version, when newer than the one held: each key the
       * table maps whose value changed becomes an event for the parent.
       */
      applyDesired: enqueueActions(({ context, event, enqueue, system }) => {
        const e = event as Extract<StateEvent, { type: "STATE_FETCHED" | "DESIRED_NOTIFIED" }>;
        if (context.version !== null && e.version < context.version) return;
        const keys = Object.keys(DESIRED_EVENTS);
        const acted: string[] = [];
        for (let i = 0; i < keys.length; i++) {
          const value = e.desired[keys[i]];
          if (value === undefined || jsonEqual(value, context.desired[keys[i]])) continue;
          acted.push(keys[i]);
          enqueue.sendParent(DESIRED_EVENTS[keys[i]](value));
        }
        const differs = !jsonEqual(e.desired, context.desired);
        enqueue.assign({
          version: e.version,
          desired: e.desired,
          changes: context.changes + (differs ? 1 : 0),
        });
        if (differs) {
          enqueue(() =>
            logTo(system, "state", {
              level: "info",
              msg: `desired version ${e.version} applied`,
              fields: { acted },
            }),
          );
        }
      }),
      /** The server's reported part under the device's own: keys only the server holds stay. */
      mergeReported: assign(({ context, event }) => {
        const e = event as Extract<StateEvent, { type: "STATE_FETCHED" }>;
        return {
          reported: Object.assign({}, e.reported, context.reported),
          rejected: false,
          lastError: null,
        };
      }),
      buildReported: assign(({ context, system }) => ({
        reported: Object.assign(
          {},
          context.reported,
          effects.summarize(system),
          appliedOf(context.desired, effects.running(system)),
        ),
      })),
      accept: assign(({ context, event }) => {
        const e = event as Extract<StateEvent, { type: "REPORTED_ACCEPTED" }>;
        return {
          version: Math.max(context.version ?? 0, e.version),
          acked: Math.max(context.acked, e.changes),
          conflicts: 0,
          rejected: false,
          retry: 0,
          lastError: null,
        };
      }),
      poll: sendTo("changes", ({ context }) => ({
        type: "POLL" as const,
        url: documentUrl(context),
        token: context.token ?? "",
        timeoutMs: context.settings.longPollMs + context.settings.requestTimeoutMs,
        after: context.version ?? 0,
        waitMs: context.settings.longPollMs,
      })),
      rejectToken: enqueueActions(({ enqueue }) => {
        enqueue(reportTokenRejected);
        enqueue.assign({ rejected: true, token: null, lastError: "token refused (HTTP 401)" });
      }),
      noteFailure: enqueueActions(({ event, enqueue, system }) => {
        const e = event as Failure;
        enqueue.assign({ lastError: failureText(e) });
        enqueue(() =>
          logTo(system, "state", { level: "warn", msg: `${e.request} failed: ${failureText(e)}` }),
        );
      }),
      wentUp: assign({ online: true, changes: ({ context }) => context.changes + 1 }),
      wentDown: assign({ online: false, changes: ({ context }) => context.changes + 1 }),
      lostToken: assign({ token: null, changes: ({ context }) => context.changes + 1 }),
      chooseBackoff: assign(({ context }) =>
        Object.assign(
          { conflicts: 0 },
          nextBackoff(context, context.settings.retryBaseMs, context.settings.retryCapMs),
        ),
      ),
    },
    guards: {
      online: ({ context }) => context.online,
      hasToken: ({ context }) => context.token !== null,
      dirty: ({ context }) => context.changes > context.acked,
      newer: ({ context, event }) =>
        context.version === null || (event as { version: number }).version > context.version,
      firstRefusal: ({ context, event }) => (event as Failure).status === 401 && !context.rejected,
      conflict: ({ event }) => (event as Failure).status === 409,
      conflictRetry: ({ context, event }) =>
        (event as Failure).status === 409 &&
        context.conflicts < context.settings.maxConflictRetries,
      retryingConflict: ({ context }) => context.conflicts > 0 && context.changes > context.acked,
    },
    delays: {
      debounce: ({ context }) => context.settings.debounceMs,
      backoffDelay: ({ context }) => context.backoffMs,
    },
  }).createMachine({
    id: "state",
    context: ({ input }) => {
      const merged = mergeStateSettings(STATE_DEFAULTS, input.settings ?? {});
      return {
        deviceId: input.deviceId,
        stateUrl: input.stateUrl,
        settings: "error" in merged ? STATE_DEFAULTS : merged.settings,
        seed: seedFrom(input.seed),
        retry: 0,
        backoffMs: 0,
        token: null,
        tenant: null,
        ns: null,
        online: true,
        version: null,
        reported: null,
        desired: {},
        // The server's reported part is from before this boot: the first sync sends it.
        changes: 1,
        acked: 0,
        conflicts: 0,
        rejected: false,
        lastError: "error" in merged ? `settings refused: ${merged.error}` : null,
      };
    },
    initial: "waiting",
    on: {
      PING: { actions: answerPing },
      CONFIGURE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const result = mergeStateSettings(context.settings, event.settings);
          if ("error" in result) enqueue.assign({ lastError: `settings refused: ${result.error}` });
          const settings = acceptSettings(result, enqueue, "state");
          if (settings !== null) enqueue.assign({ settings });
        }),
      },
      CONFIG_UPDATED: { actions: "markChanged" },
      // The logger runs another level: reported shows the one it runs.
      LOG_LEVEL: { actions: "markChanged" },
      // A new token or a reconnect: notifications may have been missed, so a new spell starts
      // with a full fetch.
      TOKEN: [
        { guard: "online", target: ".connected", reenter: true, actions: "keepToken" },
        { actions: "keepToken" },
      ],
      NETWORK_UP: [
        { guard: "hasToken", target: ".connected", reenter: true, actions: "wentUp" },
        { actions: "wentUp" },
      ],
      NETWORK_DOWN: { target: ".waiting", actions: "wentDown" },
      TOKEN_LOST: { target: ".waiting", actions: "lostToken" },
    },
    states: {
      waiting: {},
      connected: {
        invoke: { id: "changes", src: "watchDesired" },
        initial: "fetching",
        on: {
          DESIRED_NOTIFIED: [
            { guard: "newer", actions: "applyDesired" },
            {
              actions: {
                type: "log",
                params: ({ context, event }) => ({
                  level: "debug",
                  msg: `notification version ${event.version} ignored: version ${context.version} applied`,
                }),
              },
            },
          ],
          REQUEST_FAILED: [
            { guard: "firstRefusal", target: "waiting", actions: "rejectToken" },
            {
              guard: "conflictRetry",
              target: ".fetching",
              actions: [
                assign({ conflicts: ({ context }) => context.conflicts + 1 }),
                {
                  type: "log",
                  params: ({ context }) => ({
                    level: "info",
                    msg: `reported update conflicted (${context.conflicts} in a row): fetching to merge`,
                  }),
                },
              ],
            },
            {
              guard: "conflict",
              target: ".backoff",
              actions: [
                assign({ lastError: "reported update keeps conflicting" }),
                {
                  type: "log",
                  params: ({ context }) => ({
                    level: "warn",
                    msg: `reported update conflicted ${context.conflicts + 1} times in a row: backing off`,
                  }),
                },
              ],
            },
            { target: ".backoff", actions: "noteFailure" },
          ],
        },
        states: {
          fetching: {
            invoke: { src: "fetchState", input: ({ context }) => request(context) },
            on: {
              STATE_FETCHED: [
                {
                  guard: "retryingConflict",
                  target: "updating",
                  actions: ["applyDesired", "mergeReported"],
                },
                { target: "synced", actions: ["applyDesired", "mergeReported"] },
              ],
            },
          },
          synced: {
            tags: READY,
            entry: [
              "poll",
              assign(({ context }) => (context.changes > context.acked ? {} : { retry: 0 })),
            ],
            always: { guard: "dirty", target: "debouncing" },
          },
          debouncing: {
            tags: READY,
            after: { debounce: "updating" },
          },
          updating: {
            tags: READY,
            entry: "buildReported",
            invoke: {
              src: "updateReported",
              input: ({ context }) =>
                Object.assign(request(context), {
                  version: context.version ?? 0,
                  reported: context.reported ?? {},
                  changes: context.changes,
                }),
            },
            on: {
              REPORTED_ACCEPTED: { target: "synced", actions: "accept" },
            },
          },
          backoff: {
            entry: [
              "chooseBackoff",
              {
                type: "log",
                params: ({ context }) => ({
                  level: "info",
                  msg: `fetching again in ${context.backoffMs} ms (retry ${context.retry})`,
                }),
              },
            ],
            after: { backoffDelay: "fetching" },
          },
        },
      },
    },
  });
}

export type StateMachine = ReturnType<typeof createStateMachine>;
