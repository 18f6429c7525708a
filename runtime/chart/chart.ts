/**
 * A compiled statechart: what the build makes of an XState v5 machine definition, and all the
 * device runtime (`actor.ts`) knows of one. The structure is kept in short strings, the behaviour
 * in two functions of generated code (`o` picks a transition, `r` runs a block of actions), so
 * a machine costs the device a handful of variables instead of a tree of state-node, transition
 * and action objects: code run from Storage stays in flash, strings pack about ten characters a
 * variable.
 *
 * Nodes are numbered in document order, the root 0. Blocks are numbered: node i's entry is i,
 * its exit is n + i, transition k is 2n + k (n nodes). Transition 0 is the initial one.
 * Guards, actions, delays, invoke sources and inputs that are not plain names are "leaves":
 * indices into the list `leaves.ts` collects from the same definition, on the laptop at build
 * time and on the device when the machine is created, in the same order.
 */

/** The calls a chart's generated code makes on the actor running it. */
export interface ChartHost {
  /** Runs an action: a name of `setup`'s actions, or a leaf index. */
  a(ref: string | number): void;
  /** Evaluates a guard: a name of `setup`'s guards, or a leaf index. */
  g(ref: string | number): boolean;
  /**
   * Schedules a state's `after` event: the delay in ms or the name of `setup`'s delay, the
   * event's type, and the timer's id, its number in the chart (see `c`).
   */
  d(delay: string | number, type: string, id: number): void;
  /**
   * Cancels a state's `after` event when it is left, by its number: the timer's id is that
   * number, not the event's type as in XState (no machine names a timer it did not start), so
   * the type, 40 characters and more, is written once per event instead of twice, and the key
   * the system files the timer under fits in one variable on a board.
   */
  c(id: number): void;
  /** Starts an invoked child: its source (name or leaf), id, and input leaf (-1: none). */
  v(src: string | number, id: string, input: number): void;
  /** Stops an invoked child when its state is left. */
  s(id: string): void;
  /** Exits the active nodes from the deepest up to `stop`, not including it (-1: all). */
  x(stop: number): void;
  /** Enters node i (the active leaf becomes i, its entry block runs). */
  n(i: number): void;
}

export interface Chart {
  /** The machine's id. */
  id: string;
  /** Each node's key, `|`-separated, the root's first (its key is the machine id). */
  k: string;
  /** Each node's parent as a character: code − 36 (the root's is −1). */
  p: string;
  /** Each node's initial child as a character: code − 36 (−1 for an atomic node). */
  i: string;
  /** Each node's tags, `,`-separated, nodes `|`-separated; "" when no node has any. */
  t: string;
  /** The leaf holding the context (a function of the input, or an object), or −1. */
  c: number;
  /** The transition node i takes for event type `type` (null: its eventless ones), or −1. */
  o(i: number, type: string | null, x: ChartHost): number;
  /** Runs block b (see above). */
  r(b: number, x: ChartHost): void;
}

/** Offset of the node numbers packed into `p` and `i`, keeping them printable ASCII. */
export const NODE_CODE = 36;

/** The most nodes a chart may have, so every packed code stays below 127. */
export const MAX_NODES = 126 - NODE_CODE;

export function parentOf(chart: Chart, i: number): number {
  return chart.p.charCodeAt(i) - NODE_CODE;
}

export function initialOf(chart: Chart, i: number): number {
  return chart.i.charCodeAt(i) - NODE_CODE;
}

/** The i-th of `text`'s `|`-separated fields, found without splitting (no array allocated). */
export function field(text: string, i: number): string {
  let start = 0;
  for (let n = 0; n < i; n++) start = text.indexOf("|", start) + 1;
  const end = text.indexOf("|", start);
  return end < 0 ? text.slice(start) : text.slice(start, end);
}

/** The state value with leaf `leaf` active, as XState writes it: `"idle"`, `{connected: "idle"}`. */
export function stateValue(chart: Chart, leaf: number): unknown {
  // A machine without child states rests in its root: XState's value for it is `{}`.
  if (leaf === 0) return {};
  let value: unknown = field(chart.k, leaf);
  for (let n = parentOf(chart, leaf); n > 0; n = parentOf(chart, n)) {
    const outer: Record<string, unknown> = {};
    outer[field(chart.k, n)] = value;
    value = outer;
  }
  return value;
}

/** Whether the active leaf or one of its ancestors carries `tag`. */
export function hasTag(chart: Chart, leaf: number, tag: string): boolean {
  if (chart.t === "") return false;
  for (let n = leaf; n >= 0; n = parentOf(chart, n)) {
    const tags = field(chart.t, n);
    if (tags !== "" && `,${tags},`.indexOf(`,${tag},`) >= 0) return true;
  }
  return false;
}

/** Whether an event type matches a wildcard descriptor (`*`, or `a.b.*`), as XState 5 reads it. */
export function matchesWildcard(type: string, descriptor: string): boolean {
  if (descriptor === "*") return true;
  const stem = descriptor.slice(0, -2);
  return type === stem || type.slice(0, stem.length + 1) === `${stem}.`;
}
