/**
 * The device API's routes: what each path answers for each method, and the role it needs. The
 * server (`effects.ts`) has already spent the caller's rate, found the route, checked the token
 * and parsed the body when a route runs: a route reads the device through `Server` (the managers'
 * views, the controller, the board) and answers with `reply`, or sends a manager an event and
 * answers for it. Adding a route is one entry here; its role is checked by the server.
 */
import type { ActorSystem, AnyActorRef } from "xstate";
import type { Board, ServedRequest, ServedResponse } from "../../board/types.js";
import { isLogLevel, type LogLevel } from "../../runtime/log.js";
import { exposition } from "../../runtime/prometheus.js";
import type { Role } from "../../runtime/rbac.js";
import { stateName } from "../../runtime/stateName.js";
import type { AlarmsView } from "../alarms/view.js";
import type { ConfigView } from "../config/view.js";
import type { HostPong } from "../controller/machine.js";
import { deviceSummary } from "../controller/summary.js";
import type { OtaView } from "../ota/view.js";
import type { StateView } from "../state/view.js";
import { viewOf } from "../view.js";
import { deviceMetrics } from "./metrics.js";

export type ApiBoard = Pick<Board, "http" | "clock" | "storage" | "info" | "reset">;

/** Who made a call whose token verified; no role when it named none enough. */
export interface Caller {
  subject: string;
  role: Role | null;
  tenant: string;
  ns: string;
}

/** What a route is given. */
export interface Call {
  req: ServedRequest;
  /** The JSON object a PUT or POST carried; null for a GET or an empty body. */
  body: Record<string, unknown> | null;
  server: Server;
  reply(status: number, payload: unknown): void;
  /** The verified token's subject; absent for a route anyone may call. */
  caller?: string;
}

/** The running server's view of the device, shared by its routes. */
export interface Server {
  board: ApiBoard;
  system: ActorSystem<any>;
  controller: AnyActorRef | undefined;
  bootAt: number;
  /** Asks the controller for liveness and readiness; null when it does not answer in time. */
  askController(answer: (pong: HostPong | null) => void): void;
  send(id: string, event: { type: string; [k: string]: unknown }): boolean;
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

export interface Method {
  /** The role needed; null for a route anyone may call. */
  role: Role | null;
  run(call: Call): void;
}

/** How long an operator's level holds unless `forMs` says (an hour), and at most (a day). */
const OVERRIDE_DEFAULT_MS = 3_600_000;
const OVERRIDE_MAX_MS = 86_400_000;

/** Time for the 202 to leave before the reset. */
const REBOOT_DELAY_MS = 500;
const MAX_ALARM_KEYS = 64;

export function json(
  status: number,
  payload: unknown,
  headers?: Record<string, string>,
): ServedResponse {
  return {
    status,
    headers: Object.assign({ "content-type": "application/json" }, headers),
    body: JSON.stringify(payload),
  };
}

const notRunning = (call: Call, manager: string) =>
  call.reply(503, { error: `the ${manager} manager is not running` });

export const ROUTES: Record<string, Record<string, Method>> = {
  "/healthz": {
    GET: {
      role: null,
      run: (call) =>
        call.server.askController((pong) => {
          if (pong === null) call.reply(503, { error: "the controller is not answering" });
          else if (pong.unresponsive.length > 0) {
            call.reply(503, { error: "managers not answering", unresponsive: pong.unresponsive });
          } else call.reply(200, { status: "live" });
        }),
    },
  },
  "/readyz": {
    GET: {
      role: "viewer",
      run: (call) =>
        call.server.askController((pong) => {
          if (pong === null) call.reply(503, { error: "the controller is not answering" });
          else if (!pong.ready) call.reply(503, { error: "not ready", failing: pong.failing });
          else call.reply(200, { status: "ready" });
        }),
    },
  },
  "/metrics": {
    GET: {
      role: "viewer",
      run: (call) => {
        const s = call.server;
        const text = exposition(
          deviceMetrics({
            system: s.system,
            controller: s.controller,
            board: s.board,
            bootAt: s.bootAt,
          }),
        );
        call.reply(200, text);
      },
    },
  },
  "/state": {
    GET: {
      role: "viewer",
      run: (call) => {
        const s = call.server;
        const ids = s.controller ? Object.keys(s.controller.getSnapshot().children) : [];
        const answer: Record<string, unknown> = {
          device: deviceSummary(s.system, ids, s.board, s.bootAt),
        };
        const state = viewOf<StateView>(s.system, "state");
        if (state) {
          answer.state = {
            reported: state.reported,
            desired: state.desired,
            version: state.version,
          };
        }
        call.reply(200, answer);
      },
    },
  },
  "/config": {
    GET: {
      role: "viewer",
      run: (call) => {
        const config = viewOf<ConfigView>(call.server.system, "config");
        if (!config) return notRunning(call, "config");
        call.reply(200, {
          version: config.version,
          source: config.source,
          config: config.config,
          refused: config.refused ?? null,
        });
      },
    },
  },
  "/alarms": {
    GET: {
      role: "viewer",
      run: (call) => {
        const alarms = viewOf<AlarmsView>(call.server.system, "alarms");
        if (!alarms) return notRunning(call, "alarms");
        call.reply(200, { alarms: alarms.buffer ?? [], counters: alarms.counters ?? {} });
      },
    },
    POST: {
      role: "operator",
      run: (call) => {
        const keys = call.body?.keys;
        if (
          !Array.isArray(keys) ||
          keys.length === 0 ||
          keys.length > MAX_ALARM_KEYS ||
          keys.some((k) => typeof k !== "string" || k === "")
        ) {
          return call.reply(400, {
            error: `keys: must be a list of 1 to ${MAX_ALARM_KEYS} alarm keys (non-empty strings)`,
          });
        }
        if (!call.server.send("alarms", { type: "ACKNOWLEDGE", keys })) {
          return notRunning(call, "alarms");
        }
        call.reply(202, { acknowledged: keys.length });
      },
    },
  },
  "/ota": {
    GET: {
      role: "viewer",
      run: (call) => {
        const ota = viewOf<OtaView>(call.server.system, "ota");
        if (!ota) return notRunning(call, "ota");
        const ref = call.server.system.get("ota") as AnyActorRef;
        call.reply(200, {
          state: stateName(ref.getSnapshot().value),
          running: ota.running,
          target: ota.target ? ota.target.version : null,
          written: ota.written,
          size: ota.target ? ota.target.size : null,
          results: ota.results,
          lastResult: ota.lastResult,
          lastError: ota.lastError,
          rolledBack: ota.rolledBack,
        });
      },
    },
    POST: {
      role: "operator",
      run: (call) => {
        const ref = call.server.system.get("ota") as AnyActorRef | undefined;
        if (!ref) return notRunning(call, "ota");
        const state = stateName(ref.getSnapshot().value);
        if (state !== "idle")
          return call.reply(409, { error: `an update is under way (${state})` });
        ref.send({ type: "CHECK", by: call.caller ?? "api" });
        call.reply(202, { status: "checking" });
      },
    },
  },
  "/log-level": {
    PUT: {
      role: "operator",
      run: (call) => {
        const level = call.body?.level;
        const forMs = call.body?.forMs ?? OVERRIDE_DEFAULT_MS;
        if (level !== null && !isLogLevel(level)) {
          return call.reply(400, {
            error: "level: must be one of debug, info, warn, error, or null",
          });
        }
        if (
          typeof forMs !== "number" ||
          Math.floor(forMs) !== forMs ||
          forMs < 1000 ||
          forMs > OVERRIDE_MAX_MS
        ) {
          return call.reply(400, {
            error: `forMs: must be an integer from 1000 to ${OVERRIDE_MAX_MS}`,
          });
        }
        // Through the controller, which retains it for a logger that restarts.
        const until = call.server.board.clock.now() + forMs;
        if (!call.server.send("controller", { type: "LOG_LEVEL_OVERRIDE", level, until })) {
          return notRunning(call, "controller");
        }
        call.reply(200, level === null ? { level } : { level, until });
      },
    },
  },
  "/reboot": {
    POST: {
      role: "admin",
      run: (call) => {
        const board = call.server.board;
        call.reply(202, { status: "rebooting" });
        board.clock.setTimeout(() => board.reset("api-reboot"), REBOOT_DELAY_MS);
      },
    },
  },
};
