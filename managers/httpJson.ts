/**
 * One JSON request to a service through the board's HTTP, answered as one outcome the managers'
 * actors turn into events: the parsed body with its status and headers, or what went wrong
 * (network error, timeout, an error status with the server's `error` text, a body that is not
 * the JSON it claims to be). Bad input from a server never throws on the device.
 */
import type { Http } from "../board/types.js";

export type JsonOutcome =
  | { ok: true; status: number; headers: Record<string, string>; json: unknown }
  | { ok: false; status?: number; error: string };

export interface JsonRequest {
  method: "GET" | "POST" | "PUT";
  url: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** Sends the request; `done` is called once. Returns the cancel function. */
export function requestJson(
  http: Http,
  request: JsonRequest,
  done: (outcome: JsonOutcome) => void,
): () => void {
  const headers: Record<string, string> = Object.assign(
    { accept: "application/json" },
    request.headers,
  );
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  let body: string | undefined;
  if (request.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(request.body);
  }
  return http.request(
    { method: request.method, url: request.url, headers, body, timeoutMs: request.timeoutMs },
    (error, res) => {
      if (error !== null || !res) {
        done({ ok: false, error: error ?? "no response" });
        return;
      }
      if (res.status === 304) {
        done({ ok: true, status: 304, headers: res.headers, json: null });
        return;
      }
      let json: unknown;
      try {
        json = res.body === "" ? null : JSON.parse(res.body);
      } catch (_) {
        done({ ok: false, status: res.status, error: "malformed response body" });
        return;
      }
      if (res.status >= 200 && res.status < 300) {
        done({ ok: true, status: res.status, headers: res.headers, json });
        return;
      }
      const said =
        json && typeof json === "object" ? (json as { error?: unknown }).error : undefined;
      done({
        ok: false,
        status: res.status,
        error: typeof said === "string" ? said : `HTTP ${res.status}`,
      });
    },
  );
}
