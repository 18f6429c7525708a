/**
 * TimeSyncManager: sets the device's wall clock from SNTP servers (RFC 4330).
 *
 * A round asks the configured servers in order. Each gets up to `samples` queries, two seconds
 * apart (a burst, as NTP's `iburst`); the accepted sample with the lowest round-trip delay wins,
 * since its offset has the smallest error bound (delay / 2). A rejected answer (kiss-of-death,
 * unsynchronised or bad stratum, forged originate, wrong mode: `runtime/sntp.ts`) is logged with
 * its reason and ends that server's turn, as does a failure to send (an unknown name, the network
 * down); a query that times out (a lost datagram) is retried on the same server until its samples
 * are used up. A server that answered DENY or RSTR is not asked again (RFC 4330 §8) until the
 * configuration names the servers anew; RATE only ends its turn. When a server gave no sample
 * the next is tried;
 * when none did, the round failed and the next one is due after a jittered backoff
 * (15 s, RFC 4330's shortest poll, plus full jitter up to the resync interval), or at once when
 * the network comes up. An offset beyond `stepThresholdMs` steps the wall clock; a smaller one is
 * slewed, so time never jumps for small corrections. Then `TIME_SYNCED {offsetMs, delayMs,
 * server, stratum}` goes to the parent, and the next round is due after `resyncIntervalMs`.
 *
 * States are the clock's status, nothing else, because readiness is read off static tags:
 * `synced` is ready; before the first sync the manager is in `unsynced` (ready) when the
 * configuration does not require a synced clock, and in `awaitingSync` (not ready) when it does,
 * switching between the two by `always` as `requireSync` changes. Three nodes, instead of a
 * querying/backoff/waiting chart doubled for the two readiness rules. The round under way
 * (which server, how many queries, the best sample so far) is data in context, and the next
 * round is one delayed `SYNC` event: the resync interval after success, the backoff after
 * failure. One long-lived client actor does every query.
 *
 * Pure: the network and the clock are reached through `createTimeSyncMachine`'s effects; time
 * enters through the samples' `at` stamps and the `after`/delayed events on the actor's clock.
 */
import { type CallbackActorLogic, enqueueActions, not, raise, setup } from "xstate";
import { fullJitter } from "../../runtime/backoff.js";
import type { LogEntry } from "../../runtime/log.js";
import { nextSeed, seedFrom, unitOf } from "../../runtime/random.js";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import { acceptSettings, answerPing, logAction, type PingEvent, READY } from "../supervision.js";
import { RETRY_FLOOR_MS, timeSyncSettings } from "./settings.js";

export interface NtpServerAddress {
  host: string;
  port: number;
}

export interface TimeSyncSettings {
  servers: NtpServerAddress[];
  /** Queries per server in a round. */
  samples: number;
  /** An offset beyond this steps the clock; one within it is slewed. */
  stepThresholdMs: number;
  resyncIntervalMs: number;
  requestTimeoutMs: number;
  /** Whether the device is ready only once its clock is synced. */
  requireSync: boolean;
}

export const TIMESYNC_DEFAULTS: TimeSyncSettings = settingsDefaults(timeSyncSettings);

/** Apart, the samples of one server: a burst, as NTP's `iburst`, without tripping rate limits. */
export const SAMPLE_SPACING_MS = 2_000;

/** What the manager asks of its client actor. */
export interface SntpQuery {
  type: "QUERY";
  host: string;
  port: number;
  timeoutMs: number;
}

/** An accepted answer. `offsetMs` is relative to the wall clock when it was taken. */
export interface NtpSampleEvent {
  type: "NTP_SAMPLE";
  server: string;
  offsetMs: number;
  delayMs: number;
  stratum: number;
  /** The wall clock's offset from the board clock that would read the server's time. */
  targetOffsetMs: number;
  /** The wall clock when the answer arrived (T4). */
  at: number;
}

export interface NtpFailedEvent {
  type: "NTP_FAILED";
  server: string;
  reason: string;
  /**
   * `lost`: no answer in time (a lost datagram: worth another try); `rejected`: an answer, but
   * unusable; `error`: the query could not go out (unknown name, network down). The last two
   * end the server's turn.
   */
  kind: "lost" | "rejected" | "error";
}

export type TimeSyncEvent =
  | { type: "SYNC" }
  | NtpSampleEvent
  | NtpFailedEvent
  | { type: "CONFIGURE"; settings: Partial<TimeSyncSettings> }
  | { type: "NETWORK_UP" }
  | PingEvent;

/** What the manager tells its parent. */
export interface TimeSyncedReport {
  type: "TIME_SYNCED";
  offsetMs: number;
  delayMs: number;
  server: string;
  stratum: number;
}

export interface TimeSyncInput {
  settings?: Partial<TimeSyncSettings>;
  seed: number;
}

export interface TimeSyncContext {
  settings: TimeSyncSettings;
  seed: number;
  /** Failed rounds since the last sync: the n of the backoff. */
  retry: number;
  backoffMs: number;
  /** The server the round under way is asking; -1 between rounds. */
  serverIndex: number;
  /**
   * Servers that answered DENY or RSTR: RFC 4330 §8 says to stop asking them. Asked again only
   * once the configuration names the servers anew.
   */
  denied: string[];
  /** Queries answered or timed out at that server in this round. */
  attempts: number;
  best: NtpSampleEvent | null;
  /** Once set, the clock stays synced: a failed resync leaves it running on its last correction. */
  synced: boolean;
  /** The last correction applied, and the delay of the sample it came from. */
  offsetMs: number | null;
  delayMs: number | null;
  /** Unix time of the measurement behind the last correction. */
  lastSyncAt: number | null;
  server: string | null;
  stratum: number | null;
  lastError: string | null;
}

export interface TimeSyncEffects {
  /** Answers each `SntpQuery` with `NTP_SAMPLE` or `NTP_FAILED`; a new query abandons the last. */
  sntpClient: CallbackActorLogic<SntpQuery>;
  /** Moves the wall clock's offset to `targetOffsetMs`: stepped, or slewed. */
  setClock: (targetOffsetMs: number, step: boolean) => void;
}

const NEXT_SYNC = "nextSync";
const NEXT_QUERY = "nextQuery";

/** Merges `changes` over `current`; the first problem names its field. */
export function mergeTimeSyncSettings(
  current: TimeSyncSettings,
  changes: Partial<TimeSyncSettings>,
): SettingsMerge<TimeSyncSettings> {
  return mergeSettings(current, changes, timeSyncSettings);
}

const nameOf = (s: NtpServerAddress) => `${s.host}:${s.port}`;

function failureEntry(e: NtpFailedEvent): LogEntry {
  const what = e.kind === "rejected" ? "answer rejected" : "no answer";
  return { level: "warn", msg: `${e.server}: ${what}: ${e.reason}` };
}

/** The first server from `index` on that has not refused this device, or -1. */
function nextAllowed(settings: TimeSyncSettings, denied: readonly string[], index: number): number {
  for (let i = index; i < settings.servers.length; i++) {
    if (denied.indexOf(nameOf(settings.servers[i])) < 0) return i;
  }
  return -1;
}

/** A kiss-of-death that means "never ask me again" (RFC 4330 §8), as against RATE. */
const refusesForGood = (e: NtpFailedEvent) =>
  e.kind === "rejected" &&
  (e.reason.indexOf("kiss-of-death DENY") === 0 || e.reason.indexOf("kiss-of-death RSTR") === 0);

function queryFor(settings: TimeSyncSettings, index: number): SntpQuery {
  const server = settings.servers[index];
  return {
    type: "QUERY",
    host: server.host,
    port: server.port,
    timeoutMs: settings.requestTimeoutMs,
  };
}

export function createTimeSyncMachine(effects: TimeSyncEffects) {
  return setup({
    types: {
      context: {} as TimeSyncContext,
      events: {} as TimeSyncEvent,
      input: {} as TimeSyncInput,
    },
    actors: { sntpClient: effects.sntpClient },
    actions: {
      log: logAction("timesync"),
      startRound: enqueueActions(({ context, enqueue }) => {
        enqueue.cancel(NEXT_SYNC);
        enqueue.cancel(NEXT_QUERY);
        const first = nextAllowed(context.settings, context.denied, 0);
        if (first < 0) {
          enqueue({
            type: "log",
            params: {
              level: "error",
              msg: "every configured server refused this device: not asking",
            },
          });
          enqueue.assign({ lastError: "every configured server refused this device" });
          return;
        }
        enqueue.assign({ best: null, serverIndex: first, attempts: 0 });
        enqueue.sendTo("sntp", queryFor(context.settings, first));
      }),
      /** The round goes on: another sample from this server, the next server, or it failed. */
      carryOn: enqueueActions(({ context, event, enqueue }) => {
        const e = event as NtpSampleEvent | NtpFailedEvent;
        const attempts = context.attempts + 1;
        let denied = context.denied;
        if (e.type === "NTP_FAILED") {
          enqueue({ type: "log", params: failureEntry(e) });
          if (refusesForGood(e) && denied.indexOf(e.server) < 0) denied = denied.concat(e.server);
          enqueue.assign({ lastError: `${e.server}: ${e.reason}`, denied });
        } else if (context.best === null || e.delayMs < context.best.delayMs) {
          enqueue.assign({ best: e });
        }
        const again = e.type === "NTP_SAMPLE" || e.kind === "lost";
        if (again && attempts < context.settings.samples) {
          enqueue.assign({ attempts });
          enqueue.sendTo("sntp", queryFor(context.settings, context.serverIndex), {
            delay: SAMPLE_SPACING_MS,
            id: NEXT_QUERY,
          });
        } else if (nextAllowed(context.settings, denied, context.serverIndex + 1) >= 0) {
          const next = nextAllowed(context.settings, denied, context.serverIndex + 1);
          enqueue.assign({ serverIndex: next, attempts: 0 });
          enqueue.sendTo("sntp", queryFor(context.settings, next));
        } else {
          const seed = nextSeed(context.seed);
          const cap = Math.max(RETRY_FLOOR_MS, context.settings.resyncIntervalMs - RETRY_FLOOR_MS);
          const backoffMs =
            RETRY_FLOOR_MS + fullJitter(context.retry, RETRY_FLOOR_MS, cap, unitOf(seed));
          enqueue.assign({ serverIndex: -1, seed, retry: context.retry + 1, backoffMs });
          enqueue({
            type: "log",
            params: {
              level: "warn",
              msg: `no server gave a usable time: retrying in ${backoffMs} ms`,
            },
          });
          enqueue.raise({ type: "SYNC" }, { delay: backoffMs, id: NEXT_SYNC });
        }
      }),
      /** Sets the clock from the round's best sample and schedules the next round. */
      applyBest: enqueueActions(({ context, event, enqueue }) => {
        const e = event as NtpSampleEvent | NtpFailedEvent;
        const best =
          e.type === "NTP_SAMPLE" && (context.best === null || e.delayMs < context.best.delayMs)
            ? e
            : (context.best as NtpSampleEvent);
        if (e.type === "NTP_FAILED") enqueue({ type: "log", params: failureEntry(e) });
        const step = Math.abs(best.offsetMs) > context.settings.stepThresholdMs;
        const offset = Math.round(best.offsetMs * 1000) / 1000;
        enqueue(() => effects.setClock(best.targetOffsetMs, step));
        enqueue.assign({
          serverIndex: -1,
          best: null,
          retry: 0,
          synced: true,
          offsetMs: best.offsetMs,
          delayMs: best.delayMs,
          lastSyncAt: best.at + best.offsetMs,
          server: best.server,
          stratum: best.stratum,
          lastError: null,
        });
        enqueue.sendParent({
          type: "TIME_SYNCED",
          offsetMs: best.offsetMs,
          delayMs: best.delayMs,
          server: best.server,
          stratum: best.stratum,
        } satisfies TimeSyncedReport);
        // Logged after the correction: this line already carries the corrected time.
        enqueue({
          type: "log",
          params: {
            level: "info",
            msg: `clock ${step ? "stepped" : "slewing"} by ${offset} ms from ${best.server} (stratum ${best.stratum}, delay ${Math.round(best.delayMs * 1000) / 1000} ms)`,
          },
        });
        enqueue.raise(
          { type: "SYNC" },
          { delay: context.settings.resyncIntervalMs, id: NEXT_SYNC },
        );
      }),
    },
    guards: {
      syncRequired: ({ context }) => context.settings.requireSync,
      /** An answer from the server the round is asking (a reconfiguration may have moved on). */
      inRound: ({ context, event }) => {
        const server = context.settings.servers[context.serverIndex];
        return (
          server !== undefined &&
          (event as NtpSampleEvent | NtpFailedEvent).server === nameOf(server)
        );
      },
      /** This answer ends the round with a sample to apply. */
      roundWon: ({ context, event }) => {
        const e = event as NtpSampleEvent | NtpFailedEvent;
        if (e.type === "NTP_SAMPLE") return context.attempts + 1 >= context.settings.samples;
        return (
          context.best !== null &&
          (e.kind !== "lost" || context.attempts + 1 >= context.settings.samples)
        );
      },
      idleAndUnsynced: ({ context }) => context.serverIndex < 0 && !context.synced,
    },
  }).createMachine({
    id: "timesync",
    context: ({ input }) => {
      const merged = mergeTimeSyncSettings(TIMESYNC_DEFAULTS, input.settings ?? {});
      return {
        settings: "error" in merged ? TIMESYNC_DEFAULTS : merged.settings,
        seed: seedFrom(input.seed),
        retry: 0,
        backoffMs: 0,
        serverIndex: -1,
        denied: [],
        attempts: 0,
        best: null,
        synced: false,
        offsetMs: null,
        delayMs: null,
        lastSyncAt: null,
        server: null,
        stratum: null,
        lastError: "error" in merged ? `settings refused: ${merged.error}` : null,
      };
    },
    invoke: { id: "sntp", src: "sntpClient" },
    // Raised, not run: the client actor is spawned after the entry actions.
    entry: raise({ type: "SYNC" }),
    initial: "unsynced",
    on: {
      PING: { actions: answerPing },
      SYNC: { actions: "startRound" },
      NETWORK_UP: { guard: "idleAndUnsynced", actions: "startRound" },
      NTP_SAMPLE: [
        { guard: not("inRound") },
        { guard: "roundWon", target: ".synced", actions: "applyBest" },
        { actions: "carryOn" },
      ],
      NTP_FAILED: [
        { guard: not("inRound") },
        { guard: "roundWon", target: ".synced", actions: "applyBest" },
        { actions: "carryOn" },
      ],
      CONFIGURE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const result = mergeTimeSyncSettings(context.settings, event.settings);
          if ("error" in result) enqueue.assign({ lastError: `settings refused: ${result.error}` });
          const settings = acceptSettings(result, enqueue, "timesync");
          if (settings === null) return;
          // Servers named anew may be asked again, even one that once refused.
          enqueue.assign({ settings, denied: [] });
          enqueue({ type: "log", params: { level: "info", msg: "settings applied" } });
          // A round under way may be asking a server no longer configured: start it again.
          if (context.serverIndex >= 0) enqueue.raise({ type: "SYNC" });
        }),
      },
    },
    states: {
      unsynced: {
        tags: READY,
        always: { guard: "syncRequired", target: "awaitingSync" },
      },
      awaitingSync: {
        always: { guard: not("syncRequired"), target: "unsynced" },
      },
      synced: { tags: READY },
    },
  });
}

export type TimeSyncMachine = ReturnType<typeof createTimeSyncMachine>;
