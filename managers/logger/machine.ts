/**
 * Logger: every manager's log lines and the audit trail, into rotated files in flash.
 *
 * Managers send `LOG` (see `supervision.ts`); lines below the level in force are dropped here,
 * the rest go to the sink, the effect actor that masks, stamps, formats and appends them
 * (`managers/logger/effects.ts`). `AUDIT` records (who did what, with what result) bypass the level: the
 * audit trail is kept apart from ordinary logs and rotated on its own, and its summaries of
 * refused requests apart again, so only authenticated actions turn over the records of
 * authenticated actions. The level changes at run
 * time by `SET_LEVEL`; rotation and masking by `CONFIGURE`, refused with the field named when
 * invalid. When the flash is full the sink drops the oldest rotated file; the logger counts the
 * lines lost and raises `ALARM` (`log-lines-dropped`, an error when audit lines went), which
 * the controller routes to the AlarmManager: lost records reach the operator, not only a counter.
 *
 * Each line carries the device's identity; the tenant and namespace come with the first token.
 * The logger never throws into anyone: senders only send events, and the sink swallows what
 * the flash throws. It is ready while its last write succeeded.
 */
import { assign, type CallbackActorLogic, enqueueActions, sendParent, sendTo, setup } from "xstate";
import { isLogLevel, type LogEntry, type LogLevel, levelAtLeast } from "../../runtime/log.js";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import type { LogLevelOverride } from "../protocol.js";
import {
  acceptSettings,
  alarmEvent,
  answerPing,
  type LogEvent,
  logAction,
  type PingEvent,
  READY,
} from "../supervision.js";
import { loggerSettings } from "./settings.js";

export interface TrailSettings {
  maxFileBytes: number;
  maxFiles: number;
  maxAgeMs: number;
}

export interface LoggerSettings {
  level: LogLevel;
  maskedFields: string[];
  log: TrailSettings;
  audit: TrailSettings;
}

export interface Identity {
  device: string;
  tenant: string;
  ns: string;
}

export interface AuditRecord {
  who: string;
  what: string;
  result: string;
  fields?: Record<string, unknown>;
  /**
   * A summary of refused requests by callers not authenticated: kept in files of its own
   * (`refused.*`), so that no amount of them can turn over the records of authenticated actions.
   */
  refused?: boolean;
}

/** What the logger asks of its sink. */
export type SinkRequest =
  | { type: "WRITE"; trail: "log"; manager: string; entry: LogEntry }
  | { type: "WRITE"; trail: "audit"; record: AuditRecord }
  | { type: "SETTINGS"; settings: LoggerSettings }
  | { type: "IDENTITY"; identity: Identity };

export type LoggerEvent =
  | LogEvent
  | PingEvent
  | { type: "AUDIT"; record: AuditRecord }
  | { type: "SET_LEVEL"; level: unknown }
  | LogLevelOverride
  | { type: "OVERRIDE_EXPIRED" }
  | { type: "CONFIGURE"; settings: Partial<LoggerSettings> }
  /** From the sink: the flash was full, and `count` lines went with the files dropped. */
  | { type: "LINES_DROPPED"; trail: "log" | "audit" | "refused"; count: number }
  | { type: "SINK_FAILED"; reason: string }
  | { type: "SINK_OK" }
  /** From the AuthManager, through the controller: the tenant and namespace the device belongs to. */
  | { type: "TOKEN"; tenant: string; ns: string };

/** The alarm raised when a full flash took log lines with the files it dropped. */
export const LINES_DROPPED_ALARM = "log-lines-dropped";

export interface LoggerInput {
  identity: Identity;
  settings?: Partial<LoggerSettings>;
}

export interface LoggerContext {
  identity: Identity;
  settings: LoggerSettings;
  /** The level the logger runs: `override`, else `desired`, else `settings.level` (configured). */
  level: LogLevel;
  /** The desired document's `logLevel` (the StateManager's `SET_LEVEL`), null when it names none. */
  desired: LogLevel | null;
  /** An operator's level (`PUT /log-level`) and when it lapses (board time). */
  override: { level: LogLevel; until: number } | null;
  /** Lines lost to a full flash since start, both trails. */
  dropped: number;
  lastError: string | null;
}

export interface SinkInput {
  identity: Identity;
  settings: LoggerSettings;
}

export interface LoggerEffects {
  logSink: CallbackActorLogic<SinkRequest, SinkInput>;
  /** The board's time, against which an override's `until` is measured. */
  now: () => number;
}

/** The id of the delayed `OVERRIDE_EXPIRED`, cancelled when another override replaces it. */
const OVERRIDE_EXPIRY = "overrideExpiry";

/** The precedence, in one place: operator override > desired > configured. */
function runningLevel(
  override: LoggerContext["override"],
  desired: LogLevel | null,
  settings: LoggerSettings,
): LogLevel {
  return override ? override.level : (desired ?? settings.level);
}

export const LOGGER_DEFAULTS: LoggerSettings = settingsDefaults(loggerSettings);

/** Merges `changes` over `current`; the first problem names its field. */
export function mergeLoggerSettings(
  current: LoggerSettings,
  changes: Partial<LoggerSettings>,
): SettingsMerge<LoggerSettings> {
  return mergeSettings(current, changes, loggerSettings);
}

export function createLoggerMachine(effects: LoggerEffects) {
  return setup({
    types: {
      context: {} as LoggerContext,
      events: {} as LoggerEvent,
      input: {} as LoggerInput,
    },
    actors: { logSink: effects.logSink },
    actions: { log: logAction("logger") },
    guards: {
      levelAllowed: ({ context, event }) =>
        event.type === "LOG" && levelAtLeast(event.entry.level, context.level),
    },
  }).createMachine({
    id: "logger",
    context: ({ input }) => {
      const merged = mergeLoggerSettings(LOGGER_DEFAULTS, input.settings ?? {});
      return {
        identity: input.identity,
        settings: "error" in merged ? LOGGER_DEFAULTS : merged.settings,
        level: ("error" in merged ? LOGGER_DEFAULTS : merged.settings).level,
        desired: null,
        override: null,
        dropped: 0,
        lastError: "error" in merged ? `settings refused: ${merged.error}` : null,
      };
    },
    invoke: {
      id: "sink",
      src: "logSink",
      input: ({ context }) => ({ identity: context.identity, settings: context.settings }),
    },
    initial: "writing",
    on: {
      PING: { actions: answerPing },
      LOG: {
        guard: "levelAllowed",
        actions: sendTo("sink", ({ event }) => ({
          type: "WRITE" as const,
          trail: "log" as const,
          manager: event.manager,
          entry: event.entry,
        })),
      },
      AUDIT: {
        actions: sendTo("sink", ({ event }) => ({
          type: "WRITE" as const,
          trail: "audit" as const,
          record: event.record,
        })),
      },
      SET_LEVEL: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          if (!isLogLevel(event.level)) {
            enqueue.assign({ lastError: "level: must be one of debug, info, warn, error" });
            return;
          }
          const level = runningLevel(context.override, event.level, context.settings);
          enqueue.assign({ desired: event.level, level, lastError: null });
          if (level !== context.level) enqueue.sendParent({ type: "LOG_LEVEL", level });
        }),
      },
      LOG_LEVEL_OVERRIDE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          enqueue.cancel(OVERRIDE_EXPIRY);
          const left = event.until - effects.now();
          const override =
            event.level !== null && isLogLevel(event.level) && left > 0
              ? { level: event.level, until: event.until }
              : null;
          const level = runningLevel(override, context.desired, context.settings);
          enqueue.assign({ override, level });
          if (level !== context.level) enqueue.sendParent({ type: "LOG_LEVEL", level });
          if (override)
            enqueue.raise({ type: "OVERRIDE_EXPIRED" }, { delay: left, id: OVERRIDE_EXPIRY });
        }),
      },
      OVERRIDE_EXPIRED: {
        actions: enqueueActions(({ context, enqueue }) => {
          const level = runningLevel(null, context.desired, context.settings);
          enqueue.assign({ override: null, level });
          if (level !== context.level) enqueue.sendParent({ type: "LOG_LEVEL", level });
        }),
      },
      CONFIGURE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const result = mergeLoggerSettings(context.settings, event.settings);
          if ("error" in result) enqueue.assign({ lastError: `settings refused: ${result.error}` });
          const settings = acceptSettings(result, enqueue, "logger");
          if (settings === null) return;
          const level = runningLevel(context.override, context.desired, settings);
          enqueue.assign({ settings, level, lastError: null });
          if (level !== context.level) enqueue.sendParent({ type: "LOG_LEVEL", level });
          enqueue.sendTo("sink", { type: "SETTINGS", settings });
        }),
      },
      TOKEN: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const identity = Object.assign({}, context.identity, {
            tenant: event.tenant,
            ns: event.ns,
          });
          enqueue.assign({ identity });
          enqueue.sendTo("sink", { type: "IDENTITY", identity });
        }),
      },
      LINES_DROPPED: {
        actions: [
          assign({ dropped: ({ context, event }) => context.dropped + event.count }),
          sendParent(({ context, event }) =>
            alarmEvent(
              LINES_DROPPED_ALARM,
              event.trail === "audit" ? "error" : "warning",
              "logger",
              {
                trail: event.trail,
                count: event.count,
                total: context.dropped,
              },
            ),
          ),
        ],
      },
    },
    states: {
      writing: {
        tags: READY,
        on: {
          SINK_FAILED: {
            target: "failing",
            actions: assign({ lastError: ({ event }) => `flash: ${event.reason}` }),
          },
        },
      },
      failing: {
        on: { SINK_OK: { target: "writing", actions: assign({ lastError: null }) } },
      },
    },
  });
}

export type LoggerMachine = ReturnType<typeof createLoggerMachine>;
