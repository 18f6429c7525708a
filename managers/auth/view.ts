/**
 * What the other managers may read of this one's context: the token's claims (the API's tenant and
 * namespace) and its expiry, for the API and `/metrics`. Read with `viewOf` (`managers/view.ts`).
 */
import type { AuthContext } from "./machine.js";

export type AuthView = Pick<AuthContext, "claims" | "expiresAt">;
