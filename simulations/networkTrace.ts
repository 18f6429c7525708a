/**
 * The reference run of the NetworkManager under the controller: a simulated radio on a virtual
 * clock through twenty minutes of faults (failed joins, a drop, a hung join, a stalled link, then
 * seeded flapping), recorded as one canonical JSON line per state change.
 *
 * The same function runs on Node, in a `vm` context stripped to Espruino's built-ins, and inside
 * the real interpreter (`dist/espruino-trace.js`): equal traces mean the bundle behaves on the
 * device as the TypeScript does on the laptop. Synchronous from start to end, so no host's
 * promise scheduling can make two runs differ.
 */
import stringify from "fast-json-stable-stringify";
import type { SimulatedRadio } from "../board/sim/simulatedRadio.js";
import { VirtualClock } from "../board/sim/virtualClock.js";
import type { NetworkContext } from "../managers/network/machine.js";
import { simulateDevice } from "./device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export function runNetworkTrace(): string[] {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const { board, actor } = simulateDevice({
    clock,
    seed: 7,
    onTransition: (t) => {
      if (t.actor !== "network") return;
      const c = t.snapshot.context as NetworkContext;
      lines.push(
        stringify({
          t: t.at,
          state: t.state,
          on: t.event,
          attempts: c.attempts,
          retry: c.retry,
          backoffMs: c.backoffMs,
          connections: c.connections,
          connectedMs: c.connectedMs,
          error: c.lastError,
        }),
      );
    },
  });
  networkTraceScript(clock, board.radio, 20 * MINUTE, () => actor.start());
  actor.stop();
  return lines;
}

/**
 * What the radio does in the reference run, from the device's start until `end` (20 minutes
 * for the whole of it), starting the device with `start`: two failed joins, a drop, a hung join, a stalled link, then flapping.
 * The recording the interpreter makes (`recording/networkRecording.ts`) plays the same.
 */
export function networkTraceScript(
  clock: VirtualClock,
  radio: SimulatedRadio,
  end: number,
  start: () => void,
): void {
  // Set before the device starts: its first joins are the ones that fail.
  radio.failNextConnects(2, "auth-failed");
  start();
  const phases: Array<[number, () => void]> = [
    [2 * MINUTE, () => radio.drop()],
    [
      4 * MINUTE,
      () => {
        radio.hangNextConnects(1);
        radio.drop();
      },
    ],
    [6 * MINUTE, () => radio.stall(30 * SECOND)],
    [
      8 * MINUTE,
      () =>
        radio.flap({
          seed: 3,
          upMs: [20 * SECOND, 90 * SECOND],
          downMs: [2 * SECOND, 30 * SECOND],
          until: 18 * MINUTE,
        }),
    ],
  ];
  for (let i = 0; i < phases.length && phases[i][0] <= end; i++) {
    clock.runUntil(phases[i][0]);
    phases[i][1]();
  }
  clock.runUntil(end);
}
