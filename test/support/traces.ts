/**
 * Traces for comparing the two runtimes: every snapshot (actor, event, state value, context,
 * status) and every event relayed between actors (sender, receiver, the event: log lines, reports,
 * sends, inits) and emitted, as canonical JSON lines stamped with the clock, in the order they
 * happen. Two runs of the same scenario are equal when their traces are equal line for line.
 */
import stringify from "fast-json-stable-stringify";
import type { Clock } from "../../board/types.js";

export interface TraceRecorder {
  lines: string[];
  inspect: (event: any) => void;
  /** Records an event an actor emitted (e.g. the controller's `PONG`). */
  emitted: (event: unknown) => void;
}

export function traceRecorder(clock: Clock): TraceRecorder {
  const lines: string[] = [];
  return {
    lines,
    inspect: (e) => {
      if (e.type === "@xstate.snapshot") {
        const s = e.snapshot;
        lines.push(
          stringify({
            t: clock.now(),
            actor: e.actorRef.id,
            on: e.event.type,
            value: s.value,
            context: s.context,
            status: s.status,
            error: s.error === undefined ? undefined : String(s.error),
          }),
        );
      } else if (e.type === "@xstate.event") {
        lines.push(
          stringify({ t: clock.now(), from: e.sourceRef?.id, to: e.actorRef.id, event: e.event }),
        );
      }
    },
    emitted: (event) => lines.push(stringify({ t: clock.now(), emitted: event })),
  };
}

/** The first line where two traces differ, shown with its neighbours; null when equal. */
export function traceDifference(expected: string[], actual: string[]): string | null {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      return `line ${i + 1} of ${expected.length} / ${actual.length}:\n  xstate:   ${expected[i]?.slice(0, 2000)}\n  compiled: ${actual[i]?.slice(0, 2000)}\n  before:   ${expected[i - 1]?.slice(0, 500)}`;
    }
  }
  return null;
}
