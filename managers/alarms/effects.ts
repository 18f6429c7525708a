/**
 * The AlarmManager's effects: its buffer in flash (`alarms.json`, rewritten whole: a handful of
 * entries, read once at boot) and the batched POST to the AlarmServer.
 *
 * A buffer file that is not JSON, or not the shape written here, is never trusted: the entries
 * that pass are kept, the problem is named for the manager to log and raise, and the unreadable
 * text is copied to `alarms.bad` before anything overwrites it. The batch carries an
 * `Idempotency-Key` derived from the keys of its alarms, so a retry of the same batch sends the
 * same header; an answer that is not `{acknowledged: [key...]}` naming some of the batch is a
 * failure, retried later.
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import { base64urlEncode } from "../../runtime/base64url.js";
import { sha256 } from "../../runtime/sha256.js";
import { requestJson } from "../httpJson.js";
import type { AlarmSeverity } from "../supervision.js";
import { alarmProblem, type BufferedAlarm, MAX_ALARM_NAME } from "./ledger.js";
import type { AlarmEffects, DeliverInput, StoredAlarms } from "./machine.js";

export const ALARMS_FILE = "alarms.json";
/** Where an unreadable buffer file is copied, for whoever investigates. */
export const ALARMS_BAD_FILE = "alarms.bad";

/** The fields of an entry that flash keeps: sealing and due times belong to one boot. */
const KEPT = ["key", "type", "severity", "source", "details", "count", "firstSeen", "lastSeen"];

/** The entry read back, or null when it is not one. */
function entryOf(value: unknown): BufferedAlarm | null {
  if (alarmProblem(value) !== null) return null;
  const v = value as Record<string, unknown>;
  const key = v.key;
  if (typeof key !== "string" || key === "" || key.length > MAX_ALARM_NAME) return null;
  if (typeof v.count !== "number" || Math.floor(v.count) !== v.count || v.count < 1) return null;
  if (typeof v.firstSeen !== "number" || typeof v.lastSeen !== "number") return null;
  return {
    key,
    type: v.type as string,
    severity: v.severity as AlarmSeverity,
    source: v.source as string,
    details: v.details === undefined ? null : v.details,
    count: v.count,
    firstSeen: v.firstSeen,
    lastSeen: v.lastSeen,
    acknowledged: v.acknowledged === true,
    // It may have reached the server before the reboot: its content stays as it is.
    sealed: true,
    dueAt: 0,
  };
}

/** The buffer in `text`, with what could not be read back named. */
export function readStoredAlarms(text: string | undefined): StoredAlarms {
  if (text === undefined) return { next: 0, alarms: [], problem: null };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (_) {
    return { next: 0, alarms: [], problem: `${ALARMS_FILE} is not JSON` };
  }
  const d = doc as { next?: unknown; alarms?: unknown } | null;
  if (d === null || typeof d !== "object" || !Array.isArray(d.alarms)) {
    return { next: 0, alarms: [], problem: `${ALARMS_FILE} holds no alarm list` };
  }
  const next = typeof d.next === "number" && d.next >= 0 ? Math.floor(d.next) : 0;
  const alarms: BufferedAlarm[] = [];
  for (const value of d.alarms) {
    const entry = entryOf(value);
    if (entry !== null) alarms.push(entry);
  }
  const unread = d.alarms.length - alarms.length;
  return {
    next,
    alarms,
    problem: unread > 0 ? `${ALARMS_FILE}: ${unread} entry(ies) unreadable` : null,
  };
}

/** The same header for the same alarms, whatever their order. */
export function batchKeyOf(keys: readonly string[]): string {
  return base64urlEncode(sha256(keys.slice().sort().join("\n"))).slice(0, 22);
}

export function alarmEffects(
  board: Pick<Board, "http" | "storage">,
  now: () => number,
): AlarmEffects {
  return {
    load: () => {
      const text = board.storage.read(ALARMS_FILE);
      const stored = readStoredAlarms(text);
      if (stored.problem !== null && text !== undefined) board.storage.write(ALARMS_BAD_FILE, text);
      return stored;
    },

    persist: (next, alarms) => {
      const kept = alarms.map((e) => {
        const out: Record<string, unknown> = { acknowledged: e.acknowledged };
        for (const field of KEPT) out[field] = (e as unknown as Record<string, unknown>)[field];
        return out;
      });
      return board.storage.write(ALARMS_FILE, JSON.stringify({ next, alarms: kept }));
    },

    now,

    deliver: fromCallback<any, DeliverInput>(({ input, sendBack }) => {
      const keys = input.alarms.map((e) => e.key);
      return requestJson(
        board.http,
        {
          method: "POST",
          url: input.url,
          token: input.token,
          headers: { "idempotency-key": batchKeyOf(keys) },
          body: {
            alarms: input.alarms.map((e) => ({
              key: e.key,
              type: e.type,
              severity: e.severity,
              source: e.source,
              count: e.count,
              firstSeen: e.firstSeen,
              lastSeen: e.lastSeen,
              details: e.details,
            })),
          },
          timeoutMs: input.timeoutMs,
        },
        (answer) => {
          if (!answer.ok) {
            sendBack({
              type: "ALARMS_FAILED",
              error: answer.error,
              status: answer.status,
              token: input.token,
              keys,
            });
            return;
          }
          const acknowledged = (answer.json as { acknowledged?: unknown } | null)?.acknowledged;
          if (!Array.isArray(acknowledged) || acknowledged.some((k) => typeof k !== "string")) {
            sendBack({
              type: "ALARMS_FAILED",
              error: "malformed answer: no acknowledged keys",
              status: answer.status,
              token: input.token,
              keys,
            });
            return;
          }
          if (!keys.some((key) => acknowledged.indexOf(key) >= 0)) {
            sendBack({
              type: "ALARMS_FAILED",
              error: "the server acknowledged none of the batch",
              status: answer.status,
              token: input.token,
              keys,
            });
            return;
          }
          sendBack({ type: "ALARMS_DELIVERED", acknowledged });
        },
      );
    }),
  };
}
