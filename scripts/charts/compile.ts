/**
 * The statechart compiler: turns an XState v5 machine (xstate's own resolved state-node tree,
 * with the definition it was made from) into a `Chart` (`runtime/chart/chart.ts`): JavaScript
 * source for the device build, or a live object for the laptop (`adapt.ts`).
 *
 * Everything XState decides from the definition alone is decided here, once: which node each
 * target names, a transition's domain and so the nodes it exits and enters (with XState's own
 * rules, `reenter` and root transitions included), the after-events' types, invoke ids, the
 * order candidates are tried in (exact descriptor, then wildcards longest first). What depends
 * on run time (guards, context, which node is active) is left to calls on the actor.
 *
 * The supported subset is XState's atomic and compound states with `on`, `after`, `always`,
 * `entry`, `exit`, `invoke` (an id, a source, an input), `tags`, `initial`, `reenter`, guards
 * (named, inline, `not`) and the built-in actions `assign`, `raise`, `sendTo`, `sendParent`,
 * `emit`, `cancel`, `spawnChild`, `stopChild` and `enqueueActions`. Anything else fails the
 * build, naming the machine, the state node and the feature.
 */
import type { AnyStateMachine } from "xstate";
import { MAX_NODES, NODE_CODE } from "../../runtime/chart/chart.js";
import { walkLeaves } from "../../runtime/chart/leaves.js";

/** XState's resolved state node, as far as the compiler reads it. */
interface Node {
  id: string;
  key: string;
  type: string;
  parent?: Node;
  config: Record<string, any>;
  states: Record<string, Node>;
  tags: string[];
  initial?: { target: Node[]; actions: unknown[] };
  transitions: Map<string, Transition[]>;
  always?: Transition[];
  invoke: Array<{ id: string; src: unknown; input?: unknown; systemId?: string }>;
}

interface Transition {
  source: Node;
  target?: Node[];
  reenter: boolean;
  guard?: unknown;
  actions: unknown[];
}

const BUILTINS = [
  "xstate.assign",
  "xstate.raise",
  "xstate.sendTo",
  "xstate.emit",
  "xstate.cancel",
  "xstate.spawnChild",
  "xstate.stopChild",
  "xstate.enqueueActions",
];

const UNSUPPORTED_KEYS = ["onDone", "output", "history", "route", "parallel"];
const UNSUPPORTED_INVOKE_KEYS = ["onDone", "onError", "onSnapshot", "systemId"];

export class UnsupportedFeature extends Error {}

function isDescendant(child: Node, parent: Node | undefined): boolean {
  let marker = child;
  while (marker.parent && marker.parent !== parent) marker = marker.parent;
  return marker.parent === parent;
}

/** XState's `getProperAncestors`: from the parent up, stopping before `to` (to the root if none). */
function properAncestors(node: Node, to: Node | undefined): Node[] {
  const ancestors: Node[] = [];
  if (to === node) return ancestors;
  for (let m = node.parent; m && m !== to; m = m.parent) ancestors.push(m);
  return ancestors;
}

/** XState's `getTransitionDomain`, for one target. */
function domainOf(t: Transition, root: Node): Node | undefined {
  const targets = t.target as Node[];
  if (!t.reenter && targets.every((s) => s === t.source || isDescendant(s, t.source))) {
    return t.source;
  }
  const [head, ...tail] = targets.concat(t.source);
  for (const ancestor of properAncestors(head, undefined)) {
    if (tail.every((s) => isDescendant(s, ancestor))) return ancestor;
  }
  return t.reenter ? undefined : root;
}

/** XState's `computeEntrySet` for a chart without parallel or history states. */
function entrySet(t: Transition, domain: Node | undefined): Set<Node> {
  const enter = new Set<Node>();
  const descend = (s: Node) => {
    if (s.type !== "compound") return;
    const initial = (s.initial as { target: Node[] }).target[0];
    enter.add(initial);
    descend(initial);
  };
  for (const s of t.target as Node[]) {
    if (t.source !== s || t.source !== domain || t.reenter) enter.add(s);
    descend(s);
  }
  const reentrancy = !t.source.parent && t.reenter ? undefined : domain;
  for (const s of t.target as Node[]) {
    for (const ancestor of properAncestors(s, domain)) {
      if (!reentrancy || isDescendant(ancestor, reentrancy)) enter.add(ancestor);
    }
  }
  return enter;
}

function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The JavaScript source of the chart of `machine`, an object expression. */
export function compileChart(machine: AnyStateMachine): string {
  const root = machine.root as unknown as Node;
  const nodes: Node[] = [];
  const collect = (n: Node) => {
    nodes.push(n);
    for (const key of Object.keys(n.states)) collect(n.states[key]);
  };
  collect(root);
  const fail = (node: Node, feature: string): never => {
    throw new UnsupportedFeature(
      `machine "${machine.id}", state "${node.id}": ${feature} is not supported by the device's statechart compiler`,
    );
  };
  if (nodes.length > MAX_NODES) fail(root, `more than ${MAX_NODES} state nodes`);
  const index = new Map(nodes.map((n, i) => [n, i]));
  const at = (n: Node | undefined) => (n === undefined ? -1 : (index.get(n) as number));

  const leaves = new Map<unknown, number>();
  let count = 0;
  walkLeaves(machine.config as Record<string, any>, (leaf) => {
    if (!leaves.has(leaf)) leaves.set(leaf, count);
    count++;
  });
  const leaf = (item: unknown): number => {
    const i = leaves.get(item);
    if (i === undefined) throw new Error(`machine "${machine.id}": a leaf was not collected`);
    return i;
  };
  const ref = (item: unknown) =>
    typeof item === "string" ? JSON.stringify(item) : `${leaf(item)}`;
  const implementations = machine.implementations as unknown as {
    actions: Record<string, unknown>;
    guards: Record<string, unknown>;
  };

  const checkAction = (node: Node, action: unknown) => {
    const resolved =
      typeof action === "string"
        ? implementations.actions[action]
        : typeof action === "function"
          ? action
          : implementations.actions[(action as { type: string }).type];
    const type = (resolved as { type?: unknown } | undefined)?.type;
    if (typeof type === "string" && type.startsWith("xstate.") && !BUILTINS.includes(type)) {
      fail(node, `the built-in action ${type}`);
    }
  };
  const checkGuard = (node: Node, guard: unknown): void => {
    const resolved = typeof guard === "string" ? implementations.guards[guard] : guard;
    if (resolved && typeof resolved === "object" && "type" in resolved) {
      checkGuard(node, (resolved as { type: string }).type);
      return;
    }
    if (typeof resolved !== "function" || !("check" in resolved)) return;
    const inner = (resolved as { guards?: unknown[] }).guards;
    if (resolved.name !== "not" || !inner || inner.length !== 1) {
      fail(node, `the guard combinator ${resolved.name || "(unnamed)"}`);
    }
    checkGuard(node, (inner as unknown[])[0]);
  };

  for (const n of nodes) {
    if (n.type !== "atomic" && n.type !== "compound") fail(n, `a ${n.type} state`);
    for (const key of UNSUPPORTED_KEYS) if (n.config[key] !== undefined) fail(n, `"${key}"`);
    if (n.config.type !== undefined && n.config.type !== n.type) fail(n, `type "${n.config.type}"`);
    if (typeof n.config.initial === "object") fail(n, "an initial transition with actions");
    if (n.key.includes("|")) fail(n, 'a "|" in a state key');
    for (const def of list(n.config.invoke) as Record<string, unknown>[]) {
      for (const key of UNSUPPORTED_INVOKE_KEYS)
        if (def[key] !== undefined) fail(n, `invoke "${key}"`);
      if (typeof def.input === "string") fail(n, "a string as invoke input");
    }
    for (const action of list(n.config.entry).concat(list(n.config.exit))) checkAction(n, action);
    const all = [...n.transitions.values()].flat().concat(n.always ?? []);
    for (const t of all) {
      if (t.target && t.target.length > 1) fail(n, "a transition with several targets");
      if (t.guard !== undefined) checkGuard(n, t.guard);
      for (const action of t.actions) checkAction(n, action);
    }
    for (const descriptor of n.transitions.keys()) {
      const star = descriptor.indexOf("*");
      if (
        star >= 0 &&
        descriptor !== "*" &&
        (star !== descriptor.length - 1 || !descriptor.endsWith(".*"))
      ) {
        fail(n, `the event descriptor "${descriptor}"`);
      }
    }
  }

  // Blocks: entry i, exit n + i, transition 2n + k (k = 0 the initial transition).
  const n = nodes.length;
  const blocks: string[] = [];
  const block = (b: number, lines: string[]) => {
    if (lines.length > 0) blocks.push(`case ${b}: ${lines.join(" ")} return;`);
  };
  // Each `after` event with its timer's id: its number in the chart (see `ChartHost.c`).
  let afters = 0;
  const afterEvents = new Map(
    nodes.map((node) => [
      node,
      Object.keys(node.config.after ?? {}).map((key) => {
        const delay = Number.isNaN(+key) ? key : +key;
        return { delay, type: `xstate.after.${delay}.${node.id}`, id: afters++ };
      }),
    ]),
  );
  const afterTypes = (node: Node) => afterEvents.get(node) ?? [];
  nodes.forEach((node, i) => {
    const invokes = node.invoke.map((def, j) => {
      const config = list(node.config.invoke)[j] as { src: unknown; input?: unknown };
      return { id: def.id, src: config.src, input: config.input };
    });
    block(
      i,
      list(node.config.entry)
        .map((a) => `x.a(${ref(a)});`)
        .concat(
          afterTypes(node).map(
            (d) => `x.d(${JSON.stringify(d.delay)}, ${JSON.stringify(d.type)}, ${d.id});`,
          ),
        )
        .concat(
          invokes.map(
            (v) =>
              `x.v(${ref(v.src)}, ${JSON.stringify(v.id)}, ${v.input === undefined ? -1 : leaf(v.input)});`,
          ),
        ),
    );
    block(
      n + i,
      list(node.config.exit)
        .map((a) => `x.a(${ref(a)});`)
        .concat(afterTypes(node).map((d) => `x.c(${d.id});`))
        .concat(invokes.map((v) => `x.s(${JSON.stringify(v.id)});`)),
    );
  });

  const initialEntry: Node[] = [];
  for (let s: Node | undefined = root; s; ) {
    initialEntry.push(s);
    s = s.type === "compound" ? (s.initial as { target: Node[] }).target[0] : undefined;
  }
  block(
    2 * n,
    initialEntry.map((s) => `x.n(${at(s)});`),
  );

  let next = 1;
  const numbered = new Map<Transition, number>();
  const transitionBlock = (t: Transition) => {
    const k = next++;
    numbered.set(t, k);
    const lines: string[] = [];
    let entered: Node[] = [];
    if (t.target && t.target.length > 0) {
      const domain = domainOf(t, root);
      const stop =
        domain === undefined
          ? -1
          : t.reenter && t.source === domain
            ? at(domain.parent)
            : at(domain);
      lines.push(`x.x(${stop});`);
      entered = [...entrySet(t, domain)].sort((a, b) => at(a) - at(b));
    }
    for (const action of t.actions) lines.push(`x.a(${ref(action)});`);
    for (const s of entered) lines.push(`x.n(${at(s)});`);
    blocks.push(`case ${2 * n + k}: ${lines.join(" ")} return;`);
  };
  for (const node of nodes) {
    for (const ts of node.transitions.values()) ts.forEach(transitionBlock);
    (node.always ?? []).forEach(transitionBlock);
  }

  const candidates = (ts: Transition[]): string => {
    const out: string[] = [];
    for (const t of ts) {
      const k = numbered.get(t) as number;
      if (t.guard === undefined) {
        out.push(`return ${k};`);
        break;
      }
      out.push(`if (x.g(${ref(t.guard)})) return ${k};`);
    }
    return out.join(" ");
  };
  const picks: string[] = [];
  nodes.forEach((node, i) => {
    const lines: string[] = [];
    if (node.always?.length)
      lines.push(`if (t === null) { ${candidates(node.always)} return -1; }`);
    else if (node.transitions.size > 0) lines.push("if (t === null) return -1;");
    const descriptors = [...node.transitions.keys()];
    for (const d of descriptors.filter((d) => !d.includes("*"))) {
      lines.push(
        `if (t === ${JSON.stringify(d)}) { ${candidates(node.transitions.get(d) as Transition[])} }`,
      );
    }
    const wildcards = descriptors
      .filter((d) => d.includes("*"))
      .sort((a, b) => b.length - a.length);
    for (const d of wildcards) {
      const stem = d.slice(0, -2);
      const test =
        d === "*"
          ? `t !== null`
          : `t !== ${JSON.stringify(d)} && (t === ${JSON.stringify(stem)} || t.slice(0, ${stem.length + 1}) === ${JSON.stringify(`${stem}.`)})`;
      lines.push(`if (${test}) { ${candidates(node.transitions.get(d) as Transition[])} }`);
    }
    if (lines.length > 0) picks.push(`case ${i}: ${lines.join(" ")} return -1;`);
  });

  const code = (i: number) => String.fromCharCode(NODE_CODE + i);
  const structure = {
    id: machine.id,
    k: nodes.map((s) => s.key).join("|"),
    p: nodes.map((s) => code(at(s.parent))).join(""),
    i: nodes
      .map((s) =>
        code(s.type === "compound" ? at((s.initial as { target: Node[] }).target[0]) : -1),
      )
      .join(""),
    t: nodes.some((s) => s.tags.length > 0) ? nodes.map((s) => s.tags.join(",")).join("|") : "",
    c: machine.config.context === undefined ? -1 : leaf(machine.config.context),
  };
  return [
    "{",
    `id: ${JSON.stringify(structure.id)}, k: ${JSON.stringify(structure.k)}, p: ${JSON.stringify(structure.p)},`,
    `i: ${JSON.stringify(structure.i)}, t: ${JSON.stringify(structure.t)}, c: ${structure.c},`,
    `o: function (i, t, x) {\nswitch (i) {\n${picks.join("\n")}\n}\nreturn -1;\n},`,
    `r: function (b, x) {\nswitch (b) {\n${blocks.join("\n")}\n}\n}`,
    "}",
  ].join("\n");
}

/** The module the device build puts in place of `runtime/chart/charts.ts`. */
export function chartsModule(machines: readonly AnyStateMachine[]): string {
  const seen = new Set<string>();
  const entries = machines.map((m) => {
    if (seen.has(m.id)) throw new UnsupportedFeature(`two machines have the id "${m.id}"`);
    seen.add(m.id);
    return `${JSON.stringify(m.id)}: ${compileChart(m)}`;
  });
  return `// Generated by scripts/charts/compile.ts: the device's compiled statecharts.\nexport const CHARTS = {\n${entries.join(",\n")}\n};\n`;
}
