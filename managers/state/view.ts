/**
 * What the other managers may read of this one's context: the reported and desired document and
 * its version, for `GET /state`. Read with `viewOf` (`managers/view.ts`).
 */
import type { StateContext } from "./machine.js";

export type StateView = Pick<StateContext, "reported" | "desired" | "version">;
