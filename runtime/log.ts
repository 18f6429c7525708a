/**
 * One readable console line per log entry: `12.345 INFO  network  connected after 3 attempt(s)`.
 * The same shape on the device's console and in `npm start`, so a person reads both alike.
 */

export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields?: Record<string, unknown>;
}

export function formatLogLine(atMs: number, manager: string, entry: LogEntry): string {
  const seconds = (atMs / 1000).toFixed(3);
  const level = entry.level.toUpperCase();
  return `${seconds} ${level}${"     ".slice(level.length)} ${manager}${"          ".slice(manager.length)} ${entry.msg}`;
}
