/**
 * `setup(...).createMachine(config)` and `fromCallback` for the device: the machine is the
 * chart the build compiled for `config.id`, with the leaves of `config` (numbered in the
 * compiler's order) and `setup`'s implementations.
 *
 * In the device build the definition never exists in RAM: `scripts/charts/lazyDefinitions.ts`
 * rewrites each `setup({...}).createMachine({...})` so that `config` is `{id, leaves}`, where
 * `leaves(i)` evaluates the i-th leaf's own source when the chart needs it, and `setup` is given
 * one function that evaluates an implementation by kind and name. A definition written as
 * objects (on the laptop, in a test bundle) is walked once and kept instead.
 */
import type {
  CallbackArgs,
  CallbackLogic,
  ImplementationKind,
  Implementations,
  MachineLogic,
} from "./actor.js";
import { CHARTS } from "./charts.js";
import { walkLeaves } from "./leaves.js";

type Leaves = MachineLogic["L"];
type Lookup = MachineLogic["I"];

/** The leaves of a definition written as an object, by number. */
export function leavesOf(config: Record<string, any>): Leaves {
  const leaves: unknown[] = [];
  walkLeaves(config, (leaf) => leaves.push(leaf));
  return (i) => leaves[i];
}

/** The lookup of implementations written as objects. */
export function lookupIn(impl: Implementations): Lookup {
  return (kind: ImplementationKind, name: string) => {
    const named = impl[kind];
    return named ? named[name] : undefined;
  };
}

export function createMachineFrom(config: Record<string, any>, lookup: Lookup): MachineLogic {
  const chart = CHARTS[config.id];
  if (!chart) throw new Error(`no compiled chart for machine "${config.id}": rebuild`);
  return {
    id: config.id,
    chart,
    L: typeof config.leaves === "function" ? config.leaves : leavesOf(config),
    I: lookup,
  };
}

export function setup(impl: Implementations | Lookup) {
  const lookup = typeof impl === "function" ? impl : lookupIn(impl);
  return {
    createMachine: (config: Record<string, any>) => createMachineFrom(config, lookup),
  };
}

export function fromCallback(
  cb: (args: CallbackArgs) => (() => void) | undefined | undefined,
): CallbackLogic {
  return { cb };
}
