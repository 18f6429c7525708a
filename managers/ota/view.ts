/**
 * What the other managers may read of this one's context: the version running, the update under
 * way and its bytes written, the results and the versions rolled back from, for `/metrics`, the
 * device summary and `GET /ota`. Read with `viewOf` (`managers/view.ts`).
 */
import type { OtaContext } from "./machine.js";

export type OtaView = Pick<
  OtaContext,
  "running" | "target" | "written" | "results" | "lastResult" | "lastError" | "rolledBack"
>;
