/**
 * An IP network in software on any `Clock`: servers listen at an origin, a device's `Http`
 * reaches them with a one-way latency each way, and links, hung servers and refused connections
 * fail the way they do on a device. The same `HttpHandler` also runs behind a real loopback
 * socket (`loopbackHttp.ts`), so a service written once is tested on the virtual clock and over
 * real TCP alike.
 *
 * Guarantees, for every request: `done` is called exactly once (with a response or one error
 * string) unless the returned cancel ran first, and then never; it is never called synchronously
 * from inside `request()` (a caller may still be storing the cancel function); nothing happens
 * off the clock, and nothing here reads the host's time, so the same calls give the same trace.
 * Bundled into the trace: no Node API, no Map, no URL, no regex.
 *
 * UDP on the same network: a `DatagramHandler` listens at a host and port and answers by
 * `reply`, which sends a datagram back to the sender. Each datagram takes the one-way latency,
 * and is lost with probability `udpLoss`, drawn from the network's own seeded generator (so a
 * lossy run is reproduced from its seed). A datagram to a host nobody listens on fails as a
 * name lookup does (`dns failure`); to a known host on a closed port it is silently lost, as
 * on a real network; a radio that is down fails the send with `network down`.
 */
import { seededRandom } from "../../runtime/random.js";
import { authorityOf, originOf, parseUrl } from "../../runtime/url.js";
import { utf8Length } from "../../runtime/utf8.js";
import type {
  Clock,
  Http,
  HttpRequest,
  HttpResponse,
  RequestHandler,
  ServedRequest,
  ServeOptions,
  Udp,
  UdpPeer,
  UdpSocket,
} from "../types.js";

/** What a handler receives: the path keeps its query string, as Node's `req.url` does. */
export interface ServiceRequest {
  method: string;
  path: string;
  /** Names in lower case, on both transports. */
  headers: Record<string, string>;
  body: string;
  /** The sending client's address (`client()`'s), when the transport knows it. */
  remoteAddress?: string;
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `respond` may be called later, or never (a hung server); only its first call counts. */
export type HttpHandler = (req: ServiceRequest, respond: (res: ServiceResponse) => void) => void;

/** A UDP service: `reply` sends one datagram back to `from`; it may be called later, or never. */
export type DatagramHandler = (
  data: Uint8Array,
  from: UdpPeer,
  reply: (data: Uint8Array) => void,
) => void;

export interface NetworkOptions {
  /** One way: a request answered at once completes after twice this. Default 20 ms. */
  latencyMs?: number;
  /** The probability that a datagram is lost, each way. Default 0. */
  udpLoss?: number;
  /** Seeds the generator that decides which datagrams are lost. */
  seed?: number;
}

export interface NetworkStats {
  sent: number;
  /** Requests that reached a handler. */
  delivered: number;
  /** Requests whose `done` has not run and that were not cancelled: 0 once all settled. */
  inFlight: number;
}

/** The errors `done` can get, on both transports. */
export const NETWORK_DOWN = "network down";
export const TIMEOUT = "timeout";
export const CONNECTION_REFUSED = "connection refused";
export const BAD_URL = "bad url";
export const DNS_FAILURE = "dns failure";

/** The address the device's sockets send from. */
export const DEVICE_ADDRESS = "10.0.0.2";

/** A client's address unless told otherwise, and the host a board's own servers listen at. */
export const DEVICE_HOST = "device.sim";

/** Request bodies above this are answered 413 before any handler sees them. */
export const MAX_BODY_BYTES = 64 * 1024;

export class SimulatedNetwork {
  readonly latencyMs: number;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, inFlight: 0 };
  /** Datagrams sent by devices, and those of them that reached a service. */
  readonly udpStats = { sent: 0, delivered: 0, lost: 0 };
  udpLoss: number;
  /** An array rather than a Map: the interpreter has none without the shims. */
  private servers: Array<{ origin: string; handler: HttpHandler }> = [];
  private udpServers: Array<{ host: string; port: number; handler: DatagramHandler }> = [];
  private nextPort = 49_152;
  private readonly random: () => number;

  constructor(
    private readonly clock: Clock,
    options: NetworkOptions = {},
  ) {
    this.latencyMs = options.latencyMs ?? 20;
    this.udpLoss = options.udpLoss ?? 0;
    this.random = seededRandom(options.seed ?? 0);
  }

  /** Serves UDP at `host:port` with `handler`, replacing any before it. */
  listenUdp(host: string, port: number, handler: DatagramHandler): void {
    this.unlistenUdp(host, port);
    this.udpServers.push({ host: host.toLowerCase(), port, handler });
  }

  unlistenUdp(host: string, port: number): void {
    for (let i = 0; i < this.udpServers.length; i++) {
      const server = this.udpServers[i];
      if (server.host === host.toLowerCase() && server.port === port) {
        this.udpServers.splice(i, 1);
        return;
      }
    }
  }

  /** A device's UDP; `isLinkUp` is its radio (asked at send and at arrival). */
  udp(isLinkUp: () => boolean = () => true): Udp {
    return { open: (onMessage, onError) => this.openUdp(onMessage, onError, isLinkUp) };
  }

  private lostOnTheWay(): boolean {
    const lost = this.udpLoss > 0 && this.random() < this.udpLoss;
    if (lost) this.udpStats.lost++;
    return lost;
  }

  private openUdp(
    onMessage: (data: Uint8Array, from: UdpPeer) => void,
    onError: (error: string) => void,
    isLinkUp: () => boolean,
  ): UdpSocket {
    const clock = this.clock;
    const latency = this.latencyMs;
    const local: UdpPeer = { address: DEVICE_ADDRESS, port: this.nextPort++ };
    let open = true;
    const fail = (error: string, ms: number) => {
      clock.setTimeout(() => {
        if (open) onError(error);
      }, ms);
    };
    return {
      send: (data, address, port) => {
        if (!open) return;
        this.udpStats.sent++;
        // A copy: the sender may reuse its buffer, the wire has already taken the bytes.
        const datagram = new Uint8Array(data);
        const host = address.toLowerCase();
        let known = false;
        let server: { handler: DatagramHandler } | undefined;
        for (let i = 0; i < this.udpServers.length; i++) {
          if (this.udpServers[i].host !== host) continue;
          known = true;
          if (this.udpServers[i].port === port) server = this.udpServers[i];
        }
        if (!isLinkUp()) return fail(NETWORK_DOWN, 0);
        // The name lookup is a round trip before anything is sent.
        if (!known) return fail(DNS_FAILURE, 2 * latency);
        if (server === undefined || this.lostOnTheWay()) return;
        const handler = server.handler;
        const from: UdpPeer = { address: host, port };
        clock.setTimeout(() => {
          this.udpStats.delivered++;
          const reply = (answer: Uint8Array) => {
            const copy = new Uint8Array(answer);
            if (this.lostOnTheWay()) return;
            clock.setTimeout(() => {
              if (open && isLinkUp()) onMessage(copy, from);
            }, latency);
          };
          try {
            handler(datagram, { address: local.address, port: local.port }, reply);
          } catch (_error) {
            // A failing service answers nothing: the client's timeout tells.
          }
        }, latency);
      },
      close: () => {
        open = false;
      },
    };
  }

  /** Serves `origin` (scheme, host, optional port) with `handler`, replacing any before it. */
  listen(origin: string, handler: HttpHandler): void {
    const target = parseUrl(origin);
    if (target === null || target.path !== "/") throw new Error(`not an origin: ${origin}`);
    this.unlisten(origin);
    this.servers.push({ origin: originOf(target), handler });
  }

  /** The server at `origin` goes away: new requests to it are refused. */
  unlisten(origin: string): void {
    const target = parseUrl(origin);
    const server = target === null ? undefined : this.serverAt(originOf(target));
    if (server) this.servers.splice(this.servers.indexOf(server), 1);
  }

  /**
   * A device's view of the network; `isLinkUp` is its radio (asked at send and at arrival).
   * `address` is the host it is known by: the remote address its requests carry, and where its
   * own servers listen (`http://<address>[:port]`, port 0 meaning 80).
   */
  client(isLinkUp: () => boolean = () => true, address: string = DEVICE_HOST): Http {
    return {
      request: (req, done) => this.send(req, done, isLinkUp, address),
      serve: (options, handler, ready) => this.serve(address, options, handler, ready),
    };
  }

  private serve(
    address: string,
    options: ServeOptions,
    handler: RequestHandler,
    ready: (error: string | null, port: number) => void,
  ): () => void {
    const port = options.port === 0 ? 80 : options.port;
    const origin = port === 80 ? `http://${address}` : `http://${address}:${port}`;
    const own: HttpHandler = (req, respond) => {
      if (utf8Length(req.body) > options.maxBodyBytes) {
        options.onRefused?.(413, req.remoteAddress ?? "unknown");
        return respond(payloadTooLarge());
      }
      handler(servedRequest(req), respond);
    };
    const taken = this.serverAt(origin) !== undefined;
    if (!taken) this.listen(origin, own);
    let pending = true;
    const timer = this.clock.setTimeout(() => {
      pending = false;
      ready(taken ? "address in use" : null, port);
    }, 0);
    return () => {
      if (pending) this.clock.clearTimeout(timer);
      pending = false;
      if (!taken && this.serverAt(origin)?.handler === own) this.unlisten(origin);
    };
  }

  private send(
    req: HttpRequest,
    done: (error: string | null, res?: HttpResponse) => void,
    isLinkUp: () => boolean,
    address: string,
  ): () => void {
    const clock = this.clock;
    const stats = this.stats;
    const latency = this.latencyMs;
    let open = true;
    let timers: unknown[] = [];
    stats.sent++;
    stats.inFlight++;

    const later = (fn: () => void, ms: number) => {
      timers.push(clock.setTimeout(fn, ms));
    };
    /** True for the one caller that gets to settle the request. */
    const close = () => {
      if (!open) return false;
      open = false;
      stats.inFlight--;
      for (let i = 0; i < timers.length; i++) clock.clearTimeout(timers[i]);
      timers = [];
      return true;
    };
    const fail = (error: string) => {
      if (close()) done(error);
    };

    const target = parseUrl(req.url);
    const server = target === null ? undefined : this.serverAt(originOf(target));
    // Immediate failures still wait for the clock: `done` never runs inside `request()`.
    if (target === null) later(() => fail(BAD_URL), 0);
    else if (!isLinkUp()) later(() => fail(NETWORK_DOWN), 0);
    // The SYN goes out and the reset comes back: one round trip.
    else if (server === undefined) later(() => fail(CONNECTION_REFUSED), 2 * latency);
    else {
      const serviceReq: ServiceRequest = {
        method: req.method.toUpperCase(),
        path: target.path,
        headers: lowerCaseHeaders(req.headers, { host: authorityOf(target) }),
        body: req.body ?? "",
        remoteAddress: address,
      };
      later(() => {
        stats.delivered++;
        const answer = (res: ServiceResponse) => {
          if (!open) return;
          const copy: HttpResponse = {
            status: res.status,
            headers: lowerCaseHeaders(res.headers, {}),
            body: res.body ?? "",
          };
          later(() => {
            // The link is asked again: a radio that dropped meanwhile never hears the answer.
            if (!isLinkUp()) fail(NETWORK_DOWN);
            else if (close()) done(null, copy);
          }, latency);
        };
        if (utf8Length(serviceReq.body) > MAX_BODY_BYTES) answer(payloadTooLarge());
        else callHandler(server.handler, serviceReq, answer);
      }, latency);
    }
    // Set last, so an immediate failure due at the same instant wins over a zero timeout.
    if (req.timeoutMs > 0 && req.timeoutMs < Infinity) {
      later(() => fail(TIMEOUT), req.timeoutMs);
    }
    return () => {
      close();
    };
  }

  private serverAt(origin: string): { origin: string; handler: HttpHandler } | undefined {
    for (let i = 0; i < this.servers.length; i++) {
      if (this.servers[i].origin === origin) return this.servers[i];
    }
    return undefined;
  }
}

/** A request as a board's own server sees it: the peer's address always said. */
export function servedRequest(req: ServiceRequest): ServedRequest {
  return {
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    remoteAddress: req.remoteAddress ?? "unknown",
  };
}

/**
 * Runs `handler` so that only its first answer counts and a throw becomes a 500 rather than a
 * dead server: both transports answer a failing handler the same way.
 */
export function callHandler(
  handler: HttpHandler,
  req: ServiceRequest,
  respond: (res: ServiceResponse) => void,
): void {
  let answered = false;
  const once = (res: ServiceResponse) => {
    if (answered) return;
    answered = true;
    respond(res);
  };
  try {
    handler(req, once);
  } catch (_error) {
    once(jsonError(500, "internal server error"));
  }
}

export function payloadTooLarge(): ServiceResponse {
  return jsonError(413, "payload too large");
}

/** The error shape every service answers with: `{"error": "..."}`. */
export function jsonError(status: number, message: string): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: message }),
  };
}

function lowerCaseHeaders(
  headers: Record<string, string> | undefined,
  defaults: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(defaults);
  for (let i = 0; i < names.length; i++) out[names[i]] = defaults[names[i]];
  if (headers === undefined) return out;
  const given = Object.keys(headers);
  for (let i = 0; i < given.length; i++) out[given[i].toLowerCase()] = String(headers[given[i]]);
  return out;
}
