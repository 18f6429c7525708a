/**
 * What the other managers may read of this one's context: the alarms held and what became of each,
 * for `/metrics` and `GET /alarms`. Read with `viewOf` (`managers/view.ts`).
 */
import type { AlarmContext } from "./machine.js";

export type AlarmsView = Pick<AlarmContext, "buffer" | "counters">;
