/**
 * The two shapes of a log line, and the levels they share.
 *
 * `formatLogLine`: one readable console line per entry, `12.345 INFO  network  connected after
 * 3 attempt(s)`, the same on the device's console and in `npm start`, so a person reads both
 * alike.
 *
 * `formatJsonLine`: one JSON object per line (JSON Lines) for collectors. Its guarantees: the
 * seven header keys always come first and in a fixed order (the string is assembled by hand,
 * because Node would move integer-like field names ahead of them); a field can never override a
 * header key; secrets in the message and the fields are masked (`mask.ts`); it never throws, so
 * a bad field cannot take down the code that logs it, and the line always parses.
 */
import { maskText, maskValue } from "./mask.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown>;
}

export interface LogRecord {
  /** Epoch milliseconds once the clock is set, milliseconds since boot before. */
  ts: number;
  level: LogLevel;
  msg: string;
  manager: string;
  device: string;
  tenant: string;
  ns: string;
  fields?: Record<string, unknown>;
}

/** From least to most severe. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Header keys, in output order; a field with one of these names is written as `field.<name>`. */
const HEADER_KEYS: readonly string[] = ["ts", "level", "msg", "manager", "device", "tenant", "ns"];

/** Below this a timestamp is read as time since boot: 1e12 ms is September 2001. */
const EPOCH_FLOOR_MS = 1e12;

/** The largest time a Date holds; `toISOString` throws beyond it on Node. */
const DATE_MAX_MS = 8.64e15;

const UNSERIALIZABLE = '"[unserializable]"';
const UNREADABLE = "[unreadable]";

export function isLogLevel(x: unknown): x is LogLevel {
  return typeof x === "string" && LOG_LEVELS.indexOf(x as LogLevel) >= 0;
}

/** Whether `level` is as severe as `threshold` or more. */
export function levelAtLeast(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

export function formatLogLine(atMs: number, manager: string, entry: LogEntry): string {
  const seconds = (atMs / 1000).toFixed(3);
  const level = entry.level.toUpperCase();
  return `${seconds} ${level}${"     ".slice(level.length)} ${manager}${"          ".slice(manager.length)} ${entry.msg}`;
}

/**
 * `record` as one JSON object and a newline: ts, level, msg, manager, device, tenant, ns, then
 * the masked fields in their own order. `ts` is an ISO-8601 string when it is a plausible epoch
 * time, else the number as given (milliseconds since boot on a device whose clock is not set).
 * A field whose masked value cannot be serialized turns the whole `fields` part into
 * `"fields":"[unserializable]"`.
 */
export function formatJsonLine(record: LogRecord, maskedFields: readonly string[]): string {
  let head: string;
  try {
    head = headerJson(record, maskedFields);
  } catch {
    head = `{"msg":${UNSERIALIZABLE}`;
  }
  let tail: string;
  try {
    tail = fieldsJson(record.fields, maskedFields);
  } catch {
    tail = `,"fields":${UNSERIALIZABLE}`;
  }
  return `${head + tail}}\n`;
}

function headerJson(record: LogRecord, maskedFields: readonly string[]): string {
  return (
    `{"ts":${JSON.stringify(timestamp(record.ts))}` +
    `,"level":${JSON.stringify(text(record.level))}` +
    `,"msg":${JSON.stringify(maskText(text(record.msg), maskedFields))}` +
    `,"manager":${JSON.stringify(text(record.manager))}` +
    `,"device":${JSON.stringify(text(record.device))}` +
    `,"tenant":${JSON.stringify(text(record.tenant))}` +
    `,"ns":${JSON.stringify(text(record.ns))}`
  );
}

/** `ts` as written: ISO string, number since boot, or null when it is no number at all. */
function timestamp(ts: unknown): string | number | null {
  // NaN and the infinities (the only numbers for which ts - ts is not 0) have no JSON form;
  // Number.isFinite is missing on Espruino.
  if (typeof ts !== "number" || ts - ts !== 0) return null;
  return ts >= EPOCH_FLOOR_MS && ts <= DATE_MAX_MS ? new Date(ts).toISOString() : ts;
}

/** A header value as a string, whatever was passed at run time. */
function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  try {
    return String(value);
  } catch {
    return UNREADABLE;
  }
}

/** `,"name":value` for every masked field, or "" when there are none. */
function fieldsJson(fields: unknown, maskedFields: readonly string[]): string {
  if (fields === undefined || fields === null) return "";
  const masked = maskValue(fields, maskedFields);
  if (masked === undefined) return "";
  if (typeof masked !== "object" || masked === null || Array.isArray(masked)) {
    // Not a record (a caller bypassing the types): keep it, under its own key.
    return `,"fields":${JSON.stringify(masked)}`;
  }
  const values = masked as Record<string, unknown>;
  const names = Object.keys(values);
  let out = "";
  for (let i = 0; i < names.length; i++) {
    out += `,${JSON.stringify(fieldName(names[i], values))}:${JSON.stringify(values[names[i]])}`;
  }
  return out;
}

/**
 * The name a field is written under: its own, or `field.<name>` when that is a header key,
 * prefixed again while the result is itself the name of another field.
 */
function fieldName(name: string, values: Record<string, unknown>): string {
  if (HEADER_KEYS.indexOf(name) < 0) return name;
  let renamed = `field.${name}`;
  // Not Object.hasOwn (missing on Espruino), nor hasOwnProperty.call (biome's fix rewrites it to
  // Object.hasOwn). A defined value tells the same here: maskValue drops undefined values, and
  // nothing inherited from Object.prototype is named `field.…`.
  while (values[renamed] !== undefined) renamed = `field.${renamed}`;
  return renamed;
}
