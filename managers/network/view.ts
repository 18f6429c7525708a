/**
 * What the other managers may read of this one's context: wiFi connection attempts and connections
 * made, for `/metrics`. Read with `viewOf` (`managers/view.ts`).
 */
import type { NetworkContext } from "./machine.js";

export type NetworkView = Pick<NetworkContext, "attempts" | "connections">;
