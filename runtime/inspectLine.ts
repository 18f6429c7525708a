/**
 * An inspection event as one compact line of JSON: what the firmware prints on its console when
 * `inspect.on` is in Storage, what `npm run inspect-device` reads, and what the offline viewer
 * loads from a file of such lines (a recording). It reads only the public inspection event
 * shapes (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`, with `actorRef.sessionId` and
 * `actorRef.id`, `sourceRef`, `event`, `snapshot.value` and `snapshot.context`), so any runtime
 * that emits those shapes prints the same lines.
 *
 *   {"i":"a","s":"x:2","n":"network"}                        an actor started
 *   {"i":"e","s":"x:2","n":"network","e":{...},"f":"x:0"}     an event sent to it (from `f`)
 *   {"i":"s","s":"x:2","n":"network","v":...,"c":...,"e":"WIFI_LOST"}   its new snapshot
 *
 * Every line names its actor (`n`), so a reader that joins late knows each actor at its next
 * snapshot. Snapshots of actors without a state value (callbacks, promises) are not printed.
 * Masking is the reader's job: the device prints what it has, on its own console.
 */
export interface InspectedActor {
  sessionId: string;
  id: string;
}

export interface Inspected {
  type: string;
  actorRef: InspectedActor;
  sourceRef?: InspectedActor;
  event?: { type: string };
  snapshot?: { value?: unknown; context?: unknown };
}

/** A line as read back. */
export interface InspectionLine {
  i: "a" | "e" | "s";
  s: string;
  n: string;
  /** The event (`e` lines: the object; `s` lines: its type). */
  e?: unknown;
  f?: string;
  v?: unknown;
  c?: unknown;
}

/** The line in a console's text (which may carry a prompt before it), or null if it holds none. */
export function parseInspectionLine(text: string): InspectionLine | null {
  const start = text.indexOf('{"i":');
  if (start < 0) return null;
  try {
    const line = JSON.parse(text.slice(start)) as InspectionLine;
    return typeof line.s === "string" && typeof line.n === "string" ? line : null;
  } catch (_) {
    return null;
  }
}

export function inspectionLine(e: Inspected): string | undefined {
  const line: Record<string, unknown> = { i: "", s: e.actorRef.sessionId, n: e.actorRef.id };
  if (e.type === "@xstate.actor") line.i = "a";
  else if (e.type === "@xstate.event") {
    line.i = "e";
    line.e = e.event;
    if (e.sourceRef) line.f = e.sourceRef.sessionId;
  } else if (e.type === "@xstate.snapshot" && e.snapshot && e.snapshot.value !== undefined) {
    line.i = "s";
    line.v = e.snapshot.value;
    line.c = e.snapshot.context;
    line.e = e.event ? e.event.type : "";
  } else return undefined;
  return JSON.stringify(line);
}
