/**
 * What the other managers may read of this one's context: requests refused for their rate, for
 * `/metrics`. Read with `viewOf` (`managers/view.ts`).
 */
import type { ApiContext } from "./machine.js";

export type ApiView = Pick<ApiContext, "rateLimited">;
