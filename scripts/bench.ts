/**
 * `npm run bench`: speed and size figures, printed, never asserted.
 *
 * - the whole device (controller, logger, network, auth, config) and its services through 24
 *   hours of a flapping radio on the virtual clock (wall time, transitions per second), median
 *   of five runs;
 * - the size of each Espruino bundle, raw and gzipped (after `npm run build`).
 * Heap use on the device (JsVars) is measured by `npm run test:espruino` on the real interpreter.
 */
import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { VirtualClock } from "../board/node/virtualClock.js";
import { simulateWorld } from "../simulations/world.js";

const HOUR = 3_600_000;

function flappingDay(seed: number): { wallMs: number; transitions: number; connections: number } {
  const clock = new VirtualClock();
  let transitions = 0;
  const device = simulateWorld({ clock, seed, onTransition: () => transitions++ });
  device.board.radio.flap({ seed, upMs: [30_000, 300_000], downMs: [1_000, 60_000] });
  const began = performance.now();
  device.actor.start();
  clock.advance(24 * HOUR);
  const wallMs = performance.now() - began;
  const connections = device.network().context.connections;
  device.actor.stop();
  return { wallMs, transitions, connections };
}

const runs = [1, 2, 3, 4, 5].map(flappingDay).sort((a, b) => a.wallMs - b.wallMs);
const median = runs[2];
console.log("benchmark                               figure");
console.log(
  `device day, flapping radio, virtual    ${median.wallMs.toFixed(0)} ms wall (median of 5), ` +
    `${Math.round(median.transitions / (median.wallMs / 1000))} transitions/s, ` +
    `${median.connections} reconnections`,
);
for (const file of ["dist/prelude.js", "dist/espruino.js", "dist/espruino-trace.js"]) {
  if (!existsSync(file)) {
    console.log(`${file.padEnd(40)}missing: run npm run build`);
    continue;
  }
  const code = readFileSync(file);
  console.log(`${file.padEnd(40)}${code.length} B, gzip ${gzipSync(code).length} B`);
}
