/**
 * The leaves of a machine definition: every guard, action, delay, invoke source and input, and
 * the context, that is not a plain name. The compiler numbers them by walking the definition
 * XState was given; the device walks the same definition object when the machine is created,
 * with this same function, and so finds the same numbers. Names (strings) are not leaves: the
 * generated code carries them itself.
 *
 * The walk's order is the definition's own: the context, then for each node depth first its
 * entry, exit, invokes (source, input), `on` (each descriptor's transitions: guard, actions),
 * `after` (likewise) and `always`, then its child states.
 */

type Visit = (leaf: unknown) => void;

function each(list: unknown, visit: Visit): void {
  if (list === undefined) return;
  if (Array.isArray(list)) {
    for (let i = 0; i < list.length; i++) visitLeaf(list[i], visit);
  } else visitLeaf(list, visit);
}

function visitLeaf(item: unknown, visit: Visit): void {
  if (item !== undefined && typeof item !== "string") visit(item);
}

function transitions(config: unknown, visit: Visit): void {
  if (config === undefined || typeof config === "string") return;
  const list = Array.isArray(config) ? config : [config];
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as { guard?: unknown; actions?: unknown };
    if (typeof t === "string") continue;
    visitLeaf(t.guard, visit);
    each(t.actions, visit);
  }
}

function transitionMap(map: Record<string, unknown> | undefined, visit: Visit): void {
  if (!map) return;
  const keys = Object.keys(map);
  for (let i = 0; i < keys.length; i++) transitions(map[keys[i]], visit);
}

function node(config: Record<string, any>, visit: Visit): void {
  each(config.entry, visit);
  each(config.exit, visit);
  if (config.invoke !== undefined) {
    const invokes = Array.isArray(config.invoke) ? config.invoke : [config.invoke];
    for (let i = 0; i < invokes.length; i++) {
      visitLeaf(invokes[i].src, visit);
      visitLeaf(invokes[i].input, visit);
    }
  }
  transitionMap(config.on, visit);
  transitionMap(config.after, visit);
  transitions(config.always, visit);
  if (config.states) {
    const keys = Object.keys(config.states);
    for (let i = 0; i < keys.length; i++) node(config.states[keys[i]], visit);
  }
}

/** Calls `visit` with each leaf of the machine definition `config`, in the canonical order. */
export function walkLeaves(config: Record<string, any>, visit: Visit): void {
  visitLeaf(config.context, visit);
  node(config, visit);
}
