/**
 * The ConfigManager's effects: the last known good document in flash (`config.lkg`), and the
 * conditional fetch from the ConfigurationServer (`If-None-Match` with the ETag held, so an
 * unchanged document costs a 304 and no parsing).
 *
 * A `config.lkg` that is not a document of the shape written here is never trusted: its text is
 * copied to `config.bad` before anything can overwrite it, and the problem is named for the
 * manager to log and raise, as `alarms.json` is.
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import { requestJson } from "../httpJson.js";
import type { ConfigDocument, ConfigEffects, FetchInput } from "./machine.js";

export const LAST_KNOWN_GOOD_FILE = "config.lkg";
/** Where an unreadable last known good is copied, for whoever investigates. */
export const CONFIG_BAD_FILE = "config.bad";

/** The stored document, if flash holds one of the right shape; else what is wrong with it. */
export function readLastKnownGood(text: string | undefined): {
  stored: ConfigDocument | null;
  problem: string | null;
} {
  if (text === undefined) return { stored: null, problem: null };
  let doc: Partial<ConfigDocument> | null;
  try {
    doc = JSON.parse(text) as Partial<ConfigDocument> | null;
  } catch (_) {
    return { stored: null, problem: `${LAST_KNOWN_GOOD_FILE} is not JSON` };
  }
  if (doc === null || typeof doc.version !== "number" || typeof doc.etag !== "string") {
    return { stored: null, problem: `${LAST_KNOWN_GOOD_FILE} holds no configuration document` };
  }
  return { stored: { version: doc.version, etag: doc.etag, config: doc.config }, problem: null };
}

export function configEffects(board: Pick<Board, "http" | "storage">): ConfigEffects {
  return {
    loadLastKnownGood: fromCallback(({ sendBack }) => {
      const text = board.storage.read(LAST_KNOWN_GOOD_FILE);
      const read = readLastKnownGood(text);
      let problem = read.problem;
      if (problem !== null && !board.storage.write(CONFIG_BAD_FILE, text as string)) {
        problem = `${problem} (and flash refused to keep it as ${CONFIG_BAD_FILE})`;
      }
      sendBack({ type: "LKG_LOADED", stored: read.stored, problem });
    }),

    fetchConfig: fromCallback<any, FetchInput>(({ input, sendBack }) =>
      requestJson(
        board.http,
        {
          method: "GET",
          url: input.url,
          token: input.token,
          headers: input.etag ? { "if-none-match": input.etag } : {},
          timeoutMs: input.timeoutMs,
        },
        (answer) => {
          if (!answer.ok) {
            sendBack({ type: "CONFIG_FETCH_FAILED", error: answer.error, status: answer.status });
          } else if (answer.status === 304) {
            sendBack({ type: "CONFIG_NOT_MODIFIED" });
          } else {
            const doc = answer.json as { version?: unknown; config?: unknown } | null;
            const etag = answer.headers.etag;
            if (!doc || typeof doc.version !== "number" || typeof etag !== "string") {
              sendBack({ type: "CONFIG_FETCH_FAILED", error: "malformed configuration document" });
            } else {
              sendBack({ type: "CONFIG_RECEIVED", version: doc.version, etag, config: doc.config });
            }
          }
        },
      ),
    ),

    persistLastKnownGood: (document) =>
      board.storage.write(LAST_KNOWN_GOOD_FILE, JSON.stringify(document)),
  };
}
