/**
 * The device in one small object: each manager's state, uptime, free memory, firmware and
 * configuration versions. The watchdog's heartbeat carries it and the StateManager reports it;
 * it is read at the moment it is sent, from the managers' snapshots in the actor system, so
 * nothing keeps a copy in step.
 */
import type { ActorSystem, AnyActorRef } from "xstate";
import type { Board } from "../../board/types.js";
import { stateName } from "../../runtime/stateName.js";

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
  let ota: DeviceSummary["ota"];
  for (const id of ids) {
    const ref = system.get(id) as AnyActorRef | undefined;
    if (!ref) continue;
    const snapshot = ref.getSnapshot() as {
      value: unknown;
      context?: { version?: unknown; refused?: DeviceSummary["configRefused"] | null };
    };
    managers[id] = stateName(snapshot.value);
    if (id === "config" && typeof snapshot.context?.version === "number") {
      configVersion = snapshot.context.version;
    }
    if (id === "config" && snapshot.context?.refused) configRefused = snapshot.context.refused;
    if (id === "ota" && snapshot.context) ota = snapshot.context as unknown as DeviceSummary["ota"];
  }
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
