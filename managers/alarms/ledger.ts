/**
 * The alarm ledger: the AlarmManager's bookkeeping of reports, as pure functions from one
 * `Ledger` (buffer, counters, dedup windows, next key) and a time to the next. No I/O and no clock:
 * the machine hands in `now` and writes what comes back.
 *
 * Guarantees: a report is counted on the unsent entry of its type and source (a sent entry is
 * sealed, so a repeat after it opens a new one, due at the end of the key's dedup window when one
 * is open); `counters.pending` is always the buffer's length; the buffer never holds more than
 * `maxBuffered` entries: the least severe goes first, oldest first, and the one unsent
 * `alarms-dropped` entry counts how many went and the reports they carried; a batch is the due
 * entries, most severe first, then oldest, and sealed entries go alone. Inputs are never mutated.
 * Details are kept masked, JSON-safe and at most `MAX_DETAILS_CHARS` long.
 */
import { DEFAULT_MASKED_FIELDS, maskValue } from "../../runtime/mask.js";
import { ALARM_SEVERITIES, type Alarm, type AlarmSeverity } from "../supervision.js";
import type { AlarmSettings } from "./machine.js";

/** One entry of the buffer: an alarm and its repeats, under one idempotency key. */
export interface BufferedAlarm {
  /** The idempotency key: the server counts what arrives under it once. */
  key: string;
  type: string;
  severity: AlarmSeverity;
  source: string;
  /** The latest report's details. */
  details: unknown;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** Seen by an operator (`ACKNOWLEDGE`); delivered all the same. */
  acknowledged: boolean;
  /** Sent at least once, or read back from flash: no repeat may change it any more. */
  sealed: boolean;
  /** Not offered to the server before this time. */
  dueAt: number;
}

export interface AlarmCounters {
  /** Reports accepted. */
  raised: number;
  /** Reports counted on an entry already buffered. */
  deduplicated: number;
  /** Entries the server acknowledged. */
  delivered: number;
  /** Entries overflow dropped. */
  dropped: number;
  /** Entries in the buffer. */
  pending: number;
}

/** The fields a report or a drop changes: the part of the AlarmManager's context the ledger keeps. */
export interface Ledger {
  buffer: BufferedAlarm[];
  counters: AlarmCounters;
  /** When the dedup window of each type and source opened, while it is open. */
  windows: Record<string, number>;
  /** The sequence number of the next key. */
  next: number;
}

/** Longest type, source and key the AlarmServer accepts. */
export const MAX_ALARM_NAME = 64;

/** Details longer than this, as JSON, are cut: the buffer lives in RAM and flash. */
export const MAX_DETAILS_CHARS = 512;

/** The synthetic alarm that counts the entries overflow dropped. */
export const DROPPED_TYPE = "alarms-dropped";

/** An alarm keys' prefix: 8 hex digits from a uniform random number in [0, 1). */
export function keyPrefix(random: number): string {
  return `00000000${Math.floor(random * 4294967296).toString(16)}`.slice(-8);
}

export const ALARMS_SOURCE = "alarms";

const rank = (severity: AlarmSeverity) => ALARM_SEVERITIES.indexOf(severity);

const isName = (v: unknown) => typeof v === "string" && v !== "" && v.length <= MAX_ALARM_NAME;

/** What is wrong with a reported alarm, or null. */
export function alarmProblem(alarm: unknown): string | null {
  if (typeof alarm !== "object" || alarm === null) return "alarm: must be an object";
  const a = alarm as Record<string, unknown>;
  if (!isName(a.type)) return `type: a string of 1 to ${MAX_ALARM_NAME} characters required`;
  if (!isName(a.source)) return `source: a string of 1 to ${MAX_ALARM_NAME} characters required`;
  if (rank(a.severity as AlarmSeverity) < 0) {
    return `severity: one of ${ALARM_SEVERITIES.join(", ")} required`;
  }
  return null;
}

/** Details as they are kept: secrets masked, JSON-safe and at most `MAX_DETAILS_CHARS` long. */
export function keptDetails(details: unknown): unknown {
  if (details === undefined) return null;
  // Masked as log lines are, before anything is kept: flash, the server and the device API only
  // ever see the masked copy, which is plain data (a cycle becomes "[circular]").
  const text = JSON.stringify(maskValue(details, DEFAULT_MASKED_FIELDS));
  if (text === undefined) return null;
  // A copy: the sender may change its object later, and what is kept is what JSON can say.
  return text.length > MAX_DETAILS_CHARS
    ? { truncated: text.slice(0, MAX_DETAILS_CHARS) }
    : JSON.parse(text);
}

/** `counters` with `changes`, and `pending` the buffer's length: the two never disagree. */
export function counted(
  counters: AlarmCounters,
  buffer: BufferedAlarm[],
  changes: Partial<AlarmCounters>,
) {
  return Object.assign({}, counters, changes, { pending: buffer.length });
}

function newEntry(
  ledger: Ledger,
  prefix: string,
  alarm: Alarm,
  now: number,
  dueAt: number,
): BufferedAlarm {
  return {
    key: `${prefix}-${ledger.next}`,
    type: alarm.type,
    severity: alarm.severity,
    source: alarm.source,
    details: keptDetails(alarm.details),
    count: 1,
    firstSeen: now,
    lastSeen: now,
    acknowledged: false,
    sealed: false,
    dueAt,
  };
}

const isDropCounter = (e: BufferedAlarm) => e.type === DROPPED_TYPE && e.source === ALARMS_SOURCE;

/** The reports a drop counter accounts for (its details may come from an older flash). */
function reportsOf(counter: BufferedAlarm): number {
  const reports = (counter.details as { reports?: unknown } | null)?.reports;
  return typeof reports === "number" ? reports : 0;
}

/**
 * Makes room: while the buffer is over `max`, drops the least severe entry, oldest first (even
 * one in flight: severity decides, not timing), and counts it on the unsent `alarms-dropped`
 * entry (its count is the number dropped, its details that and the reports they carried). A
 * sent counter that must go is folded into the unsent one rather than counted as a loss.
 */
export function trimBuffer(
  ledger: Ledger,
  max: number,
  prefix: string,
  now: number,
): Ledger & { lost: BufferedAlarm[] } {
  let buffer = ledger.buffer;
  let next = ledger.next;
  const lost: BufferedAlarm[] = [];
  while (buffer.length > max) {
    let victim = -1;
    let worst = 0;
    for (let i = 0; i < buffer.length; i++) {
      const e = buffer[i];
      if (isDropCounter(e) && !e.sealed) continue;
      // Ties keep the first found: the older entry.
      if (victim < 0 || rank(e.severity) < worst) {
        victim = i;
        worst = rank(e.severity);
      }
    }
    if (victim < 0) break;
    const gone = buffer[victim];
    const folded = isDropCounter(gone);
    if (!folded) lost.push(gone);
    const dropped = folded ? gone.count : 1;
    const reports = folded ? reportsOf(gone) : gone.count;
    buffer = buffer.slice(0, victim).concat(buffer.slice(victim + 1));
    const at = buffer.findIndex((e) => isDropCounter(e) && !e.sealed);
    if (at >= 0) {
      const held = buffer[at];
      const count = held.count + dropped;
      const updated = Object.assign({}, held, {
        count,
        // Never before the last: time sync may step the wall clock back, and an entry last seen
        // before it was first seen is one the AlarmServer refuses.
        lastSeen: Math.max(held.lastSeen, now),
        details: { dropped: count, reports: reportsOf(held) + reports },
      });
      buffer = buffer.slice(0, at).concat([updated], buffer.slice(at + 1));
    } else {
      const counter = newEntry(
        Object.assign({}, ledger, { next }),
        prefix,
        { type: DROPPED_TYPE, severity: "warning", source: ALARMS_SOURCE, details: null },
        now,
        now,
      );
      counter.count = dropped;
      counter.details = { dropped, reports };
      buffer = buffer.concat([counter]);
      next++;
    }
  }
  return {
    buffer,
    next,
    windows: ledger.windows,
    counters: counted(ledger.counters, buffer, { dropped: ledger.counters.dropped + lost.length }),
    lost,
  };
}

/**
 * Takes one valid report at `now`: counted on the unsent entry of its type and source, or a new
 * entry (due at once, or at the end of the key's open window), then the buffer trimmed.
 */
export function recordAlarm(
  ledger: Ledger,
  alarm: Alarm,
  now: number,
  settings: AlarmSettings,
  prefix: string,
): Ledger & { repeat: boolean; lost: BufferedAlarm[] } {
  const raised = ledger.counters.raised + 1;
  const open = ledger.buffer.findIndex(
    (e) => !e.sealed && e.type === alarm.type && e.source === alarm.source,
  );
  if (open >= 0) {
    const held = ledger.buffer[open];
    const updated = Object.assign({}, held, {
      count: held.count + 1,
      lastSeen: Math.max(held.lastSeen, now),
      severity: rank(alarm.severity) > rank(held.severity) ? alarm.severity : held.severity,
      details: keptDetails(alarm.details),
    });
    const buffer = ledger.buffer.slice();
    buffer[open] = updated;
    const counters = counted(ledger.counters, buffer, {
      raised,
      deduplicated: ledger.counters.deduplicated + 1,
    });
    return { buffer, counters, windows: ledger.windows, next: ledger.next, repeat: true, lost: [] };
  }
  const id = JSON.stringify([alarm.type, alarm.source]);
  const window = settings.dedupWindowMs;
  const start = ledger.windows[id];
  const inWindow = start !== undefined && now - start < window;
  let windows = ledger.windows;
  if (!inWindow) {
    windows = {};
    for (const k of Object.keys(ledger.windows)) {
      if (now - ledger.windows[k] < window) windows[k] = ledger.windows[k];
    }
    windows[id] = now;
  }
  const entry = newEntry(ledger, prefix, alarm, now, inWindow ? start + window : now);
  const buffer = ledger.buffer.concat([entry]);
  const grown: Ledger = {
    buffer,
    windows,
    next: ledger.next + 1,
    counters: counted(ledger.counters, buffer, { raised }),
  };
  return Object.assign(trimBuffer(grown, settings.maxBuffered, prefix, now), {
    repeat: false,
  });
}

/**
 * The next batch at `now`: due entries, most severe first, then oldest. Sealed entries (in doubt
 * after a failure, or read back after a reboot) go alone until acknowledged: a retry sends the
 * same alarms again, and repeats meanwhile keep counting on one unsent entry per key instead of
 * sealing a new one at every retry.
 */
export function nextBatch(buffer: readonly BufferedAlarm[], now: number, size: number) {
  const sealed = buffer.some((e) => e.sealed);
  const due = buffer.filter((e) => e.dueAt <= now && e.sealed === sealed);
  due.sort((a, b) => rank(b.severity) - rank(a.severity) || buffer.indexOf(a) - buffer.indexOf(b));
  return due.slice(0, size);
}
