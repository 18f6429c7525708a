/**
 * The board's HTTP client and server on Espruino's `require("http")`.
 *
 * Sends `Host` and `Content-Length` itself: Espruino omits them and Node-based servers answer 400
 * without them (measured). Response header names are lower-cased, as the seam promises. The
 * timeout and cancel are the board's: Espruino's request has neither. An answer longer than
 * `MAX_RESPONSE_BYTES` fails the request rather than filling the heap.
 *
 * The server (`createServer`) reads a request body chunk by chunk and stops keeping it past
 * `maxBodyBytes` (answered 413 once the body ends), so a large body cannot exhaust the heap.
 * Measured on 2v29: a served request emits `end` when its body is complete (`close` only
 * after the answer), request header names keep the client's case, and the peer's address is
 * not exposed (`remoteAddress` is `unknown`). The port is the one asked for: the interpreter
 * cannot pick a free one.
 */
import { authorityOf, parseUrl } from "../../runtime/url.js";
import { utf8Length } from "../../runtime/utf8.js";
import type { Clock, Http, RequestHandler, ServedResponse, ServeOptions } from "../types.js";
import { loadModule } from "./modules.js";

/** The longest answer a request keeps: the services' answers are a few kilobytes at most. */
export const MAX_RESPONSE_BYTES = 32 * 1024;

interface EspruinoResponse {
  statusCode: number | string;
  headers: Record<string, string>;
  on(event: "data", listener: (chunk: string) => void): void;
  on(event: "close", listener: () => void): void;
}

interface EspruinoRequest {
  on(event: "error", listener: (error: unknown) => void): void;
  end(body?: string): void;
}

interface EspruinoServedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  on(event: "data", listener: (chunk: string) => void): void;
  on(event: "end", listener: () => void): void;
}

interface EspruinoServerResponse {
  writeHead(status: number, headers: Record<string, string>): void;
  end(body: string): void;
}

interface EspruinoServer {
  listen(port: number): void;
  close(): void;
}

interface EspruinoHttp {
  createServer(
    onRequest: (req: EspruinoServedRequest, res: EspruinoServerResponse) => void,
  ): EspruinoServer;
  request(
    options: {
      host: string;
      port: number;
      path: string;
      method: string;
      headers: Record<string, string>;
    },
    onResponse: (res: EspruinoResponse) => void,
  ): EspruinoRequest;
}

function jsonAnswer(status: number, error: string): ServedResponse {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error }),
  };
}

/** Collects one served request's body within the limit and hands it to `handler` once. */
function serveRequest(
  req: EspruinoServedRequest,
  res: EspruinoServerResponse,
  options: ServeOptions,
  handler: RequestHandler,
): void {
  let body = "";
  let size = 0;
  let answered = false;
  const send = (answer: ServedResponse) => {
    if (answered) return;
    answered = true;
    try {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    } catch (_) {
      // The client went away: nothing is left to tell it.
    }
  };
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size <= options.maxBodyBytes) body += chunk;
  });
  req.on("end", () => {
    if (size > options.maxBodyBytes) {
      if (options.onRefused) options.onRefused(413, "unknown");
      return send(jsonAnswer(413, "payload too large"));
    }
    const headers: Record<string, string> = {};
    const names = Object.keys(req.headers || {});
    for (let i = 0; i < names.length; i++) {
      // Names kept in the client's case: `Authorization` and `authorization` are one header.
      const name = names[i].toLowerCase();
      const value = req.headers[names[i]];
      // biome-ignore lint/style/useTemplate: templates corrupt UTF-8 text on Espruino (see schema.ts).
      headers[name] = headers[name] === undefined ? value : headers[name] + ", " + value;
    }
    try {
      handler(
        {
          method: String(req.method).toUpperCase(),
          path: req.url,
          headers,
          body,
          remoteAddress: "unknown",
        },
        send,
      );
    } catch (_) {
      send(jsonAnswer(500, "internal server error"));
    }
  });
}

export function espruinoHttp(clock: Clock): Http {
  let module: EspruinoHttp | null = null;
  return {
    serve(options, handler, ready) {
      let server: EspruinoServer | null = null;
      let error: string | null = null;
      let pending = true;
      try {
        if (module === null) module = loadModule<EspruinoHttp>("http");
        server = module.createServer((req, res) => serveRequest(req, res, options, handler));
        server.listen(options.port);
      } catch (e) {
        error = `cannot listen on port ${options.port}: ${String(e)}`;
      }
      const timer = clock.setTimeout(() => {
        pending = false;
        ready(error, options.port);
      }, 0);
      return () => {
        if (pending) clock.clearTimeout(timer);
        pending = false;
        try {
          if (server !== null) server.close();
        } catch (_) {
          // Already closed.
        }
        server = null;
      };
    },
    request(req, done) {
      let open = true;
      const cancel = () => {
        open = false;
        clock.clearTimeout(timer);
      };
      const finish = (error: string | null, res?: Parameters<typeof done>[1]) => {
        if (!open) return;
        cancel();
        done(error, res);
      };
      const timer = clock.setTimeout(() => finish("timeout"), req.timeoutMs);
      const url = parseUrl(req.url);
      // Espruino's `http` module speaks no TLS: an https service is refused here, plainly.
      if (url === null || url.scheme !== "http") {
        clock.setTimeout(() => finish(`unsupported URL: ${req.url}`), 0);
        return cancel;
      }
      try {
        if (module === null) module = loadModule<EspruinoHttp>("http");
        const body = req.body ?? "";
        const headers: Record<string, string> = Object.assign({}, req.headers, {
          host: authorityOf(url),
          // Bytes, not characters: a body with non-ASCII text is longer on the wire.
          "content-length": String(utf8Length(body)),
        });
        const request = module.request(
          { host: url.host, port: url.port, path: url.path, method: req.method, headers },
          (res) => {
            let text = "";
            res.on("data", (chunk) => {
              // A service's answer is small; a huge one must not exhaust the heap.
              if (text.length + chunk.length > MAX_RESPONSE_BYTES) {
                finish(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
                return;
              }
              text += chunk;
            });
            res.on("close", () => {
              const lower: Record<string, string> = {};
              const names = Object.keys(res.headers || {});
              for (let i = 0; i < names.length; i++)
                lower[names[i].toLowerCase()] = res.headers[names[i]];
              finish(null, { status: Number(res.statusCode), headers: lower, body: text });
            });
          },
        );
        request.on("error", (error) => finish(`connection failed: ${JSON.stringify(error)}`));
        request.end(body);
      } catch (error) {
        clock.setTimeout(() => finish(`http unavailable: ${String(error)}`), 0);
      }
      return cancel;
    },
  };
}
