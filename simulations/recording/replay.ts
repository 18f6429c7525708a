/**
 * Replays a recording (`recorder.ts`): builds the device again from each `boot` line, on a
 * virtual clock and a board that answers every call from the recording instead of a radio, a
 * network and services, then feeds the inputs in their recorded order: a `tick` runs the device's
 * next timer (which must be due at the recorded time), an `in` answers the numbered call it
 * answered then, a `send` sends the event. Each call the device makes must be the call made
 * then, and each snapshot must equal the recorded `tr` line; the first that differs throws a
 * `ReplayDivergence` naming it (its number, time, actor, state and event, recorded and replayed).
 *
 * The machines run on XState unless told otherwise (`createActor`: the compiled runtime), so a
 * recording made inside the Espruino interpreter, on the compiled charts, replays here too.
 */
import type { AnyActorRef } from "xstate";
import { FlashStorage } from "../../board/sim/flashStorage.js";
import type { SimulatedBoard } from "../../board/sim/simulatedBoard.js";
import type { SimulatedWatchdog } from "../../board/sim/simulatedWatchdog.js";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type {
  Http,
  HttpResponse,
  RequestHandler,
  ServedRequest,
  Udp,
  UdpPeer,
  Wifi,
} from "../../board/types.js";
import { type SimulatedDeviceOptions, simulateDevice } from "../device.js";
import { fromHex, lineText, type RecordLine } from "./lines.js";
import { ENTROPY_STEPS, transitionLine } from "./recorder.js";

export class ReplayDivergence extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplayDivergence";
    this.message = message;
  }
}

export interface ReplayOptions {
  /** The runtime the machines run on: XState's `createActor` when absent. */
  createActor?: SimulatedDeviceOptions["createActor"];
}

export interface ReplayResult {
  boots: number;
  inputs: number;
  transitions: number;
}

/** A call the replayed device made, waiting for the recording's answers. */
interface Pending {
  what: string;
  deliver: (a: Record<string, unknown>) => void;
  /** Answered more than once (a link-loss subscription, a socket, a server). */
  lasting: boolean;
}

/** Lines as text (one JSON object each, blank lines ignored) or already parsed. */
export function parseRecording(recording: string | readonly string[]): RecordLine[] {
  const texts = typeof recording === "string" ? recording.split("\n") : recording;
  const lines: RecordLine[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i].trim();
    if (text === "") continue;
    try {
      lines.push(JSON.parse(text) as RecordLine);
    } catch (error) {
      throw new Error(
        `recording line ${i + 1} is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`,
      );
    }
  }
  if (lines.length === 0 || lines[0].k !== "boot") {
    throw new Error("a recording starts with a boot line");
  }
  return lines;
}

export function replay(
  recording: string | readonly string[],
  options: ReplayOptions = {},
): ReplayResult {
  const lines = parseRecording(recording);
  const expected = lines.filter((l) => l.k === "tr").map(lineText);
  const calls: Record<number, Extract<RecordLine, { k: "out" }>> = {};
  const values: Record<string, number[]> = { entropy: [], memory: [] };
  for (const line of lines) {
    if (line.k === "out" && calls[line.c] === undefined) calls[line.c] = line;
    if (line.k === "v") values[line.what].push(line.v);
  }
  const clock = new VirtualClock((lines[0] as Extract<RecordLine, { k: "boot" }>).t);
  const pending: Record<number, Pending> = {};
  let callCount = 0;
  let seen = 0;
  let divergence: string | null = null;
  const diverge = (text: string) => {
    if (divergence === null) divergence = text;
  };

  const call = (what: string, to: string | undefined, p?: Omit<Pending, "what">): number => {
    const c = ++callCount;
    const recorded = calls[c];
    if (recorded === undefined || recorded.what !== what || (recorded.to ?? to) !== to) {
      diverge(
        `call ${c} at ${clock.now()} ms: the device made ${what}${to ? ` ${to}` : ""}; ` +
          `the recording has ${recorded ? `${recorded.what}${recorded.to ? ` ${recorded.to}` : ""} at ${recorded.t} ms` : "no such call"}`,
      );
    }
    if (p) pending[c] = Object.assign({ what }, p);
    return c;
  };
  const cancel = (c: number) => () => {
    delete pending[c];
  };
  const value = (what: string) => {
    const v = values[what].shift();
    if (v === undefined) {
      diverge(`at ${clock.now()} ms the device asked for more ${what} values than were recorded`);
      return 0;
    }
    return v;
  };

  const wifi: Wifi = {
    connect: (_creds, done) =>
      cancel(
        call("connect", _creds.ssid, {
          deliver: (a) => done(a.error as string | null),
          lasting: false,
        }),
      ),
    disconnect: () => {
      call("disconnect", undefined);
    },
    probe: (done) =>
      cancel(
        call("probe", undefined, {
          deliver: (a) => done(a.error as string | null),
          lasting: false,
        }),
      ),
    onLinkLost: (listener) =>
      cancel(
        call("lost", undefined, { deliver: (a) => listener(a.reason as string), lasting: true }),
      ),
  };
  const http: Http = {
    request: (req, done) =>
      cancel(
        call("http", `${req.method} ${req.url}`, {
          deliver: (a) => done(a.error as string | null, a.res as HttpResponse | undefined),
          lasting: false,
        }),
      ),
    serve: (options, handler: RequestHandler, ready) =>
      cancel(
        call("serve", String(options.port), {
          deliver: (a) => {
            if (a.req !== undefined) handler(a.req as ServedRequest, () => {});
            else ready(a.error as string | null, a.port as number);
          },
          lasting: true,
        }),
      ),
  };
  const udp: Udp = {
    open: (onMessage, onError) => {
      const c = call("udp", undefined, {
        deliver: (a) => {
          if (a.data !== undefined) onMessage(fromHex(a.data as string), a.from as UdpPeer);
          else onError(a.error as string);
        },
        lasting: true,
      });
      return { send: () => {}, close: cancel(c) };
    },
  };
  const quietWatchdog = { enable: () => {}, kick: () => {} } as unknown as SimulatedWatchdog;

  let device: ReturnType<typeof simulateDevice> | null = null;
  let stopped = true;
  const result: ReplayResult = { boots: 0, inputs: 0, transitions: 0 };
  const moveTo = (t: number) => {
    if (t > clock.now()) clock.block(t - clock.now());
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.k === "boot") {
      if (device !== null && !stopped) device.actor.stop();
      moveTo(line.t);
      const storage = new FlashStorage();
      for (const name of Object.keys(line.files)) storage.write(name, line.files[name]);
      const settings = line.settings.device as Partial<SimulatedDeviceOptions>;
      device = simulateDevice(
        Object.assign({}, settings, {
          clock,
          seed: line.seed,
          storage,
          deviceId: line.settings.deviceId,
          deviceKey: line.settings.deviceKey,
          services: Object.assign(
            { discoveryUrl: "http://discovery.invalid", configUrl: "http://config.invalid" },
            settings.services,
            { http: () => http, udp: () => udp },
          ),
          freeMemory: () => value("memory"),
          entropy: () => value("entropy") / ENTROPY_STEPS,
          adaptBoard: (board: SimulatedBoard) =>
            Object.assign({}, board, { wifi, watchdog: quietWatchdog }),
          createActor: options.createActor,
          inspect: (event: unknown) => {
            const made = transitionLine(event as never, clock.now());
            if (made === null) return;
            const text = lineText(made);
            const want = expected[seen];
            if (divergence === null && text !== want) {
              diverge(
                `transition ${seen + 1} of ${expected.length} differs:\n  recorded: ${want ?? "(none: the recording ends)"}\n  replayed: ${text}`,
              );
            }
            seen++;
          },
        }),
      );
      stopped = true;
      result.boots++;
    } else if (line.k === "start") {
      moveTo(line.t);
      (device as { actor: AnyActorRef }).actor.start();
      stopped = false;
    } else if (line.k === "tick") {
      result.inputs++;
      const due = clock.nextDue();
      if (due !== line.t) {
        diverge(
          `input ${i + 1}: a timer fired at ${line.t} ms in the recording; the replayed device's next is ${due === null ? "none" : `due at ${due} ms`}`,
        );
      } else clock.runNext();
    } else if (line.k === "in") {
      result.inputs++;
      moveTo(line.t);
      const p = pending[line.c];
      if (p === undefined) {
        diverge(
          `input ${i + 1} at ${line.t} ms answers call ${line.c} (${calls[line.c]?.what ?? "unknown"}), which the replayed device never made or already abandoned`,
        );
      } else {
        if (!p.lasting) delete pending[line.c];
        p.deliver(line.a);
      }
    } else if (line.k === "send") {
      result.inputs++;
      moveTo(line.t);
      (device as { actor: AnyActorRef }).actor.send(line.event as { type: string });
    } else if (line.k === "stop") {
      moveTo(line.t);
      (device as { actor: AnyActorRef }).actor.stop();
      stopped = true;
    }
    if (divergence !== null) throw new ReplayDivergence(divergence);
  }
  if (seen < expected.length) {
    throw new ReplayDivergence(
      `the replay ended after ${seen} of ${expected.length} transitions; the next recorded: ${expected[seen]}`,
    );
  }
  result.transitions = seen;
  return result;
}
