/**
 * Build entry of the shim prelude: bundled first into the Espruino build, it installs every
 * built-in the interpreter lacks and xstate or Babel's lowered helpers need (see install.ts).
 * Importing it first in a bundle has the same effect: modules run in import order.
 */
import { installShims } from "./install";

installShims(globalThis);
