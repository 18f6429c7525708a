/**
 * How one part of the device reads another manager's context: each manager's `view.ts` names, as a
 * type, the fields it lets the metrics, the device summary and the API read, and `viewOf` reads
 * them from the running manager, typed and uncopied, so that no reader goes through
 * `Record<string, any>` or learns a field the manager does not publish. On the device a view costs
 * nothing: a type, and this one function.
 */
import type { ActorSystem, AnyActorRef } from "xstate";

/** The context of the manager `id` as its view, or undefined when it does not run. */
export function viewOf<V>(system: ActorSystem<any>, id: string): V | undefined {
  const ref = system.get(id) as AnyActorRef | undefined;
  return ref ? (ref.getSnapshot() as { context: V }).context : undefined;
}
