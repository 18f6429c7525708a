/**
 * What the firmware imports as `xstate`: the device build aliases the package to this module,
 * so the machines and actors written against XState v5 run on the compiled-chart runtime
 * without a line changed. Only the values are here; types still come from XState at type-check
 * time.
 */
export {
  assign,
  cancel,
  emit,
  enqueueActions,
  not,
  raise,
  sendParent,
  sendTo,
  spawnChild,
  stopChild,
} from "./actions.js";
export { createActor } from "./actor.js";
export { fromCallback, setup } from "./machine.js";
