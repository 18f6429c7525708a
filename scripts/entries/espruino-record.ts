/**
 * Entry of `dist/espruino-record.js`: records the first minutes of the reference network run inside
 * the interpreter, at the board seam, and prints each line of the recording as `REC <json>` between
 * markers, for `test/simulations/recording/recorder.espruino.test.ts` to replay on Node.
 * `RECORD_MS` (a global set before the bundle runs) shortens or lengthens it.
 */
import { recordNetworkRun } from "../../simulations/recording/networkRecording.js";

declare const RECORD_MS: number | undefined;

const endMs = typeof RECORD_MS === "number" ? RECORD_MS : 3 * 60 * 1000;
let count = 0;
console.log("RECORD-BEGIN");
recordNetworkRun(endMs, (line) => {
  count++;
  console.log(`REC ${line}`);
});
console.log(`RECORD-END ${count}`);
