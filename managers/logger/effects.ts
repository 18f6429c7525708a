/**
 * The logger's sink: turns `WRITE` requests into masked JSON lines appended to rotated files in
 * the board's flash (`runtime/logFiles.ts` names them).
 *
 * What it guarantees:
 * - a line is stamped with the wall clock (`wallClock.ts`: Unix time once time sync has set it)
 *   when written, masked (`runtime/mask.ts`) before any
 *   byte of it reaches storage, and never longer than the trail's file size (a longer one is cut
 *   down to its start, and says so);
 * - a file never exceeds the trail's `maxFileBytes`; at most `maxFiles` files are kept and a
 *   closed file whose lines are all older than `maxAgeMs` is erased;
 * - when the flash is full it erases the oldest closed file (ordinary logs first, then refusal
 *   summaries, authenticated actions last) and reports the lines that went with it (`LINES_DROPPED`); a line that still finds no
 *   room is itself counted as dropped. Lines are never reordered.
 * - nothing it does throws into the logger: a failing flash becomes `SINK_FAILED`.
 * After a restart it continues the newest file of each trail it finds in flash. File names and
 * retention use the board clock, which never steps: a first sync that moves the wall clock by
 * decades must not make every file written before it look expired.
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import { formatJsonLine, type LogRecord } from "../../runtime/log.js";
import { expiredFiles, type LogFile, logFileName, trailFiles } from "../../runtime/logFiles.js";
import type { WallClock } from "../timesync/wallClock.js";
import type { LoggerEffects, SinkInput, SinkRequest, TrailSettings } from "./machine.js";

/**
 * `audit` holds authenticated actions, one record each; `refused` the minute summaries of
 * refused requests. Both follow the audit settings, each within its own `maxFiles` files: the
 * floor that only authenticated actions consume is the whole of `audit`.
 */
export type TrailName = "log" | "audit" | "refused";

/** What the sink did, for whoever watches (the console view, tests). */
export type SinkNotice =
  | { kind: "written"; trail: TrailName; file: string; line: string }
  | { kind: "expired"; trail: TrailName; file: string; lines: number }
  /** Lines lost to a full flash: a whole file erased to make room, or one line refused. */
  | { kind: "dropped"; trail: TrailName; lines: number; file?: string };

interface OpenFile {
  file: LogFile;
  size: number;
}

/** Lines in a file: its newline count, without splitting it into an array. */
function countLines(data: string | undefined): number {
  let n = 0;
  if (data === undefined) return n;
  for (let i = data.indexOf("\n"); i >= 0; i = data.indexOf("\n", i + 1)) n++;
  return n;
}

export function loggerEffects(
  board: Pick<Board, "storage" | "clock">,
  wallClock: Pick<WallClock, "now">,
  observe: (notice: SinkNotice) => void = () => {},
): LoggerEffects {
  const { storage, clock } = board;

  return {
    now: () => clock.now(),
    logSink: fromCallback<SinkRequest, SinkInput>(({ input, receive, sendBack }) => {
      let settings = input.settings;
      let identity = input.identity;
      const open: Record<TrailName, OpenFile | null> = { log: null, audit: null, refused: null };
      /** When the oldest closed file of each trail passes the age limit (checked per write, cheaply). */
      const expiresAt: Record<TrailName, number> = { log: 0, audit: 0, refused: 0 };
      let failing = false;

      const files = (trail: TrailName) => trailFiles(trail, storage.list(`${trail}.`));
      const limits = (trail: TrailName): TrailSettings =>
        trail === "log" ? settings.log : settings.audit;

      /** The newest file of a trail, continued after a restart if it has room. */
      const current = (trail: TrailName): OpenFile | null => {
        if (open[trail] === null) {
          const existing = files(trail);
          const newest = existing[existing.length - 1];
          open[trail] = newest ? { file: newest, size: storage.size(newest.name) } : null;
        }
        return open[trail];
      };

      const erase = (file: LogFile): number => {
        const lines = countLines(storage.read(file.name));
        storage.erase(file.name);
        return lines;
      };

      const applyRetention = (trail: TrailName) => {
        const all = files(trail);
        const expired = expiredFiles(all, limits(trail), clock.now());
        for (let i = 0; i < expired.length; i++) {
          observe({ kind: "expired", trail, file: expired[i].name, lines: erase(expired[i]) });
        }
        // Expired files are always the oldest: what is left starts after them. The oldest closed
        // file's lines all predate the next file's opening.
        const next = all[expired.length + 1];
        expiresAt[trail] = next ? next.createdMs + limits(trail).maxAgeMs : Infinity;
      };

      /** Frees flash by erasing the oldest closed file, ordinary logs first. */
      const makeRoom = (): boolean => {
        const order: TrailName[] = ["log", "refused", "audit"];
        for (let t = 0; t < order.length; t++) {
          const trail = order[t];
          const closed = files(trail).filter((f) => f.name !== open[trail]?.file.name);
          if (closed.length === 0) continue;
          const lines = erase(closed[0]);
          // A flash that will not erase frees nothing: trying again would never end.
          if (storage.read(closed[0].name) !== undefined) return false;
          observe({ kind: "dropped", trail, lines, file: closed[0].name });
          sendBack({ type: "LINES_DROPPED", trail, count: lines });
          return true;
        }
        return false;
      };

      const append = (trail: TrailName, line: string) => {
        const max = limits(trail).maxFileBytes;
        let target = current(trail);
        if (target === null || target.size + line.length > max) {
          const seq = target === null ? 0 : target.file.seq + 1;
          const createdMs = clock.now();
          target = { file: { name: logFileName(trail, seq, createdMs), seq, createdMs }, size: 0 };
          open[trail] = target;
        }
        while (!storage.append(target.file.name, line)) {
          if (!makeRoom()) {
            observe({ kind: "dropped", trail, lines: 1 });
            sendBack({ type: "LINES_DROPPED", trail, count: 1 });
            if (!failing) sendBack({ type: "SINK_FAILED", reason: "full, nothing left to erase" });
            failing = true;
            return;
          }
        }
        const opened = target.size === 0;
        target.size += line.length;
        observe({ kind: "written", trail, file: target.file.name, line });
        if (opened || clock.now() >= expiresAt[trail]) applyRetention(trail);
        if (failing) sendBack({ type: "SINK_OK" });
        failing = false;
      };

      /** The record as one line that fits the trail's files. */
      const lineFor = (trail: TrailName, record: LogRecord): string | null => {
        const line = formatJsonLine(record, settings.maskedFields);
        const max = limits(trail).maxFileBytes;
        if (line.length <= max) return line;
        const shortened = formatJsonLine(
          Object.assign({}, record, {
            msg: record.msg.slice(0, max >> 2),
            fields: { truncatedFrom: line.length },
          }),
          settings.maskedFields,
        );
        return shortened.length <= max ? shortened : null;
      };

      const write = (trail: TrailName, record: LogRecord) => {
        const line = lineFor(trail, record);
        if (line === null) {
          observe({ kind: "dropped", trail, lines: 1 });
          sendBack({ type: "LINES_DROPPED", trail, count: 1 });
          return;
        }
        append(trail, line);
      };

      receive((request) => {
        try {
          if (request.type === "SETTINGS") {
            settings = request.settings;
            return;
          }
          if (request.type === "IDENTITY") {
            identity = request.identity;
            return;
          }
          const ts = wallClock.now();
          if (request.trail === "log") {
            write("log", {
              ts,
              level: request.entry.level,
              msg: request.entry.msg,
              manager: request.manager,
              device: identity.device,
              tenant: identity.tenant,
              ns: identity.ns,
              fields: request.entry.fields,
            });
          } else {
            const r = request.record;
            write(r.refused ? "refused" : "audit", {
              ts,
              level: "info",
              msg: r.what,
              manager: "audit",
              device: identity.device,
              tenant: identity.tenant,
              ns: identity.ns,
              fields: Object.assign({}, r.fields, { who: r.who, result: r.result }),
            });
          }
        } catch (error) {
          if (!failing) sendBack({ type: "SINK_FAILED", reason: String(error) });
          failing = true;
        }
      });
    }),
  };
}
