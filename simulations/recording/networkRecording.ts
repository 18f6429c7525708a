/**
 * The reference network run (`networkTrace.ts`), recorded at the board seam for its first
 * `endMs`: what `dist/espruino-record.js` prints inside the interpreter, line by line, for a
 * test to replay on Node. Synchronous and free of Node APIs, like the trace.
 */
import { FlashStorage } from "../../board/sim/flashStorage.js";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import { SIMULATED_DEVICE, simulateDevice } from "../device.js";
import { networkTraceScript } from "../networkTrace.js";
import { createRecorder } from "./recorder.js";

export const NETWORK_RECORDING_SEED = 7;

export function recordNetworkRun(endMs: number, sink: (line: string) => void): void {
  const clock = new VirtualClock();
  const recorder = createRecorder(clock, sink);
  const storage = new FlashStorage();
  recorder.boot(
    NETWORK_RECORDING_SEED,
    { deviceId: SIMULATED_DEVICE.deviceId, deviceKey: SIMULATED_DEVICE.key, device: {} },
    { storage },
  );
  const device = simulateDevice({
    clock,
    seed: NETWORK_RECORDING_SEED,
    storage,
    adaptBoard: recorder.adaptBoard,
    inspect: recorder.inspect,
  });
  networkTraceScript(clock, device.board.radio, endMs, () => {
    recorder.start();
    device.actor.start();
  });
  recorder.stop();
  device.actor.stop();
}
