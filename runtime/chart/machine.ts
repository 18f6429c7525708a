/**
 * `setup(...).createMachine(config)` and `fromCallback` for the device: the machine is the
 * chart the build compiled for `config.id`, the leaves of `config` (collected in the compiler's
 * order) and `setup`'s implementations. The definition itself is dropped once its leaves are
 * taken, so no state-node or transition object is ever kept in RAM.
 */
import type { CallbackArgs, CallbackLogic, Implementations, MachineLogic } from "./actor.js";
import { CHARTS } from "./charts.js";
import { walkLeaves } from "./leaves.js";

export function createMachineFrom(
  config: Record<string, any>,
  impl: Implementations,
): MachineLogic {
  const chart = CHARTS[config.id];
  if (!chart) throw new Error(`no compiled chart for machine "${config.id}": rebuild`);
  const leaves: unknown[] = [];
  walkLeaves(config, (leaf) => leaves.push(leaf));
  return {
    id: config.id,
    chart,
    L: leaves,
    impl: {
      actions: impl.actions,
      guards: impl.guards,
      delays: impl.delays,
      actors: impl.actors,
    },
  };
}

export function setup(impl: Implementations) {
  return {
    createMachine: (config: Record<string, any>) => createMachineFrom(config, impl),
  };
}

export function fromCallback(
  cb: (args: CallbackArgs) => (() => void) | undefined | undefined,
): CallbackLogic {
  return { cb };
}
