/**
 * The ConfigManager's effects: the last known good document in flash (`config.lkg`), and the
 * conditional fetch from the ConfigurationServer (`If-None-Match` with the ETag held, so an
 * unchanged document costs a 304 and no parsing).
 */
import { fromCallback } from "xstate";
import type { Board } from "../board/types.js";
import type { ConfigDocument, ConfigEffects, FetchInput } from "../machines/config.js";
import { requestJson } from "./httpJson.js";

export const LAST_KNOWN_GOOD_FILE = "config.lkg";

/** The stored document, if flash holds one of the right shape. */
export function readLastKnownGood(text: string | undefined): ConfigDocument | null {
  if (text === undefined) return null;
  try {
    const doc = JSON.parse(text) as Partial<ConfigDocument>;
    if (typeof doc.version !== "number" || typeof doc.etag !== "string") return null;
    return { version: doc.version, etag: doc.etag, config: doc.config };
  } catch (_) {
    return null;
  }
}

export function configEffects(board: Pick<Board, "http" | "storage">): ConfigEffects {
  return {
    loadLastKnownGood: fromCallback(({ sendBack }) => {
      sendBack({
        type: "LKG_LOADED",
        stored: readLastKnownGood(board.storage.read(LAST_KNOWN_GOOD_FILE)),
      });
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
