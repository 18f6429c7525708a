/**
 * Which states and transitions of a manager's statechart its generated paths reach, measured on
 * the run and not on the graph: every path is run under XState on the virtual clock and each
 * microstep XState takes (`@xstate.microstep`: the transitions it took, the states then active)
 * is counted, eventless and delayed transitions included, transient states too (a state left
 * by an `always` within the step it was entered in is active in its microstep).
 *
 * A transition is named `<state id> <event type>[<index>]`: the index-th candidate of that state
 * for that event, in document order (guarded alternatives are apart); eventless ones have the
 * event type `always`. Transitions the model declares unreachable are counted apart, with their
 * reason, and must indeed be unreached.
 */
import type { AnyStateMachine } from "xstate";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type { PathModel } from "./model.js";
import { generatePaths } from "./paths.js";
import { runSteps } from "./run.js";

interface NodeLike {
  id: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

interface TransitionLike {
  source: NodeLike;
  eventType: string;
}

export interface ChartCoverage {
  id: string;
  states: string[];
  transitions: string[];
  reachedStates: Set<string>;
  reachedTransitions: Set<string>;
  /** Declared unreachable, with the reason (from the model). */
  unreachable: Record<string, string>;
  paths: number;
}

/** The name of transition `t`, as the coverage and the models' declarations write it. */
export function transitionId(t: TransitionLike): string {
  const candidates = t.eventType === "" ? t.source.always : t.source.transitions.get(t.eventType);
  const index = (candidates ?? []).indexOf(t);
  return `${t.source.id} ${t.eventType === "" ? "always" : t.eventType}[${index}]`;
}

/** Every state node id and transition name of `machine`, in document order. */
export function chartElements(machine: AnyStateMachine): {
  states: string[];
  transitions: string[];
} {
  const states: string[] = [];
  const transitions: string[] = [];
  const visit = (node: NodeLike) => {
    states.push(node.id);
    for (const list of node.transitions.values()) transitions.push(...list.map(transitionId));
    transitions.push(...(node.always ?? []).map(transitionId));
    for (const key of Object.keys(node.states)) visit(node.states[key]);
  };
  visit(machine.root as unknown as NodeLike);
  return { states, transitions };
}

/** Runs every generated path of `model` under XState and counts what its microsteps reach. */
export function measureCoverage(model: PathModel): ChartCoverage {
  const { states, transitions } = chartElements(model.build(new VirtualClock()).machine);
  const reachedStates = new Set<string>();
  const reachedTransitions = new Set<string>();
  const inspect = (e: any) => {
    if (e.actorRef?.id !== model.id) return;
    if (e.type === "@xstate.microstep" || e.type === "@xstate.snapshot") {
      for (const node of e.snapshot._nodes ?? []) reachedStates.add(node.id);
    }
    if (e.type === "@xstate.microstep") {
      for (const t of e._transitions) reachedTransitions.add(transitionId(t));
    }
  };
  const paths = generatePaths(model);
  for (const path of paths) runSteps(model, path.events, { inspect });
  return {
    id: model.id,
    states,
    transitions,
    reachedStates,
    reachedTransitions,
    unreachable: model.unreachable ?? {},
    paths: paths.length,
  };
}

const percent = (n: number, of: number) => (of === 0 ? "100.0" : ((100 * n) / of).toFixed(1));

/** The coverage as a table, one manager a row, and below it what was not reached. */
export function coverageTable(rows: readonly ChartCoverage[]): string {
  const header = ["machine", "paths", "states", "transitions", "unreachable", "reachable covered"];
  const lines = rows.map((c) => {
    const declared = Object.keys(c.unreachable).length;
    const reachable = c.transitions.length - declared;
    const covered = c.transitions.filter(
      (t) => c.reachedTransitions.has(t) && !(t in c.unreachable),
    ).length;
    return [
      c.id,
      String(c.paths),
      `${c.states.filter((s) => c.reachedStates.has(s)).length}/${c.states.length}`,
      `${c.transitions.filter((t) => c.reachedTransitions.has(t)).length}/${c.transitions.length}`,
      String(declared),
      `${percent(covered, reachable)} %`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  const out = [row(header), row(widths.map((w) => "-".repeat(w))), ...lines.map(row)];
  for (const c of rows) {
    for (const s of c.states.filter((s) => !c.reachedStates.has(s))) {
      out.push(`${c.id}: state not reached: ${s}`);
    }
    for (const t of c.transitions.filter((t) => !c.reachedTransitions.has(t))) {
      const why = c.unreachable[t];
      out.push(`${c.id}: transition not reached: ${t}${why ? ` (unreachable: ${why})` : ""}`);
    }
  }
  return out.join("\n");
}
