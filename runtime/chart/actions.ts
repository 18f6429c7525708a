/**
 * XState's built-in actions and its `not` guard, for the device: plain objects of the same shape
 * (`type` and the same fields) as XState's own, so the one runtime in `actor.ts` runs both: these
 * on the device, XState's on the laptop when a machine authored with XState is compiled there.
 */

export type Expr<T> = T | ((args: any, params?: any) => T);

export interface BuiltinAction {
  type: string;
  [field: string]: unknown;
}

export interface SendOptions {
  id?: string;
  delay?: number | string;
}

/** Where XState's `sendParent` sends: its special target name. */
export const PARENT = "#_parent";

export function assign(assignment: unknown): any {
  return { type: "xstate.assign", assignment };
}

export function raise(event: Expr<unknown>, options?: SendOptions): any {
  return {
    type: "xstate.raise",
    event,
    id: options?.id,
    delay: options?.delay,
  };
}

export function sendTo(to: Expr<unknown>, event: Expr<unknown>, options?: SendOptions): any {
  return {
    type: "xstate.sendTo",
    to,
    event,
    id: options?.id,
    delay: options?.delay,
  };
}

export function sendParent(event: Expr<unknown>, options?: SendOptions): any {
  return sendTo(PARENT, event, options);
}

export function emit(event: Expr<unknown>): any {
  return { type: "xstate.emit", event };
}

export function cancel(sendId: Expr<string>): any {
  return { type: "xstate.cancel", sendId };
}

export function spawnChild(
  src: unknown,
  options?: { id?: string; systemId?: string; input?: unknown },
): any {
  const o = options || {};
  return { type: "xstate.spawnChild", src, id: o.id, systemId: o.systemId, input: o.input };
}

export function stopChild(actorRef: unknown): any {
  return { type: "xstate.stopChild", actorRef };
}

export function enqueueActions(collect: (args: any, params?: any) => void): any {
  return { type: "xstate.enqueueActions", collect };
}

/** XState's `not(guard)`: the same `guards` field its own carries. */
export function not(guard: unknown): any {
  return { type: "xstate.not", guards: [guard] };
}

/** Whether an action is one of the built-ins above (or XState's own): they resolve specially. */
export function isBuiltin(action: unknown): action is BuiltinAction {
  const type = action && (action as { type?: unknown }).type;
  return typeof type === "string" && type.slice(0, 7) === "xstate.";
}
