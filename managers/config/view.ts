/**
 * What the other managers may read of this one's context: the configuration in force, where it
 * came from and what was refused, for the device summary, `GET /config` and `/metrics`. Read with
 * `viewOf` (`managers/view.ts`).
 */
import type { ConfigContext } from "./machine.js";

export type ConfigView = Pick<ConfigContext, "version" | "source" | "config" | "refused">;
