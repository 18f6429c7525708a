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
  const radio = board.radio;
  radio.failNextConnects(2, "auth-failed");
  actor.start();
  clock.runUntil(2 * MINUTE);
  radio.drop();
  clock.runUntil(4 * MINUTE);
  radio.hangNextConnects(1);
  radio.drop();
  clock.runUntil(6 * MINUTE);
  radio.stall(30 * SECOND);
  clock.runUntil(8 * MINUTE);
  radio.flap({
    seed: 3,
    upMs: [20 * SECOND, 90 * SECOND],
    downMs: [2 * SECOND, 30 * SECOND],
    until: 18 * MINUTE,
  });
  clock.runUntil(20 * MINUTE);
  actor.stop();
  return lines;
}
