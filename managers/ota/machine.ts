/**
 * OtaManager: takes a new firmware into the slot not running, boots it on trial, and keeps it
 * only if it runs well; otherwise the boot stub goes back to the slot that did.
 *
 * `surveying → idle → checking → preparing → downloading ⇄ retrying → verifying → staged →
 * rebooting`; after the boot into the new slot, `trial → committed | rollingBack`, and after the
 * boot back into the old one, `rolledBack`. The survey reads what the flash says at boot: a trial
 * (the stub loaded an uncommitted slot), a rollback (the other slot is newer, uncommitted and was
 * given up), a download to resume, or nothing. A check is asked for by the schedule
 * (`checkIntervalMs`), by the desired state (`FIRMWARE_DESIRED`) or by an operator (`CHECK`,
 * from the API); the offer is judged by the effects (signature with the device's key, fields,
 * downgrade, boot stub, versions rolled back from) and a refusal is logged and alarmed.
 *
 * A download survives anything: each chunk is written at its offset with its progress mark, so
 * a drop backs off with full jitter and resumes at the first chunk not marked, and a reboot
 * resumes from the survey. The image is hashed from flash, yielding between chunks, before its
 * slot gets a marker (`staged`), and only a marked slot is ever booted.
 *
 * On trial the slot is committed once every manager required for readiness is ready and the
 * update service answered (`HEALTHY`, `REACHED`), within `commitTimeoutMs`; otherwise the slot's
 * attempts are used up and the device reboots into the previous slot (`rollingBack`). A crash or
 * a reset on trial gets the stub's attempts. The version rolled back from is never taken again.
 *
 * Context others read: `running` (version), `target` (the release under way), `written` (bytes
 * of it in flash), `results` (a count per outcome: committed, rolledBack, refused, failed; the
 * API's `/metrics` publishes it), `lastResult`, `lastError`.
 */
import {
  type ActorSystem,
  type AnyActorRef,
  assign,
  type CallbackActorLogic,
  type EventObject,
  enqueueActions,
  setup,
} from "xstate";
import { nextBackoff } from "../../runtime/backoff.js";
import type { Manifest } from "../../runtime/otaManifest.js";
import { seedFrom } from "../../runtime/random.js";
import {
  alarmEvent,
  answerPing,
  LOGGER_ID,
  logAction,
  logTo,
  type PingEvent,
  READY,
} from "../supervision.js";

export interface OtaSettings {
  checkIntervalMs: number;
  commitTimeoutMs: number;
  requestTimeoutMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** The largest image this board takes (its free flash is checked too). */
  maxImageBytes: number;
}

export const OTA_DEFAULTS: OtaSettings = {
  checkIntervalMs: 6 * 3600_000,
  commitTimeoutMs: 120_000,
  requestTimeoutMs: 10_000,
  retryBaseMs: 2_000,
  retryCapMs: 600_000,
  maxImageBytes: 512 * 1024,
};

/** What the flash said at boot. */
export interface Survey {
  type: "SURVEYED";
  running: string;
  /** The stub loaded an uncommitted slot: this boot is its trial. */
  trial: boolean;
  /** The version given up by the boot stub, seen for the first time since. */
  rolledBackFrom: string | null;
  rolledBack: string[];
  /** A download to resume, and how much of it is in flash. */
  resume: Manifest | null;
  written: number;
}

/** Who asked for the check under way: `schedule`, `desired`, or the operator's token subject. */
export type Trigger = string;

export type OtaEvent =
  | Survey
  | { type: "CHECK"; by: string }
  | { type: "FIRMWARE_DESIRED"; firmware: unknown }
  | { type: "OFFER"; manifest: Manifest }
  | { type: "UP_TO_DATE" }
  | { type: "REFUSED"; error: string }
  | { type: "FAILED"; error: string }
  | { type: "PREPARED"; written: number }
  | { type: "PROGRESS"; written: number }
  | { type: "DOWNLOADED" }
  | { type: "DOWNLOAD_FAILED"; error: string }
  | { type: "VERIFIED" }
  | { type: "STAGED" }
  | { type: "HEALTHY" }
  | { type: "REACHED" }
  | { type: "TOKEN"; token: string }
  | { type: "TOKEN_LOST" }
  | { type: "NETWORK_UP" }
  | { type: "NETWORK_DOWN" }
  | PingEvent;

export interface OtaInput {
  seed: number;
  settings?: Partial<OtaSettings>;
}

export interface OtaContext {
  settings: OtaSettings;
  token: string | null;
  networkUp: boolean;
  running: string;
  target: Manifest | null;
  written: number;
  /** The version the desired state asks for, until it runs. */
  wanted: string | null;
  trigger: Trigger;
  rolledBack: string[];
  healthy: boolean;
  reached: boolean;
  results: Record<string, number>;
  lastResult: string | null;
  lastError: string | null;
  seed: number;
  retry: number;
  backoffMs: number;
}

export interface CheckInput {
  token: string;
  running: string;
  wanted: string | null;
  rolledBack: string[];
  settings: OtaSettings;
}

export interface DownloadInput {
  token: string;
  manifest: Manifest;
  written: number;
  timeoutMs: number;
}

export interface OtaEffects {
  /** Reads the flash at boot: `SURVEYED`. */
  survey: CallbackActorLogic<EventObject, { maxImageBytes: number }>;
  /** Asks the update service: `OFFER`, `UP_TO_DATE`, `REFUSED` (judged bad) or `FAILED`. */
  check: CallbackActorLogic<EventObject, CheckInput>;
  /** Frees and makes the slot and its progress file: `PREPARED` or `REFUSED` (no room). */
  prepare: CallbackActorLogic<EventObject, { manifest: Manifest }>;
  /** Chunks from `written` on: `PROGRESS`..., then `DOWNLOADED`, or `DOWNLOAD_FAILED`/`REFUSED`. */
  download: CallbackActorLogic<EventObject, DownloadInput>;
  /** Hashes the slot from flash, yielding between chunks: `VERIFIED` or `REFUSED` (discarded). */
  verify: CallbackActorLogic<EventObject, { manifest: Manifest }>;
  /** Gives the slot its marker: `STAGED` or `FAILED`. */
  stage: CallbackActorLogic<EventObject, { manifest: Manifest }>;
  /** On trial: `HEALTHY` once every manager required for readiness is ready. */
  watchHealth: CallbackActorLogic<EventObject, undefined>;
  /** On trial, with a token: `REACHED` once the update service answered. */
  reach: CallbackActorLogic<
    EventObject,
    { token: string | null; running: string; timeoutMs: number }
  >;
  /** Marks the running slot good for good. */
  commit: () => void;
  /**
   * Uses up the running slot's attempts, so the next boot loads the previous one; false (nothing
   * done) when there is no committed previous slot to go back to.
   */
  abandon: () => boolean;
  reboot: (reason: string) => void;
}

const count = (results: Record<string, number>, result: string) => {
  const next = Object.assign({}, results);
  next[result] = (next[result] || 0) + 1;
  return next;
};

/** An update refused, failed or rolled back: logged, counted, alarmed; nothing is booted. */
function outcome(result: string) {
  return enqueueActions<OtaContext, OtaEvent, any, any, any, any, any, any, any>(
    ({ context, event, enqueue, system }) => {
      const error = (event as { error?: string }).error ?? context.lastError ?? result;
      const version = context.target ? context.target.version : (event as Survey).rolledBackFrom;
      enqueue.assign({
        results: count(context.results, result),
        lastResult: result,
        lastError: error,
        target: null,
        written: 0,
      });
      enqueue(() =>
        logTo(system, "ota", {
          level: "error",
          msg: `update ${result}: ${error}`,
          fields: { version },
        }),
      );
      enqueue.sendParent(alarmEvent(`ota-${result}`, "error", "ota", { error, version }));
    },
  );
}

/** One record in the audit trail: what happened to an update, and who asked for it. */
function audit(what: string) {
  return ({ context, system }: { context: OtaContext; system: ActorSystem<any> }) => {
    const logger = system.get(LOGGER_ID) as AnyActorRef | undefined;
    logger?.send({
      type: "AUDIT",
      record: {
        who: context.trigger,
        what,
        result: context.lastResult ?? "",
        fields: { version: context.target?.version ?? null, running: context.running },
      },
    });
  };
}

export function createOtaMachine(effects: OtaEffects) {
  return setup({
    types: {
      context: {} as OtaContext,
      events: {} as OtaEvent,
      input: {} as OtaInput,
    },
    actors: {
      survey: effects.survey,
      check: effects.check,
      prepare: effects.prepare,
      download: effects.download,
      verify: effects.verify,
      stage: effects.stage,
      watchHealth: effects.watchHealth,
      reach: effects.reach,
    },
    actions: {
      log: logAction("ota"),
      takeWanted: assign({
        wanted: ({ event }) => (event as { firmware: { version: string } }).firmware.version,
      }),
      takeSurvey: assign(({ event }) => {
        const survey = event as Survey;
        return {
          running: survey.running,
          rolledBack: survey.rolledBack,
          target: survey.resume,
          written: survey.written,
          lastError: survey.rolledBackFrom
            ? `${survey.rolledBackFrom} failed its trial: back on ${survey.running}`
            : null,
        };
      }),
      refused: outcome("refused"),
      failed: outcome("failed"),
      reportRollback: outcome("rolledBack"),
      auditStaged: audit("ota-staged"),
      auditCommitted: audit("ota-committed"),
      auditRollback: audit("ota-rolled-back"),
    },
    guards: {
      canCheck: ({ context }) => context.networkUp && context.token !== null,
      // A check for the desired version is made when it arrives, and again with each new token
      // while it is pending (a failed check keeps it): never in a loop of its own.
      wantedPending: ({ context }) => context.wanted !== null && context.networkUp,
      isTrial: ({ event }) => (event as Survey).trial,
      wasRolledBack: ({ event }) => (event as Survey).rolledBackFrom !== null,
      resumes: ({ event }) => (event as Survey).resume !== null,
      newWanted: ({ context, event }) => {
        const v = (event as { firmware: unknown }).firmware as { version?: unknown } | null;
        return (
          !!v &&
          typeof v.version === "string" &&
          v.version !== context.running &&
          context.rolledBack.indexOf(v.version) < 0
        );
      },
      healthyAndReached: ({ context }) => context.healthy && context.reached,
    },
    delays: {
      checkInterval: ({ context }) => context.settings.checkIntervalMs,
      commitTimeout: ({ context }) => context.settings.commitTimeoutMs,
      backoff: ({ context }) => context.backoffMs,
    },
  }).createMachine({
    id: "ota",
    context: ({ input }) => ({
      settings: Object.assign({}, OTA_DEFAULTS, input.settings),
      token: null,
      networkUp: false,
      running: "",
      target: null,
      written: 0,
      wanted: null,
      trigger: "schedule",
      rolledBack: [],
      healthy: false,
      reached: false,
      results: {},
      lastResult: null,
      lastError: null,
      seed: seedFrom(input.seed),
      retry: 0,
      backoffMs: 0,
    }),
    initial: "surveying",
    on: {
      PING: { actions: answerPing },
      TOKEN: { actions: assign({ token: ({ event }) => event.token }) },
      TOKEN_LOST: { actions: assign({ token: null }) },
      NETWORK_UP: { actions: assign({ networkUp: true }) },
      NETWORK_DOWN: { actions: assign({ networkUp: false }) },
      // Kept whatever the state: taken up when the manager is next idle.
      FIRMWARE_DESIRED: { guard: "newWanted", actions: "takeWanted" },
    },
    states: {
      surveying: {
        invoke: {
          src: "survey",
          input: ({ context }) => ({ maxImageBytes: context.settings.maxImageBytes }),
        },
        on: {
          SURVEYED: [
            { guard: "isTrial", target: "trial", actions: "takeSurvey" },
            { guard: "wasRolledBack", target: "rolledBack", actions: "takeSurvey" },
            { guard: "resumes", target: "downloading", actions: "takeSurvey" },
            { target: "idle", actions: "takeSurvey" },
          ],
        },
      },
      idle: {
        tags: READY,
        after: {
          checkInterval: [
            { guard: "canCheck", target: "checking", actions: assign({ trigger: "schedule" }) },
            { target: "idle", reenter: true },
          ],
        },
        on: {
          FIRMWARE_DESIRED: {
            guard: "newWanted",
            target: "checking",
            actions: ["takeWanted", assign({ trigger: "desired" })],
          },
          TOKEN: [
            {
              guard: "wantedPending",
              target: "checking",
              actions: [
                assign({ token: ({ event }) => event.token }),
                assign({ trigger: "desired" }),
              ],
            },
            { actions: assign({ token: ({ event }) => event.token }) },
          ],
          CHECK: { target: "checking", actions: assign({ trigger: ({ event }) => event.by }) },
        },
      },
      checking: {
        tags: READY,
        invoke: {
          src: "check",
          input: ({ context }) => ({
            token: context.token ?? "",
            running: context.running,
            wanted: context.wanted,
            rolledBack: context.rolledBack,
            settings: context.settings,
          }),
        },
        on: {
          OFFER: {
            target: "preparing",
            actions: assign({ target: ({ event }) => event.manifest, written: 0, wanted: null }),
          },
          UP_TO_DATE: { target: "idle", actions: assign({ wanted: null }) },
          REFUSED: {
            target: "idle",
            actions: ["refused", assign({ wanted: null })],
          },
          FAILED: {
            target: "idle",
            actions: [
              assign({ lastError: ({ event }) => event.error }),
              {
                type: "log",
                params: ({ event }) => ({
                  level: "warn",
                  msg: `update check failed: ${event.error}`,
                }),
              },
            ],
          },
        },
      },
      preparing: {
        tags: READY,
        invoke: {
          src: "prepare",
          input: ({ context }) => ({ manifest: context.target as Manifest }),
        },
        on: {
          PREPARED: {
            target: "downloading",
            actions: [
              assign({ written: ({ event }) => event.written, retry: 0 }),
              {
                type: "log",
                params: ({ context }) => ({
                  level: "info",
                  msg: `downloading ${context.target?.version} (${context.target?.size} bytes)`,
                  fields: { by: context.trigger },
                }),
              },
            ],
          },
          REFUSED: { target: "idle", actions: "refused" },
        },
      },
      downloading: {
        tags: READY,
        invoke: {
          src: "download",
          input: ({ context }) => ({
            token: context.token ?? "",
            manifest: context.target as Manifest,
            written: context.written,
            timeoutMs: context.settings.requestTimeoutMs,
          }),
        },
        on: {
          PROGRESS: { actions: assign({ written: ({ event }) => event.written, retry: 0 }) },
          DOWNLOADED: "verifying",
          REFUSED: { target: "idle", actions: "refused" },
          DOWNLOAD_FAILED: {
            target: "retrying",
            actions: enqueueActions(({ context, event, enqueue }) => {
              const next = nextBackoff(
                context,
                context.settings.retryBaseMs,
                context.settings.retryCapMs,
              );
              enqueue.assign({
                seed: next.seed,
                retry: next.retry,
                backoffMs: next.backoffMs,
                lastError: event.error,
              });
              if (context.retry === 0) {
                enqueue({
                  type: "log",
                  params: {
                    level: "warn",
                    msg: `download interrupted at ${context.written} bytes: ${event.error}`,
                  },
                });
              }
            }),
          },
        },
      },
      retrying: { tags: READY, after: { backoff: "downloading" } },
      verifying: {
        tags: READY,
        invoke: {
          src: "verify",
          input: ({ context }) => ({ manifest: context.target as Manifest }),
        },
        on: {
          VERIFIED: "staged",
          REFUSED: { target: "idle", actions: "refused" },
        },
      },
      staged: {
        tags: READY,
        invoke: {
          src: "stage",
          input: ({ context }) => ({ manifest: context.target as Manifest }),
        },
        on: {
          STAGED: {
            target: "rebooting",
            actions: [
              assign({ lastResult: "staged" }),
              {
                type: "log",
                params: ({ context }) => ({
                  level: "info",
                  msg: `${context.target?.version} staged: rebooting into it`,
                }),
              },
              "auditStaged",
            ],
          },
          FAILED: { target: "idle", actions: "failed" },
        },
      },
      rebooting: { tags: READY, entry: () => effects.reboot("ota") },
      trial: {
        tags: READY,
        invoke: { src: "watchHealth" },
        initial: "reaching",
        states: {
          // Entered again with each token, which the first check of the service needs.
          reaching: {
            invoke: {
              src: "reach",
              input: ({ context }) => ({
                token: context.token,
                running: context.running,
                timeoutMs: context.settings.requestTimeoutMs,
              }),
            },
            on: {
              TOKEN: {
                target: "reaching",
                reenter: true,
                actions: assign({ token: ({ event }) => event.token }),
              },
            },
          },
        },
        on: {
          HEALTHY: { actions: assign({ healthy: true }) },
          REACHED: { actions: assign({ reached: true }) },
        },
        always: { guard: "healthyAndReached", target: "committed" },
        after: { commitTimeout: "rollingBack" },
      },
      committed: {
        entry: [
          () => effects.commit(),
          assign(({ context }) => ({
            results: count(context.results, "committed"),
            lastResult: "committed",
            lastError: null,
          })),
          {
            type: "log",
            params: ({ context }) => ({ level: "info", msg: `${context.running} committed` }),
          },
          "auditCommitted",
        ],
        always: "idle",
      },
      rollingBack: {
        entry: [
          assign(({ context }) => ({
            lastError: context.healthy ? "update service not reached" : "managers not ready",
          })),
          {
            type: "log",
            params: ({ context }) => ({
              level: "error",
              msg: `${context.running} failed its trial (${context.lastError}): back to the previous slot`,
            }),
          },
          () => {
            if (effects.abandon()) effects.reboot("ota-rollback");
          },
        ],
        // The reboot ends the run on a board; with no committed slot to go back to (a first
        // flash), the device carries on and the stub's attempts decide.
        always: "idle",
      },
      rolledBack: {
        entry: ["reportRollback", "auditRollback"],
        always: "idle",
      },
    },
  });
}

export type OtaMachine = ReturnType<typeof createOtaMachine>;
