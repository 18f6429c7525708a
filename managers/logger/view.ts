/**
 * What other managers and the device API may know of the logger, as a typed view of its context
 * rather than a read of it through `Record<string, any>`: the level it runs and the operator's
 * override, if any. Null when no logger runs.
 */
import type { ActorSystem } from "xstate";
import type { LogLevel } from "../../runtime/log.js";
import { viewOf } from "../view.js";
import type { LoggerContext } from "./machine.js";

export interface LoggerView {
  /** The level lines are written at: override > desired > configured. */
  level: LogLevel;
  /** When the operator's level lapses (board time), null without one. */
  overrideUntil: number | null;
  /** Lines lost to a full flash since start. */
  dropped: number;
}

export function loggerView(system: ActorSystem<any>): LoggerView | null {
  const c = viewOf<LoggerContext>(system, "logger");
  if (!c) return null;
  return {
    level: c.level,
    overrideUntil: c.override ? c.override.until : null,
    dropped: c.dropped,
  };
}
