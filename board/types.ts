/**
 * The board seam: everything that touches hardware, the network or time goes through a `Board`.
 *
 * Machines never see a board; actors do. `board/espruino` implements it on the interpreter's
 * modules, `board/node` on Node (real loopback sockets, or a virtual clock and simulated radio).
 * Callbacks rather than promises where the device's own API is callback-shaped: a callback
 * delivered on the board's clock keeps a simulation deterministic, with no microtask ordering
 * to depend on, and costs no promise allocation on the device.
 */

/** The clock is handed to XState as its `clock` option, so `after` delays run on it too. */
export interface Clock {
  /** Milliseconds on this board's time line (virtual in simulation). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  /** Must accept `undefined` and unknown ids (Espruino throws on those: the board guards). */
  clearTimeout(id: unknown): void;
}

export interface WifiCredentials {
  ssid: string;
  password: string;
}

/** Why a connect failed: `no-radio` means this board has no WiFi at all and retrying is futile. */
export type WifiError = "no-radio" | "auth-failed" | "no-ap" | "timeout" | "busy" | string;

export interface Wifi {
  /**
   * Starts joining `creds.ssid`; calls `done` exactly once, with null on association or an
   * error. The returned function abandons the attempt: `done` is then never called.
   */
  connect(creds: WifiCredentials, done: (error: WifiError | null) => void): () => void;
  disconnect(): void;
  /**
   * Checks that the link carries traffic (not only that it is associated); calls `done` once
   * with null or the reason it does not. The returned function abandons the probe.
   */
  probe(done: (error: string | null) => void): () => void;
  /** Subscribes to the radio losing its link; returns the unsubscribe function. */
  onLinkLost(listener: (reason: string) => void): () => void;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A request to a server the board runs; header names in lower case on every board, a header
 * sent more than once joined into one value with ", " (as HTTP allows), so none is silently lost.
 */
export interface ServedRequest {
  method: string;
  /** With its query string, as sent. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The peer's address where the board knows it; `unknown` on Espruino, whose server hides it. */
  remoteAddress: string;
}

export type ServedResponse = HttpResponse;

/** Answers one request: `respond` may be called later; only its first call counts. */
export type RequestHandler = (req: ServedRequest, respond: (res: ServedResponse) => void) => void;

export interface ServeOptions {
  /** 0: any free port (where the board can choose one). */
  port: number;
  /** A longer body is answered 413 by the board, read past but never kept whole in memory. */
  maxBodyBytes: number;
  /**
   * Told of every request the board answers itself, never reaching the handler (413, and where
   * the transport sees them 431 for oversized headers, 400 for a malformed request, 408 for a
   * connection idle or slow past its deadline), so that they too are counted against their client.
   */
  onRefused?: (status: number, remoteAddress: string) => void;
}

export interface Http {
  /** Calls `done` once with a response or an error (timeouts included); returns an abort. */
  request(req: HttpRequest, done: (error: string | null, res?: HttpResponse) => void): () => void;
  /**
   * Serves `handler` on a port. `ready` is called once, never synchronously, with null and the
   * port bound, or why the port cannot be opened. The returned function closes the server (and
   * abandons `ready` if it has not run yet). A handler that throws is answered 500.
   */
  serve(
    options: ServeOptions,
    handler: RequestHandler,
    ready: (error: string | null, port: number) => void,
  ): () => void;
}

export interface UdpPeer {
  address: string;
  port: number;
}

/** One open UDP socket: datagrams are best effort, so a lost one is only noticed by a timeout. */
export interface UdpSocket {
  /** Sends one datagram; what goes wrong (network down, unknown host) arrives at `onError`. */
  send(data: Uint8Array, address: string, port: number): void;
  /** Stops delivery at once: no `onMessage` or `onError` after it. */
  close(): void;
}

export interface Udp {
  /**
   * Opens a socket on a port of the board's choosing. `onMessage` gets each datagram received,
   * `onError` each failure; neither is ever called from inside `open()` or `send()`.
   */
  open(
    onMessage: (data: Uint8Array, from: UdpPeer) => void,
    onError: (error: string) => void,
  ): UdpSocket;
}

/** The longest file name Espruino's Storage accepts. */
export const MAX_STORAGE_NAME = 28;

/**
 * Flash storage with Espruino's limits: flat names of at most 28 characters, no rename, and a
 * full flash refuses a write rather than throwing (the board catches what the device throws).
 */
export interface Storage {
  /** The whole file, whether written at once or appended to; undefined when absent. */
  read(name: string): string | undefined;
  /** Replaces the file. False when the flash is full: the old content is then kept. */
  write(name: string, data: string): boolean;
  /** Adds to the end of the file, creating it. False when the flash is full: nothing is added. */
  append(name: string, data: string): boolean;
  erase(name: string): void;
  /** Names that start with `prefix`, in no promised order. */
  list(prefix?: string): string[];
  /** Bytes in the file; 0 when absent. */
  size(name: string): number;
  freeBytes(): number;
  /**
   * Replaces the file with `size` unwritten (0xFF) bytes, to be filled by `writeAt`: a file
   * written in pieces across reboots (a firmware image). False when the flash has no room.
   */
  create(name: string, size: number): boolean;
  /**
   * Writes `data` at `offset` of a file made by `create`, programming only unwritten (0xFF)
   * bytes, so no erase happens and a power cut loses at most the bytes being written. False,
   * with nothing written, when a byte there is already written with another value or the data
   * runs past the file's end. At offset 0 every other byte must be unwritten too: Espruino
   * writes there by making the file anew (an erase), so only a file's first write may land there.
   */
  writeAt(name: string, data: string, offset: number): boolean;
  /** Reclaims the space of erased files (Espruino's `compact`); slow, never mid-download. */
  compact(): void;
}

/**
 * The hardware watchdog: once enabled, the device resets unless `kick` comes within the timeout.
 * Kicked only from the controller's healthy tick, so a wedged event loop or controller resets.
 */
export interface Watchdog {
  /** Arms it with `timeoutMs` (again: re-arms with the new timeout). Boards may clamp the value. */
  enable(timeoutMs: number): void;
  /** Starts the timeout afresh; does nothing until enabled. */
  kick(): void;
}

export interface Crypto {
  sha256(data: Uint8Array): Uint8Array;
  randomBytes(n: number): Uint8Array;
}

export interface BoardInfo {
  deviceId: string;
  firmwareVersion: string;
  /** Free heap: JsVars on Espruino, bytes on Node. */
  freeMemory(): number;
}

export interface Board {
  clock: Clock;
  wifi: Wifi;
  http: Http;
  /** For SNTP. */
  udp: Udp;
  storage: Storage;
  watchdog: Watchdog;
  /** Restarts the device, recording why; the simulated board records the call instead. */
  reset(reason: string): void;
  /** A uniform random number in [0, 1): seedable in simulation, hardware noise on the device. */
  random(): number;
  /**
   * A uniform random number in [0, 1) that no seed reproduces (hardware noise on the device, the
   * host's generator in simulation): for what must differ between boots whatever the seed, such
   * as the prefix of alarm keys, which a server may hold from an earlier boot.
   */
  entropy(): number;
  info: BoardInfo;
  log(line: string): void;
  /** CRC-32 (IEEE) of a file's bytes: `E.CRC32` on the device, which the boot stub checks slots with. */
  crc32(data: string): number;
}

/** The seams the later managers need; a board implements them as they arrive. */
export interface FullBoard extends Board {
  crypto: Crypto;
}
