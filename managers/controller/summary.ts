/**
 * The device in one small object: each manager's state, uptime, free memory, firmware and
 * configuration versions. The watchdog's heartbeat carries it and the StateManager reports it;
 * it is read at the moment it is sent, from the managers' snapshots in the actor system, so
 * nothing keeps a copy in step.
 */
import type { ActorSystem, AnyActorRef } from "xstate";
import type { Board } from "../../board/types.js";
import { stateName } from "../../runtime/stateName.js";
import type { ConfigView } from "../config/view.js";
import type { OtaView } from "../ota/view.js";
import { viewOf } from "../view.js";

export interface DeviceSummary {
  /** Each running manager's state, e.g. `{ network: "connected.idle" }`. */
  managers: Record<string, string>;
  uptimeMs: number;
  freeMemory: number;
  firmwareVersion: string;
  /** The configuration version in force: every section of it taken by its manager. */
  configVersion: number | null;
  /** Present when a manager refused a section of the last configuration: which, and why. */
  configRefused?: { version: number | null; sections: Record<string, string> };
  /** Present with the OtaManager: the version running and what became of the last update. */
  ota?: { running: string; lastResult: string | null; lastError: string | null };
}

/** Reads the managers named in `ids` from `system`; a manager not running is left out. */
export function deviceSummary(
  system: ActorSystem<any>,
  ids: readonly string[],
  board: Pick<Board, "clock" | "info">,
  bootAt: number,
): DeviceSummary {
  const managers: Record<string, string> = {};
  let configVersion: number | null = null;
  let configRefused: DeviceSummary["configRefused"];
  for (const id of ids) {
    const ref = system.get(id) as AnyActorRef | undefined;
    if (ref) managers[id] = stateName(ref.getSnapshot().value);
  }
  const config = ids.indexOf("config") >= 0 ? viewOf<ConfigView>(system, "config") : undefined;
  if (config && typeof config.version === "number") configVersion = config.version;
  if (config?.refused) configRefused = config.refused;
  const ota = ids.indexOf("ota") >= 0 ? viewOf<OtaView>(system, "ota") : undefined;
  const summary: DeviceSummary = {
    managers,
    uptimeMs: board.clock.now() - bootAt,
    freeMemory: board.info.freeMemory(),
    firmwareVersion: board.info.firmwareVersion,
    configVersion,
  };
  if (configRefused) summary.configRefused = configRefused;
  if (ota) {
    summary.ota = { running: ota.running, lastResult: ota.lastResult, lastError: ota.lastError };
  }
  return summary;
}
