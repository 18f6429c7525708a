/**
 * What the other managers may read of this one's context: heartbeats that got no answer since
 * start, for `/metrics`. Read with `viewOf` (`managers/view.ts`).
 */
import type { WatchdogContext } from "./machine.js";

export type WatchdogView = Pick<WatchdogContext, "missedTotal">;
