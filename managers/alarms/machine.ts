/**
 * AlarmManager: every alarm a manager raises reaches the AlarmServer, once, or is accounted for.
 *
 * `ALARM {alarm}` (from any manager, routed by the controller) is deduplicated by type and
 * source: a repeat is counted (with first and last seen) on the buffered entry of that key that
 * has not been sent yet. A sent entry is sealed (its content must stay what the server may
 * already hold under its idempotency key), so a repeat after it opens a new entry. Within
 * `dedupWindowMs` of the first report of a key, that new entry waits for the window's end: a key
 * reported without pause reaches the server about twice per window, at once and then counted.
 *
 * The buffer holds at most `maxBuffered` entries and is kept in flash (`alarms.json`, written
 * by the actors), rewritten when an entry is added, removed or acknowledged; repeats are only counted in RAM
 * and written at most once per `REPEAT_FLUSH_MS`, so a flood does not wear the flash out (a
 * power loss forgets at most that long of repeat counts, never an alarm). Entries read back at
 * boot count as sealed, since they may have been sent. On overflow the lowest severity goes
 * first, oldest first, and a synthetic `alarms-dropped` entry counts how many went.
 *
 * With a token (`TOKEN`, `TOKEN_LOST`, routed by the controller) the due entries go, most severe
 * first, in batches of `batchSize`, each under the idempotency key it got when raised and keeps
 * across retries and reboots. An entry leaves the buffer only when the server acknowledges its
 * key. Failures (network, timeout, error status, an answer that is not an acknowledgement of
 * the batch) are retried after a full-jitter backoff drawn from a seeded generator in context.
 * A 401 sends `TOKEN_REJECTED` once per token, and delivery waits for the next one. Two states
 * only (`idle`, `sending`): waits (backoff, due times) are delayed `WAKE`s, after which `idle`
 * looks again, rather than states of their own (each costs RAM on the device).
 *
 * `ACKNOWLEDGE {keys}` (an operator, through the device API) marks buffered entries as seen:
 * they are still delivered. Ready once the buffer is loaded, i.e. always: delivery trouble is
 * in `lastError` and the counters, not in readiness.
 *
 * The bookkeeping (deduplication, overflow, what goes in the next batch) is the ledger's
 * (`ledger.ts`, pure functions over `Ledger`); this file is the statechart that drives it.
 */
import {
  assign,
  type CallbackActorLogic,
  type EventObject,
  enqueueActions,
  sendParent,
  setup,
} from "xstate";
import { type BackoffState, nextBackoff } from "../../runtime/backoff.js";
import { nextSeed, seedFrom } from "../../runtime/random.js";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import {
  type AlarmEvent,
  acceptSettings,
  answerPing,
  logAction,
  logTo,
  type PingEvent,
  READY,
} from "../supervision.js";
import {
  ALARMS_SOURCE,
  alarmProblem,
  type BufferedAlarm,
  counted,
  type Ledger,
  nextBatch,
  recordAlarm,
  trimBuffer,
} from "./ledger.js";
import { alarmSettings } from "./settings.js";

export interface AlarmSettings {
  /** A repeat within this long of a key's first report is counted, not sent on its own. */
  dedupWindowMs: number;
  maxBuffered: number;
  batchSize: number;
  requestTimeoutMs: number;
  retryBaseMs: number;
  retryCapMs: number;
}

export const ALARM_DEFAULTS: AlarmSettings = settingsDefaults(alarmSettings);

/** Repeats are written to flash at most this often. */
export const REPEAT_FLUSH_MS = 10_000;

/** The synthetic alarm raised when the buffer in flash could not be read back. */
export const LOST_TYPE = "alarms-lost";

/** Raised when the flash refuses the alarm buffer: alarms are then held in RAM only. */
export const FLASH_FAILING_TYPE = "flash-failing";

/** The buffer as flash keeps it, read back at boot. */
export interface StoredAlarms {
  /** The sequence number of the next key. */
  next: number;
  alarms: BufferedAlarm[];
  /** Why some or all of it could not be read back, or null. */
  problem: string | null;
}

export interface DeliverInput {
  url: string;
  token: string;
  alarms: BufferedAlarm[];
  timeoutMs: number;
}

export type AlarmManagerEvent =
  | AlarmEvent
  | { type: "ACKNOWLEDGE"; keys: string[] }
  | { type: "CONFIGURE"; settings: Partial<AlarmSettings> }
  | { type: "TOKEN"; token: string }
  | { type: "TOKEN_LOST" }
  | { type: "ALARMS_DELIVERED"; acknowledged: string[] }
  | { type: "ALARMS_FAILED"; error: string; status?: number; token: string; keys: string[] }
  /** A delayed wake-up: counted repeats are written, and `idle` looks at what is due. */
  | { type: "WAKE" }
  /** Writes the repeats counted since the last write: one is pending while `dirty`. */
  | { type: "FLUSH" }
  | { type: "PERSISTED"; ok: boolean }
  | PingEvent;

export interface AlarmInput {
  alarmsUrl: string;
  seed: number;
  /**
   * Drawn from the board's unseeded random source at every boot (`keyPrefix`), never from the
   * seed: a simulation run again with its seed, or a device that lost `alarms.json` and with it
   * the sequence, must not make keys the server already holds.
   */
  keyPrefix: string;
  settings?: Partial<AlarmSettings>;
}

export interface AlarmContext extends BackoffState, Ledger {
  alarmsUrl: string;
  settings: AlarmSettings;
  /** Drawn at boot: keys of different boots differ even if flash lost the sequence. */
  prefix: string;
  token: string | null;
  /** The last token a 401 refused: not used again. */
  rejectedToken: string | null;
  /** No batch before this time: the backoff after a failure. */
  retryAt: number;
  /** The keys of the batch under way. */
  inFlight: string[];
  /**
   * A batch was refused as malformed (400, 413, 422): alarms go one at a time until one is
   * delivered, so the one the server will never take is found and the others still go.
   */
  isolating: boolean;
  /** Times in a row the alarm sent alone while isolating was refused: dropped at the third. */
  refusals: number;
  /** A `FLUSH` is pending, to write repeats counted since it was raised (never two at once). */
  dirty: boolean;
  /** The last write was refused (full flash): said once, and once when it passes again. */
  persistFailing: boolean;
  lastError: string | null;
}

export interface AlarmEffects {
  /** Reads the buffer kept in flash; called once, at start. */
  load: () => StoredAlarms;
  /** Replaces the buffer kept in flash; false when the flash refused it. */
  persist: (next: number, alarms: BufferedAlarm[]) => boolean;
  /** The time stamped on alarms and compared with their due times. */
  now: () => number;
  /** Posts one batch: sends `ALARMS_DELIVERED` or `ALARMS_FAILED`. */
  deliver: CallbackActorLogic<EventObject, DeliverInput>;
}

/** Refusals in a row of one alarm sent alone before it is dropped. */
export const REFUSALS_TO_DROP = 3;

/** `changes` merged over `current` and checked as a whole, or the first error naming its field. */
export function mergeAlarmSettings(
  current: AlarmSettings,
  changes: Partial<AlarmSettings>,
): SettingsMerge<AlarmSettings> {
  return mergeSettings(current, changes, alarmSettings);
}

export function createAlarmMachine(effects: AlarmEffects) {
  return setup({
    types: {
      context: {} as AlarmContext,
      events: {} as AlarmManagerEvent,
      input: {} as AlarmInput,
    },
    actors: { deliver: effects.deliver },
    actions: {
      log: logAction("alarms"),
      /**
       * Writes the buffer; the context already says it is clean. Only a change of outcome comes
       * back (`PERSISTED`), so a full flash is said once, not once per alarm.
       */
      persist: ({ context, self }) => {
        const ok = effects.persist(context.next, context.buffer);
        if (ok === context.persistFailing) self.send({ type: "PERSISTED", ok });
      },
      /** Takes a report, or refuses it with why; new entries are written at once, repeats later. */
      record: enqueueActions(({ context, event, enqueue, system }) => {
        const alarm = (event as AlarmEvent).alarm;
        const problem = alarmProblem(alarm);
        if (problem !== null) {
          enqueue(() =>
            logTo(system, "alarms", {
              level: "error",
              msg: `alarm refused: ${problem}`,
              fields: { alarm },
            }),
          );
          return;
        }
        const now = effects.now();
        const result = recordAlarm(context, alarm, now, context.settings, context.prefix);
        const ledger = {
          buffer: result.buffer,
          counters: result.counters,
          windows: result.windows,
          next: result.next,
        };
        if (result.repeat) {
          enqueue.assign(Object.assign(ledger, { dirty: true }));
          if (!context.dirty) enqueue.raise({ type: "FLUSH" }, { delay: REPEAT_FLUSH_MS });
          return;
        }
        enqueue.assign(ledger);
        enqueue("persist");
        const added = result.buffer[result.buffer.length - 1];
        if (added.dueAt > now) enqueue.raise({ type: "WAKE" }, { delay: added.dueAt - now });
        if (result.lost.length > 0) {
          enqueue(() =>
            logTo(system, "alarms", {
              level: "warn",
              msg: `buffer full: dropped ${result.lost.length} alarm(s)`,
              fields: { dropped: result.lost.map((e) => `${e.severity} ${e.type}@${e.source}`) },
            }),
          );
        }
      }),
      /** The batch to send now: sealed, since the server may keep it from this moment. */
      sealBatch: assign(({ context }) => {
        const size = context.isolating ? 1 : context.settings.batchSize;
        const batch = nextBatch(context.buffer, effects.now(), size);
        const keys = batch.map((e) => e.key);
        return {
          inFlight: keys,
          buffer: context.buffer.map((e) =>
            keys.indexOf(e.key) >= 0 && !e.sealed ? Object.assign({}, e, { sealed: true }) : e,
          ),
        };
      }),
      takeAcknowledged: enqueueActions(({ context, event, enqueue }) => {
        const acked = (event as Extract<AlarmManagerEvent, { type: "ALARMS_DELIVERED" }>)
          .acknowledged;
        const buffer = context.buffer.filter((e) => acked.indexOf(e.key) < 0);
        const delivered = context.buffer.length - buffer.length;
        enqueue.assign({
          buffer,
          counters: counted(context.counters, buffer, {
            delivered: context.counters.delivered + delivered,
          }),
          retry: 0,
          retryAt: 0,
          isolating: false,
          refusals: 0,
          lastError: null,
        });
        enqueue("persist");
        enqueue({
          type: "log",
          params: {
            level: "debug",
            msg: `delivered ${delivered} alarm(s), ${buffer.length} pending`,
          },
        });
      }),
      /**
       * The server refused the batch as malformed and may refuse it for good: a batch of several
       * is sent again one at a time; an alarm refused alone three times in a row (with backoff
       * between, in case the server was only confused) is dropped, counted and logged, since
       * keeping it would hold back every alarm behind it for ever.
       */
      isolateOrDrop: enqueueActions(({ context, event, enqueue }) => {
        const failure = event as Extract<AlarmManagerEvent, { type: "ALARMS_FAILED" }>;
        const why = `${failure.error} (HTTP ${failure.status})`;
        if (failure.keys.length > 1) {
          enqueue.assign({ isolating: true, refusals: 0, lastError: why });
          enqueue({
            type: "log",
            params: { level: "warn", msg: `a batch was refused: ${why}; sending one at a time` },
          });
          enqueue.raise({ type: "WAKE" });
          return;
        }
        if (context.refusals + 1 < REFUSALS_TO_DROP) {
          enqueue.assign({ isolating: true, refusals: context.refusals + 1 });
          enqueue("backOff");
          return;
        }
        const buffer = context.buffer.filter((e) => failure.keys.indexOf(e.key) < 0);
        enqueue.assign({
          buffer,
          refusals: 0,
          counters: counted(context.counters, buffer, {
            dropped: context.counters.dropped + (context.buffer.length - buffer.length),
          }),
          lastError: why,
        });
        enqueue("persist");
        enqueue({
          type: "log",
          params: {
            level: "error",
            msg: `alarm ${failure.keys[0]} refused ${REFUSALS_TO_DROP} times: ${why}; dropped`,
          },
        });
        enqueue.raise({ type: "WAKE" });
      }),
      /** Holds delivery back for a full-jitter wait, and wakes up when it is over. */
      backOff: enqueueActions(({ context, event, enqueue }) => {
        const failure = event as Extract<AlarmManagerEvent, { type: "ALARMS_FAILED" }>;
        const error = failure.status ? `${failure.error} (HTTP ${failure.status})` : failure.error;
        const wait = nextBackoff(
          context,
          context.settings.retryBaseMs,
          context.settings.retryCapMs,
        );
        enqueue.assign(
          Object.assign(wait, { retryAt: effects.now() + wait.backoffMs, lastError: error }),
        );
        enqueue.raise({ type: "WAKE" }, { delay: wait.backoffMs });
        enqueue({
          type: "log",
          params: {
            level: "warn",
            msg: `alarm delivery failed: ${error}; ${context.buffer.length} pending, retrying in ${wait.backoffMs} ms`,
          },
        });
      }),
    },
    guards: {
      refusedForGood: ({ event }) => {
        const status = (event as { status?: number }).status;
        return status === 400 || status === 413 || status === 422;
      },
      canSend: ({ context }) => {
        if (context.token === null || context.token === context.rejectedToken) return false;
        const now = effects.now();
        return now >= context.retryAt && context.buffer.some((e) => e.dueAt <= now);
      },
      refusedToken: ({ context, event }) =>
        event.type === "ALARMS_FAILED" &&
        event.status === 401 &&
        event.token !== context.rejectedToken,
    },
  }).createMachine({
    id: "alarms",
    context: ({ input }) => {
      const stored = effects.load();
      const seed = nextSeed(seedFrom(input.seed));
      const buffer = stored.alarms;
      return {
        alarmsUrl: input.alarmsUrl,
        settings: ALARM_DEFAULTS,
        seed,
        retry: 0,
        backoffMs: 0,
        retryAt: 0,
        buffer,
        counters: { raised: 0, deduplicated: 0, delivered: 0, dropped: 0, pending: buffer.length },
        windows: {},
        prefix: input.keyPrefix,
        next: stored.next,
        token: null,
        rejectedToken: null,
        inFlight: [],
        isolating: false,
        refusals: 0,
        dirty: false,
        persistFailing: false,
        lastError: stored.problem,
      };
    },
    // Start-up settings pass the same check as later ones. A buffer that could not be read back
    // is said in the log and raised as an alarm, so the server learns that alarms were lost.
    entry: enqueueActions(({ context, event, enqueue }) => {
      const settings = (event as unknown as { input: AlarmInput }).input.settings;
      if (settings !== undefined) enqueue.raise({ type: "CONFIGURE", settings });
      if (context.lastError !== null) {
        enqueue({
          type: "log",
          params: {
            level: "error",
            msg: `${context.lastError}: starting with ${context.buffer.length} alarm(s) kept`,
          },
        });
        enqueue.raise({
          type: "ALARM",
          alarm: {
            type: LOST_TYPE,
            severity: "error",
            source: ALARMS_SOURCE,
            details: { problem: context.lastError },
          },
        });
      }
    }),
    initial: "idle",
    on: {
      PING: { actions: answerPing },
      ALARM: { actions: "record" },
      TOKEN: { actions: assign({ token: ({ event }) => event.token }) },
      TOKEN_LOST: { actions: assign({ token: null }) },
      // `WAKE` needs no handler: once any event is handled, `idle` looks again at what it can send.
      FLUSH: { actions: [assign({ dirty: false }), "persist"] },
      PERSISTED: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          enqueue.assign({ persistFailing: !event.ok });
          if (event.ok) {
            enqueue({
              type: "log",
              params: { level: "info", msg: "flash writable again: the alarm buffer is kept" },
            });
            return;
          }
          enqueue({
            type: "log",
            params: {
              level: "warn",
              msg: `flash refused the alarm buffer: ${context.buffer.length} alarm(s) held in RAM only, lost on a reboot`,
            },
          });
          // Said to the server too, once per spell: the alarm itself waits in RAM with the rest.
          if (!context.persistFailing) {
            enqueue.raise({
              type: "ALARM",
              alarm: {
                type: FLASH_FAILING_TYPE,
                severity: "error",
                source: ALARMS_SOURCE,
                details: { file: "alarms.json", buffered: context.buffer.length },
              },
            });
          }
          // Tried again later, with whatever changed by then.
          if (!context.dirty) {
            enqueue.assign({ dirty: true });
            enqueue.raise({ type: "FLUSH" }, { delay: REPEAT_FLUSH_MS });
          }
        }),
      },
      ACKNOWLEDGE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const keys = event.keys;
          if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
            enqueue({
              type: "log",
              params: {
                level: "error",
                msg: "ACKNOWLEDGE refused: keys must be a list of strings",
              },
            });
            return;
          }
          const known = context.buffer.filter((e) => keys.indexOf(e.key) >= 0);
          const unknown = keys.filter((k) => !known.some((e) => e.key === k));
          if (known.some((e) => !e.acknowledged)) {
            enqueue.assign({
              buffer: context.buffer.map((e) =>
                keys.indexOf(e.key) >= 0 && !e.acknowledged
                  ? Object.assign({}, e, { acknowledged: true })
                  : e,
              ),
            });
            enqueue("persist");
          }
          enqueue({
            type: "log",
            params: {
              level: "info",
              msg: `acknowledged ${known.length} alarm(s)${unknown.length > 0 ? `; not buffered: ${unknown.join(", ")}` : ""}`,
            },
          });
        }),
      },
      CONFIGURE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const settings = acceptSettings(
            mergeAlarmSettings(context.settings, event.settings),
            enqueue,
            "alarms",
          );
          if (settings === null) return;
          enqueue.assign({ settings });
          const trimmed = trimBuffer(context, settings.maxBuffered, context.prefix, effects.now());
          if (trimmed.lost.length > 0) {
            enqueue.assign({
              buffer: trimmed.buffer,
              counters: trimmed.counters,
              next: trimmed.next,
            });
            enqueue("persist");
          }
          enqueue({
            type: "log",
            params: {
              level: "info",
              msg: `settings applied${trimmed.lost.length > 0 ? `: ${trimmed.lost.length} alarm(s) dropped to fit` : ""}`,
            },
          });
        }),
      },
    },
    states: {
      idle: {
        tags: READY,
        always: { guard: "canSend", target: "sending" },
      },
      sending: {
        tags: READY,
        entry: "sealBatch",
        exit: assign({ inFlight: [] }),
        invoke: {
          src: "deliver",
          input: ({ context }) => ({
            url: `${context.alarmsUrl}/v1/alarms`,
            token: context.token ?? "",
            alarms: context.inFlight.map(
              (key) => context.buffer.find((e) => e.key === key) as BufferedAlarm,
            ),
            timeoutMs: context.settings.requestTimeoutMs,
          }),
        },
        on: {
          ALARMS_DELIVERED: { target: "idle", actions: "takeAcknowledged" },
          ALARMS_FAILED: [
            {
              guard: "refusedToken",
              target: "idle",
              actions: [
                assign({ rejectedToken: ({ event }) => event.token }),
                sendParent(({ event }) => ({ type: "TOKEN_REJECTED", token: event.token })),
                {
                  type: "log",
                  params: {
                    level: "warn",
                    msg: "alarm delivery refused the token: waiting for a new one",
                  },
                },
              ],
            },
            { guard: "refusedForGood", target: "idle", actions: "isolateOrDrop" },
            { target: "idle", actions: "backOff" },
          ],
        },
      },
    },
  });
}

export type AlarmMachine = ReturnType<typeof createAlarmMachine>;
