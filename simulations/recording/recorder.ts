/**
 * Records a simulated device's run at the board seam: `adaptBoard` wraps the board's clock,
 * radio, HTTP, UDP and the values it hands out, so every input that reaches the machines and
 * every call they make becomes a line (`lines.ts`), and `inspect` adds a line per snapshot.
 *
 * Everything the device's timers, its radio and its network do is seen here, at the seam, not
 * in the world behind it: a recording replays without the services, the radio or the network
 * that produced it (`replay.ts`), whether it was made on Node or inside the Espruino interpreter
 * (this file holds no Node API; the recording bundle runs it there).
 */
import stringify from "fast-json-stable-stringify";
import type { SimulatedBoard } from "../../board/sim/simulatedBoard.js";
import type {
  Clock,
  Http,
  HttpResponse,
  ServedRequest,
  Udp,
  UdpPeer,
  UdpSocket,
  Wifi,
} from "../../board/types.js";
import { stateName } from "../../runtime/stateName.js";
import { type BootSettings, fnv1a, lineText, type RecordLine, toHex } from "./lines.js";

/** Entropy is recorded in steps of 2^-32 (`v` lines hold the whole number of steps). */
export const ENTROPY_STEPS = 4294967296;

/** A snapshot inspection event, as both XState and the compiled runtime shape it. */
interface SnapshotEvent {
  type: string;
  actorRef: { id: string };
  event: { type: string };
  snapshot: { value?: unknown; context?: unknown; status?: string };
}

/**
 * The context as hashed: numbers the interpreter prints exactly as Node does (its JSON keeps
 * about 11 significant digits), so a recording made there hashes as the replay does: whole
 * numbers below 1e11 as they are, fractions below 1e7 to the thousandth, others rounded or,
 * from 1e11 on (`Number.MAX_VALUE` as "no limit"), only their sign and size.
 */
function comparable(value: unknown): unknown {
  if (typeof value === "number") {
    const size = Math.abs(value);
    if (size >= 1e11) return value > 0 ? ">=1e11" : "<=-1e11";
    if (Math.floor(value) === value) return value;
    return size < 1e7 ? Math.round(value * 1000) / 1000 : Math.round(value);
  }
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(comparable);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++)
    out[keys[i]] = comparable((value as Record<string, unknown>)[keys[i]]);
  return out;
}

/** The `tr` line of a snapshot; null for events that are not snapshots of a state machine. */
export function transitionLine(event: SnapshotEvent, now: number): RecordLine | null {
  if (event.type !== "@xstate.snapshot" || event.snapshot.value === undefined) return null;
  const s = event.snapshot;
  const line: RecordLine = {
    k: "tr",
    t: now,
    a: event.actorRef.id,
    on: event.event.type,
    s: stateName(s.value),
    ctx: fnv1a(stringify(s.context === undefined ? null : comparable(s.context))),
  };
  if (s.status !== "active") line.st = s.status;
  return line;
}

export interface Recorder {
  /** Every line so far, as text. */
  lines: string[];
  /** Wraps a new board (call once per boot, with what the device is built from). */
  adaptBoard: (board: SimulatedBoard) => SimulatedBoard;
  boot(seed: number, settings: BootSettings, board: { storage: SimulatedBoard["storage"] }): void;
  inspect: (event: unknown) => void;
  start(): void;
  send(event: Record<string, unknown>): void;
  stop(): void;
}

/**
 * `sink` sees each line as it is made (printed over the interpreter's console, or kept); the
 * clock is the world's, whose time stamps every line.
 */
export function createRecorder(clock: Clock, sink?: (line: string) => void): Recorder {
  const lines: string[] = [];
  let calls = 0;
  const put = (line: RecordLine) => {
    const text = lineText(line);
    lines.push(text);
    if (sink) sink(text);
  };
  const out = (what: string, to?: string): number => {
    const c = ++calls;
    const line: RecordLine = { k: "out", t: clock.now(), c, what };
    if (to !== undefined) line.to = to;
    put(line);
    return c;
  };
  const answer = (c: number, a: Record<string, unknown>) => put({ k: "in", t: clock.now(), c, a });

  const wrapClock = (inner: Clock): Clock => ({
    now: () => inner.now(),
    setTimeout: (fn, ms) =>
      inner.setTimeout(() => {
        put({ k: "tick", t: inner.now() });
        fn();
      }, ms),
    clearTimeout: (id) => inner.clearTimeout(id),
  });

  const wrapWifi = (inner: Wifi): Wifi => ({
    connect(creds, done) {
      const c = out("connect", creds.ssid);
      return inner.connect(creds, (error) => {
        answer(c, { error });
        done(error);
      });
    },
    disconnect() {
      out("disconnect");
      inner.disconnect();
    },
    probe(done) {
      const c = out("probe");
      return inner.probe((error) => {
        answer(c, { error });
        done(error);
      });
    },
    onLinkLost(listener) {
      const c = out("lost");
      return inner.onLinkLost((reason) => {
        answer(c, { reason });
        listener(reason);
      });
    },
  });

  const wrapHttp = (inner: Http): Http => ({
    request(req, done) {
      const c = out("http", `${req.method} ${req.url}`);
      return inner.request(req, (error, res) => {
        answer(c, res === undefined ? { error } : { error, res: res as HttpResponse });
        done(error, res);
      });
    },
    serve(options, handler, ready) {
      const c = out("serve", String(options.port));
      return inner.serve(
        options,
        (req: ServedRequest, respond) => {
          answer(c, { req });
          handler(req, respond);
        },
        (error, port) => {
          answer(c, { error, port });
          ready(error, port);
        },
      );
    },
  });

  const wrapUdp = (inner: Udp): Udp => ({
    open(onMessage, onError): UdpSocket {
      const c = out("udp");
      const socket = inner.open(
        (data: Uint8Array, from: UdpPeer) => {
          answer(c, { data: toHex(data), from });
          onMessage(data, from);
        },
        (error) => {
          answer(c, { error });
          onError(error);
        },
      );
      return {
        send(data, address, port) {
          put({ k: "out", t: clock.now(), c, what: "udp.send", to: `${address}:${port}` });
          socket.send(data, address, port);
        },
        close: () => socket.close(),
      };
    },
  });

  return {
    lines,
    adaptBoard(board) {
      const entropy = board.entropy;
      const freeMemory = board.info.freeMemory;
      return Object.assign({}, board, {
        clock: wrapClock(board.clock),
        wifi: wrapWifi(board.wifi),
        http: wrapHttp(board.http),
        udp: wrapUdp(board.udp),
        entropy() {
          // In 2^-32 steps, recorded as the whole number of steps: the interpreter's JSON prints
          // about 11 significant digits, which would round the fraction itself.
          const steps = Math.floor(entropy() * ENTROPY_STEPS);
          put({ k: "v", what: "entropy", v: steps });
          return steps / ENTROPY_STEPS;
        },
        info: Object.assign({}, board.info, {
          freeMemory() {
            const v = freeMemory();
            put({ k: "v", what: "memory", v });
            return v;
          },
        }),
      });
    },
    boot(seed, settings, board) {
      const files: Record<string, string> = {};
      const names = board.storage.list();
      for (let i = 0; i < names.length; i++) {
        files[names[i]] = board.storage.read(names[i]) as string;
      }
      put({ k: "boot", t: clock.now(), seed, files, settings });
    },
    inspect(event) {
      const line = transitionLine(event as SnapshotEvent, clock.now());
      if (line !== null) put(line);
    },
    start: () => put({ k: "start", t: clock.now() }),
    send: (event) => put({ k: "send", t: clock.now(), event }),
    stop: () => put({ k: "stop", t: clock.now() }),
  };
}
