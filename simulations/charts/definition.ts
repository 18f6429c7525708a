/**
 * A machine's statechart as data: the JSON written to `docs/machines/<id>.json`, the machine
 * re-created from that JSON, and the chart model the diagrams are drawn from.
 *
 * The JSON is XState's own definition (`machine.definition`, what `toJSON` returns), with one
 * addition: XState's definition leaves out eventless (`always`) transitions, which several
 * managers use, so each state node also carries its `always` list, in the same shape as its
 * other transitions. Nothing is invented: every field comes from XState, so the JSON says exactly
 * what the machine does, and `machineFromDefinition` proves it by building a machine from it with
 * the same states and transitions. Implementations (actions, guards, actors) are referenced by
 * name, as XState prints them; inline functions print as `null`.
 */
import { type AnyStateMachine, createMachine } from "xstate";

/** One transition as XState serialises it: targets are `#<state id>` references. */
export interface TransitionJson {
  eventType: string;
  target?: string[];
  source: string;
  guard?: unknown;
  actions?: unknown[];
  reenter?: boolean;
  delay?: string | number;
}

export interface StateJson {
  id: string;
  key: string;
  type: "atomic" | "compound" | "parallel" | "final" | "history";
  initial?: { target: string[] };
  history?: string | false;
  states: Record<string, StateJson>;
  transitions: TransitionJson[];
  always: TransitionJson[];
  entry: unknown[];
  exit: unknown[];
  invoke: Array<{ id: string; src: unknown }>;
  tags: string[];
}

interface StateNodeLike {
  states: Record<string, StateNodeLike>;
  always?: unknown[];
}

/** XState's definition of `machine`, as plain JSON, with each state's `always` transitions. */
export function exportDefinition(machine: AnyStateMachine): StateJson {
  const json = JSON.parse(JSON.stringify(machine.definition)) as StateJson;
  const addAlways = (node: StateNodeLike, out: StateJson) => {
    out.always = JSON.parse(JSON.stringify(node.always ?? []));
    for (const key of Object.keys(node.states)) addAlways(node.states[key], out.states[key]);
  };
  addAlways(machine.root as unknown as StateNodeLike, json);
  return json;
}

const AFTER = "xstate.after.";

/** One transition back as XState config: `#id` targets stay references, names stay names. */
function transitionConfig(t: TransitionJson): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (t.target && t.target.length > 0) config.target = t.target;
  if (t.guard !== undefined && t.guard !== null) config.guard = t.guard;
  const actions = (t.actions ?? []).filter((a) => a !== null);
  if (actions.length > 0) config.actions = actions;
  if (t.reenter) config.reenter = true;
  return config;
}

/** A state node's JSON back as the config `createMachine` takes. */
function stateConfig(state: StateJson): Record<string, unknown> {
  const config: Record<string, unknown> = { id: state.id, tags: state.tags };
  if (state.type !== "atomic" && state.type !== "compound") config.type = state.type;
  if (state.type === "history" && state.history) config.history = state.history;
  const initial = state.initial?.target ?? [];
  const first = Object.keys(state.states).find((k) => `#${state.states[k].id}` === initial[0]);
  if (state.type === "compound" && first) config.initial = first;
  const on: Record<string, unknown[]> = {};
  const after: Record<string, unknown[]> = {};
  for (const t of state.transitions) {
    // A delayed transition goes back under `after`, so XState names its event as before.
    const table = t.eventType.startsWith(AFTER) && t.delay !== undefined ? after : on;
    const key = table === after ? String(t.delay) : t.eventType;
    table[key] ??= [];
    table[key].push(transitionConfig(t));
  }
  config.on = on;
  config.after = after;
  config.always = state.always.map(transitionConfig);
  config.entry = state.entry.filter((a) => a !== null);
  config.exit = state.exit.filter((a) => a !== null);
  config.invoke = state.invoke.map((i) => ({ id: i.id, src: i.src }));
  const states: Record<string, unknown> = {};
  for (const key of Object.keys(state.states)) states[key] = stateConfig(state.states[key]);
  config.states = states;
  return config;
}

/** A machine built from exported JSON alone: same states, same transitions, no implementations. */
export function machineFromDefinition(json: StateJson): AnyStateMachine {
  return createMachine(stateConfig(json) as never) as unknown as AnyStateMachine;
}

/** A state in a chart: its path from the root (`connected.idle`; the root is `""`). */
export interface ChartNode {
  path: string;
  key: string;
  type: StateJson["type"];
  tags: string[];
  /** The path of the child entered first, for a compound state. */
  initial: string | null;
  children: ChartNode[];
}

/** A transition in a chart, between paths, with a short human label. */
export interface ChartEdge {
  source: string;
  target: string;
  label: string;
}

export interface Chart {
  id: string;
  root: ChartNode;
  edges: ChartEdge[];
}

function guardName(guard: unknown): string | null {
  if (typeof guard === "string") return guard;
  const type = (guard as { type?: unknown } | null)?.type;
  return typeof type === "string" ? type : null;
}

/** `after connectTimeout`, `done connectWifi`, `always`, or the event's own name. */
function edgeLabel(t: TransitionJson, state: StateJson): string {
  let name = t.eventType;
  if (name === "") name = "always";
  else if (name.startsWith(AFTER)) name = `after ${t.delay ?? name.slice(AFTER.length)}`;
  else {
    const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(name);
    if (actor) {
      const invoked = state.invoke.find((i) => i.id === actor[2]);
      name = `${actor[1]} ${typeof invoked?.src === "string" ? invoked.src : actor[2]}`;
    }
  }
  const guard = guardName(t.guard);
  return guard ? `${name} [${guard}]` : name;
}

/** The chart of a machine's JSON: its state tree by path, and every transition that moves. */
export function chartOf(json: StateJson): Chart {
  const paths = new Map<string, string>();
  const rootPrefix = `${json.id}.`;
  const pathOf = (id: string) => (id === json.id ? "" : id.replace(rootPrefix, ""));
  const walkPaths = (state: StateJson, path: string) => {
    paths.set(`#${state.id}`, path);
    for (const key of Object.keys(state.states)) {
      walkPaths(state.states[key], path === "" ? key : `${path}.${key}`);
    }
  };
  walkPaths(json, "");
  const resolve = (ref: string) => paths.get(ref) ?? pathOf(ref.replace(/^#/, ""));
  const edges: ChartEdge[] = [];
  const node = (state: StateJson, path: string): ChartNode => {
    for (const t of [...state.transitions, ...state.always]) {
      for (const target of t.target ?? []) {
        edges.push({ source: path, target: resolve(target), label: edgeLabel(t, state) });
      }
    }
    const initial = state.initial?.target[0];
    return {
      path,
      key: state.key,
      type: state.type,
      tags: state.tags,
      initial: state.type === "compound" && initial ? resolve(initial) : null,
      children: Object.keys(state.states).map((key) =>
        node(state.states[key], path === "" ? key : `${path}.${key}`),
      ),
    };
  };
  return { id: json.id, root: node(json, ""), edges };
}
