/**
 * The same `Http` seam and `HttpHandler`s as `simulatedNetwork.ts`, over real TCP on Node: a
 * client for a board running in real time, and a server that puts a handler on 127.0.0.1.
 *
 * The client keeps the seam's promises on a real socket: `done` exactly once unless cancelled,
 * never synchronously, errors as the same strings the simulated network gives ("timeout",
 * "network down", "connection refused", "bad url"; others as the socket's error code), and
 * `timeoutMs` covers the whole exchange, not only the idle gaps Node's own timeout measures.
 * The server answers as the simulated network does: 413 above 64 KB of body (or the limit it is
 * given), and a 500 JSON error when a handler throws, so one bad request does not take the
 * service down; a request Node's parser refuses (a malformed header, a header section too large)
 * gets a JSON error too: 431 for a header section too large, 408 for a connection that sent no
 * complete request within `requestTimeoutMs` (idle or slow, 10 s unless told), 400 for the rest.
 * A header sent twice reaches the handler as one value joined with ", " (Node itself would keep
 * only the first `Authorization`). The same server is the board's own (`serve`) in real-time
 * simulations. Node only.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  BAD_URL,
  CONNECTION_REFUSED,
  callHandler,
  type HttpHandler,
  jsonError,
  MAX_BODY_BYTES,
  NETWORK_DOWN,
  payloadTooLarge,
  type ServiceRequest,
  type ServiceResponse,
  servedRequest,
  TIMEOUT,
} from "../sim/simulatedNetwork.js";
import type { Http, HttpRequest, HttpResponse } from "../types.js";

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  /** Stops listening and drops open connections, hung ones included. */
  close(): Promise<void>;
}

export function loopbackHttp(isLinkUp: () => boolean = () => true): Http {
  return {
    serve(options, handler, ready) {
      let open = true;
      let server: LoopbackServer | undefined;
      serveOnLoopback((req, respond) => handler(servedRequest(req), respond), options.port, {
        maxBodyBytes: options.maxBodyBytes,
        onRefused: options.onRefused,
      }).then(
        (started) => {
          server = started;
          if (open) ready(null, started.port);
          else void started.close();
        },
        (error: NodeJS.ErrnoException) => {
          if (open) ready(error.code === "EADDRINUSE" ? "address in use" : errorString(error), 0);
        },
      );
      return () => {
        open = false;
        void server?.close();
      };
    },
    request(req: HttpRequest, done: (error: string | null, res?: HttpResponse) => void) {
      let open = true;
      let outgoing: http.ClientRequest | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const close = () => {
        if (!open) return false;
        open = false;
        if (timer !== undefined) clearTimeout(timer);
        outgoing?.destroy();
        return true;
      };
      const fail = (error: string) => {
        if (close()) done(error);
      };
      const failSoon = (error: string) => {
        setImmediate(() => fail(error));
        return () => {
          close();
        };
      };

      let url: URL;
      try {
        url = new URL(req.url);
      } catch (_error) {
        return failSoon(BAD_URL);
      }
      if (url.protocol !== "http:") return failSoon(BAD_URL);
      if (!isLinkUp()) return failSoon(NETWORK_DOWN);

      const body = req.body ?? "";
      const headers: Record<string, string> = {};
      for (const name of Object.keys(req.headers ?? {})) {
        headers[name.toLowerCase()] = String(req.headers![name]);
      }
      headers["content-length"] = String(Buffer.byteLength(body));
      // No keep-alive pool: a cancelled or timed-out request must not leave a socket behind.
      outgoing = http.request(url, { method: req.method, headers, agent: false });
      outgoing.on("error", (error: NodeJS.ErrnoException) => fail(errorString(error)));
      outgoing.on("response", (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("error", (error: NodeJS.ErrnoException) => fail(errorString(error)));
        incoming.on("close", () => {
          if (!incoming.complete) fail("connection reset");
        });
        incoming.on("end", () => {
          if (!isLinkUp()) return fail(NETWORK_DOWN);
          const resHeaders = flattenHeaders(incoming.headers);
          const res: HttpResponse = {
            status: incoming.statusCode ?? 0,
            headers: resHeaders,
            body: Buffer.concat(chunks).toString(encodingOf(resHeaders)),
          };
          if (close()) done(null, res);
        });
      });
      if (req.timeoutMs > 0 && req.timeoutMs < Infinity) {
        timer = setTimeout(() => fail(TIMEOUT), req.timeoutMs);
      }
      outgoing.end(body);
      return () => {
        close();
      };
    },
  };
}

export interface LoopbackOptions {
  /** Longer request bodies are answered 413 (read to the end, not kept); 64 KB unless told. */
  maxBodyBytes?: number;
  /** Time for a connection to deliver a whole request, else 408; 10 s unless told. */
  requestTimeoutMs?: number;
  /** Told of each request answered here without reaching the handler (see `ServeOptions`). */
  onRefused?: (status: number, remoteAddress: string) => void;
}

/** A request timed out by Node's own deadline checks (headers or whole request). */
const REQUEST_TIMEOUT = "ERR_HTTP_REQUEST_TIMEOUT";

function writeAnswer(outgoing: http.ServerResponse, res: ServiceResponse): void {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(res.headers ?? {})) {
    const lower = name.toLowerCase();
    // The length is computed here: a handler's own could only contradict the body.
    if (lower !== "content-length" && lower !== "transfer-encoding") {
      headers[lower] = res.headers[name];
    }
  }
  const body = Buffer.from(res.body ?? "", encodingOf(headers));
  headers["content-length"] = String(body.length);
  outgoing.writeHead(res.status, headers);
  outgoing.end(body);
}

/**
 * Text travels as UTF-8; a body of bytes (`application/octet-stream`, a firmware image) as one
 * byte a character, the binary strings Espruino's own HTTP hands out.
 */
function encodingOf(headers: Record<string, string>): "latin1" | "utf8" {
  return (headers["content-type"] ?? "").indexOf("application/octet-stream") === 0
    ? "latin1"
    : "utf8";
}

/** A response written by hand on a socket Node's parser gave up on: JSON, as every answer. */
function rawJsonError(socket: Socket, status: number, reason: string, message: string): void {
  if (!socket.writable) return;
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function serveOnLoopback(
  handler: HttpHandler,
  port = 0,
  options: LoopbackOptions = {},
): Promise<LoopbackServer> {
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const refused = (status: number, socket: Socket) =>
    options.onRefused?.(status, socket.remoteAddress ?? "unknown");
  const server = http.createServer(
    {
      requestTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      // How often Node looks for connections past those deadlines (30 s unless told).
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, timeoutMs >> 2)),
    },
    (incoming, outgoing) => {
      const send = (res: ServiceResponse) => {
        if (outgoing.headersSent || outgoing.destroyed) return;
        writeAnswer(outgoing, res);
      };
      // Read to the end even when refusing: a server that answers and closes while the client is
      // still sending makes the kernel reset the connection, and the client never sees the 413.
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      incoming.on("end", () => {
        if (size > limit) {
          refused(413, incoming.socket);
          return send(payloadTooLarge());
        }
        const req: ServiceRequest = {
          method: (incoming.method ?? "GET").toUpperCase(),
          path: incoming.url ?? "/",
          headers: flattenHeaders(incoming.headersDistinct),
          body: Buffer.concat(chunks).toString("utf8"),
          remoteAddress: incoming.socket.remoteAddress ?? "unknown",
        };
        callHandler(handler, req, send);
      });
    },
  );
  // Node would drop a CONNECT silently, and answer an `Expect` it does not know without a body.
  server.on("connect", (_req: http.IncomingMessage, socket: Socket) =>
    rawJsonError(socket, 405, "Method Not Allowed", "CONNECT is not served"),
  );
  server.on("checkExpectation", (_req: http.IncomingMessage, outgoing: http.ServerResponse) =>
    writeAnswer(outgoing, jsonError(417, "only Expect: 100-continue is understood")),
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "HPE_HEADER_OVERFLOW") {
      refused(431, socket);
      rawJsonError(socket, 431, "Request Header Fields Too Large", "request headers too large");
    } else if (error.code === REQUEST_TIMEOUT) {
      refused(408, socket);
      rawJsonError(socket, 408, "Request Timeout", "no complete request in time");
    } else if (error.code === "ECONNRESET" || error.code === "EPIPE") {
      socket.destroy();
    } else {
      refused(400, socket);
      rawJsonError(socket, 400, "Bad Request", "malformed request");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const bound = (server.address() as AddressInfo).port;
      resolve({
        origin: `http://127.0.0.1:${bound}`,
        port: bound,
        close: () =>
          new Promise<void>((resolveClose) => {
            server.close(() => resolveClose());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function errorString(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return CONNECTION_REFUSED;
    case "ETIMEDOUT":
      return TIMEOUT;
    case "ENETUNREACH":
    case "EHOSTUNREACH":
    case "ENETDOWN":
      return NETWORK_DOWN;
    case "ECONNRESET":
    case "EPIPE":
      return "connection reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "dns failure";
    default:
      return error.code ?? error.message;
  }
}

/** Lower-case names (Node already gives them) and repeated headers joined, as HTTP allows. */
function flattenHeaders(
  headers: http.IncomingHttpHeaders | NodeJS.Dict<string[]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
