/**
 * What the generated paths need to know of one machine, beyond its chart: how to build it on a
 * clock with test effects (silent actors: the paths themselves say what the effects answer),
 * the input it starts with, a sample of each event's payload (so a path's `WIFI_FAILED` carries
 * an error a guard reads, and every guarded branch has an event that takes it), the context
 * fields that tell two of its states apart for the graph (the rest, counters and seeds, would
 * make it endless), and the transitions no path can take, each with the reason.
 */
import type { AnyEventObject, AnyStateMachine } from "xstate";
import type { Clock } from "../../board/types.js";

export interface PathModel {
  /** The actor's id on the device (its system id): `network`, `auth`... */
  id: string;
  /** The machine with test effects on `clock`, and the input the device would give it. */
  build(clock: Clock): { machine: AnyStateMachine; input: unknown };
  /**
   * Payloads per event type, one event each for the graph to try. An event type not listed is
   * sent as `{ type }` alone. Delayed events (`xstate.after...`) are never listed: the clock
   * runs them.
   */
  samples: Record<string, AnyEventObject[]>;
  /** What of the context the graph tells states apart by (guards read it); none by default. */
  key?: (context: any) => unknown;
  /**
   * Transitions no run can take (`<state id> <event type>[<index>]`, as `transitionId` names
   * them), each with why: the coverage test holds every other transition to be taken.
   */
  unreachable?: Record<string, string>;
}
