/**
 * The StateManager's effects on a board: the full fetch of the document, the versioned update of
 * reported, the long poll for desired changes, and the device summary the reported part is built
 * from. A server's answer is checked for shape before any field of it is used: a malformed one
 * is a failure like a network error, never a throw.
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import { deviceSummary } from "../controller/summary.js";
import { requestJson } from "../httpJson.js";
import { loggerView } from "../logger/view.js";
import type {
  Failure,
  PollCommand,
  StateEffects,
  StatePart,
  StateRequest,
  UpdateRequest,
} from "./machine.js";

function isPart(value: unknown): value is StatePart {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Espruino has no `Number.isInteger`. */
function isVersion(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && Math.floor(value) === value;
}

function failed(request: Failure["request"], error: string, status?: number) {
  return { type: "REQUEST_FAILED", request, error, status };
}

/**
 * `managerIds` names the managers the summary reads (called when it is read, so the table can
 * name itself); `bootAt` is the board's time at boot, for the uptime.
 */
export function stateEffects(
  board: Pick<Board, "http" | "clock" | "info">,
  managerIds: () => readonly string[],
): StateEffects {
  const bootAt = board.clock.now();
  return {
    fetchState: fromCallback<any, StateRequest>(({ input, sendBack }) =>
      requestJson(
        board.http,
        { method: "GET", url: input.url, token: input.token, timeoutMs: input.timeoutMs },
        (answer) => {
          if (!answer.ok) return sendBack(failed("fetch", answer.error, answer.status));
          const doc = answer.json as { version?: unknown; reported?: unknown; desired?: unknown };
          if (!doc || !isVersion(doc.version) || !isPart(doc.reported) || !isPart(doc.desired)) {
            return sendBack(failed("fetch", "malformed state document"));
          }
          sendBack({
            type: "STATE_FETCHED",
            version: doc.version,
            reported: doc.reported,
            desired: doc.desired,
          });
        },
      ),
    ),

    updateReported: fromCallback<any, UpdateRequest>(({ input, sendBack }) =>
      requestJson(
        board.http,
        {
          method: "PUT",
          url: `${input.url}/reported`,
          token: input.token,
          body: { version: input.version, reported: input.reported },
          timeoutMs: input.timeoutMs,
        },
        (answer) => {
          if (!answer.ok) return sendBack(failed("update", answer.error, answer.status));
          const version = (answer.json as { version?: unknown } | null)?.version;
          if (!isVersion(version)) {
            return sendBack(failed("update", "malformed update answer"));
          }
          sendBack({ type: "REPORTED_ACCEPTED", version, changes: input.changes });
        },
      ),
    ),

    watchDesired: fromCallback(({ sendBack, receive }) => {
      let command: PollCommand | null = null;
      let cancel: (() => void) | null = null;
      /**
       * Asks again at once after news or a wait the server held; after an early answer with
       * nothing new (a server that does not hold polls, or repeats itself) only once the wait
       * asked for is over, so a misbehaving server cannot make the device spin.
       */
      const pollAgain = (sentAt: number, news: boolean) => {
        const waited = board.clock.now() - sentAt;
        const waitMs = (command as PollCommand).waitMs;
        if (news || waited >= waitMs / 2) return poll();
        const timer = board.clock.setTimeout(poll, waitMs - waited);
        cancel = () => board.clock.clearTimeout(timer);
      };
      const poll = () => {
        const c = command as PollCommand;
        const sentAt = board.clock.now();
        cancel = requestJson(
          board.http,
          {
            method: "GET",
            url: `${c.url}/changes?after=${c.after}&wait=${c.waitMs}`,
            token: c.token,
            timeoutMs: c.timeoutMs,
          },
          (answer) => {
            cancel = null;
            if (!answer.ok) return sendBack(failed("poll", answer.error, answer.status));
            // 204: the server's wait ran out with nothing new.
            if (answer.status === 204) return pollAgain(sentAt, false);
            const note = answer.json as { version?: unknown; desired?: unknown } | null;
            if (!note || !isVersion(note.version) || !isPart(note.desired)) {
              return sendBack(failed("poll", "malformed notification"));
            }
            const current = command as PollCommand;
            const news = note.version > current.after;
            if (news) current.after = note.version;
            sendBack({ type: "DESIRED_NOTIFIED", version: note.version, desired: note.desired });
            pollAgain(sentAt, news);
          },
        );
      };
      receive((event) => {
        const next = event as PollCommand;
        if (next.type !== "POLL") return;
        // A poll under way keeps what it was sent with: the next one takes the newer version.
        const after = command !== null && command.after > next.after ? command.after : next.after;
        command = Object.assign({}, next, { after });
        if (cancel === null) poll();
      });
      return () => {
        if (cancel !== null) cancel();
      };
    }),

    running: (system) => {
      const logger = loggerView(system);
      return logger ? { logLevel: logger.level } : {};
    },
    summarize: (system) =>
      deviceSummary(system, managerIds(), board, bootAt) as unknown as StatePart,
  };
}
