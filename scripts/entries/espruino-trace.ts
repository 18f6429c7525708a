/**
 * Entry of `dist/espruino-trace.js`: runs the reference network trace inside the interpreter
 * and prints it between markers, with the heap in use, for `scripts/test-espruino.ts`.
 */
import { runNetworkTrace } from "../../simulations/networkTrace.js";

declare const process: { memory?: () => { usage: number; free: number } };

// A Node vm context has no `process` at all (so no `process?.`): it then reports 0 JsVars.
const memory = () =>
  // biome-ignore lint/complexity/useOptionalChain: an undeclared global needs the typeof check.
  typeof process !== "undefined" && process.memory ? process.memory() : { usage: 0, free: 0 };
console.log("TRACE-BEGIN");
const lines = runNetworkTrace();
for (let i = 0; i < lines.length; i++) console.log(`TRACE ${lines[i]}`);
console.log(`TRACE-END ${lines.length}`);
console.log(`JSVARS ${memory().usage}`);
