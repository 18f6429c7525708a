/**
 * The WatchdogManager's effects on a board: the heartbeat to ServiceDiscovery
 * (`POST /v1/heartbeat`, Bearer token) carrying the device's summary, read from the actor system
 * at the moment it is sent; the device reset; the board's time.
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import { deviceSummary } from "../controller/summary.js";
import { requestJson } from "../httpJson.js";
import type { HeartbeatInput, WatchdogEffects } from "./machine.js";

export function watchdogEffects(
  board: Pick<Board, "http" | "clock" | "info" | "reset">,
): WatchdogEffects {
  // The effects are made when the firmware builds its table: that is the boot.
  const bootAt = board.clock.now();
  return {
    sendHeartbeat: fromCallback<any, HeartbeatInput>(({ input, sendBack, system }) =>
      requestJson(
        board.http,
        {
          method: "POST",
          url: input.url,
          token: input.token,
          body: Object.assign(
            { deviceId: input.deviceId },
            deviceSummary(system, input.managers, board, bootAt),
          ),
          timeoutMs: input.timeoutMs,
        },
        (answer) => {
          if (answer.ok) sendBack({ type: "HEARTBEAT_ACKED" });
          else sendBack({ type: "HEARTBEAT_FAILED", error: answer.error, status: answer.status });
        },
      ),
    ),

    resetDevice: (reason) => board.reset(reason),

    now: () => board.clock.now(),
  };
}
