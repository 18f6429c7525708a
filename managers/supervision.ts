/**
 * The contract between the controller and every manager it supervises. A manager:
 *
 * - tags each state in which it is ready with `ready` (readiness is read off the tags: nothing
 *   to report, nothing to keep in step);
 * - answers the controller's `PING` with a `PONG` carrying the same sequence number (liveness:
 *   a manager that stops answering is named);
 * - logs by sending `LOG` to the actor registered as `logger` in the system (never `console`),
 *   through the `log` action made here, so a log line is an event like any other: inspectable,
 *   replayable, and dropped rather than thrown when no logger runs;
 * - reports what goes wrong beyond its own recovery as `ALARM` to its parent (`alarmEvent`), which
 *   the controller routes to the AlarmManager.
 */
import { type ActionFunction, type ActorSystem, type AnyActorRef, sendParent } from "xstate";
import type { LogEntry } from "../runtime/log.js";
import type { SettingsMerge } from "../runtime/settings.js";

export const READY = "ready";

/** The system id of the logger manager: where every manager's `LOG` goes. */
export const LOGGER_ID = "logger";

export interface PingEvent {
  type: "PING";
  seq: number;
}

export interface PongEvent {
  type: "PONG";
  manager: string;
  seq: number;
}

export interface LogEvent {
  type: "LOG";
  manager: string;
  entry: LogEntry;
}

/** The answer to a `PING`, by the controller itself or by `answerPing`. */
export function pongFor(self: AnyActorRef, ping: PingEvent): PongEvent {
  return { type: "PONG", manager: self.id, seq: ping.seq };
}

/**
 * Every manager's `PING` transition: `PING: { actions: answerPing }`. One action object shared by
 * all the machines rather than one closure made in each.
 */
export const answerPing: ActionFunction<any, any, any, any, any, any, any, any, any> = sendParent(
  ({ self, event }) => pongFor(self, event as PingEvent),
);

/** Sends a log line to the system's logger, if one runs. */
export function logTo(system: ActorSystem<any>, manager: string, entry: LogEntry): void {
  const logger = system.get(LOGGER_ID) as AnyActorRef | undefined;
  if (logger) logger.send({ type: "LOG", manager, entry } satisfies LogEvent);
}

/** The `log` action for a manager called `manager`; its params are the `LogEntry`. */
export function logAction(
  manager: string,
): ActionFunction<any, any, any, LogEntry, any, any, any, any, any> {
  return ({ system }, entry) => logTo(system, manager, entry);
}

/**
 * The report a manager sends once a service refused the token it holds (`context.token`): the
 * controller routes it to the AuthManager, which registers again unless it already holds a newer
 * token. One action object shared by the managers that hold their token in `context.token`.
 */
export const reportTokenRejected: ActionFunction<any, any, any, any, any, any, any, any, any> =
  sendParent(({ context }) => ({ type: "TOKEN_REJECTED", token: context.token }));

/**
 * A manager refused the settings it was given (`CONFIGURE`, or its input at start): the controller
 * raises an alarm and tells the ConfigManager, which then does not report that configuration's
 * version as applied. `section` is set by the controller for its own sections; a manager's is the
 * `configKey` of its table entry.
 */
export interface SettingsRefusedReport {
  type: "SETTINGS_REFUSED";
  manager: string;
  error: string;
  section?: string;
}

/** What `acceptSettings` needs of `enqueueActions`' `enqueue`: the log action, and `sendParent`. */
export interface SettingsEnqueue {
  (action: { type: "log"; params: LogEntry }): void;
  sendParent: (event: SettingsRefusedReport) => void;
}

/**
 * Every manager's `CONFIGURE`, one way: refused settings are logged as an error, reported to the
 * parent (`SETTINGS_REFUSED`) and the old settings stay (null); accepted ones are returned, for
 * the caller to assign. `enqueue` is the `enqueueActions` one, and the machine's `log` action is
 * `logAction`'s.
 */
export function acceptSettings<S>(
  merged: SettingsMerge<S>,
  enqueue: SettingsEnqueue,
  manager: string,
): S | null {
  if ("error" in merged) {
    enqueue({ type: "log", params: { level: "error", msg: `settings refused: ${merged.error}` } });
    enqueue.sendParent({ type: "SETTINGS_REFUSED", manager, error: merged.error });
    return null;
  }
  return merged.settings;
}

/** How bad an alarm is, least first: overflow drops the least first. */
export const ALARM_SEVERITIES = ["info", "warning", "error", "critical"] as const;

export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];

/** What a manager reports as wrong; the AlarmManager deduplicates on `type` and `source`. */
export interface Alarm {
  type: string;
  severity: AlarmSeverity;
  source: string;
  details?: unknown;
}

export interface AlarmEvent {
  type: "ALARM";
  alarm: Alarm;
}

/**
 * The report that raises an alarm, the same from every manager: `sendParent(alarmEvent(...))`.
 * The controller routes it to the AlarmManager like any report.
 */
export function alarmEvent(
  type: string,
  severity: AlarmSeverity,
  source: string,
  details?: unknown,
): AlarmEvent {
  return { type: "ALARM", alarm: { type, severity, source, details } };
}
