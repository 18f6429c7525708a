/**
 * Runs one machine as the device runs it, under a parent (which takes its reports) and beside a
 * logger (which takes its `LOG` lines), on a `VirtualClock`, under XState or under any other
 * `createActor` with XState's options (the compiled runtime's), and drives it step by step:
 *
 * - an event is sent to the machine, as its parent or its effects would send it;
 * - a delayed event (`xstate.after.<delay>.<state>`) is waited for: the clock runs timer by
 *   timer, each at its due time, until the machine has received it; if it never comes (another
 *   timer moved the machine first, or none is left), the step is marked as not taken;
 * - `{ advance: ms }` lets time pass, running whatever falls due.
 *
 * The caller's `inspect` sees everything XState's inspection shows; that is the trace. The same
 * steps on the same model give the same run, every time.
 */
import {
  type AnyEventObject,
  type AnyStateMachine,
  createActor,
  fromCallback,
  setup,
  spawnChild,
} from "xstate";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type { PathModel } from "./model.js";

export type Step = AnyEventObject | { advance: number };

/** XState's `createActor`, or one with its options and the few methods a run uses. */
export type CreateActor = (
  logic: any,
  options: { id: string; clock: VirtualClock; inspect?: (event: any) => void },
) => {
  start(): unknown;
  stop(): unknown;
  subscribe(observer: { error: (error: unknown) => void }): unknown;
  system: { get(id: string): any };
};

export interface RunOptions {
  /** The clock to run on (a fresh one at 0 by default), for a trace stamped with its time. */
  clock?: VirtualClock;
  createActor?: CreateActor;
  inspect?: (event: any) => void;
  /** Hears what the machine emits (`emit`), in order with the inspection events. */
  emitted?: (event: unknown) => void;
}

export interface RunResult {
  clock: VirtualClock;
  /** Per step: whether it happened (a delayed event arrived, the machine was there to send to). */
  taken: boolean[];
  /** Per step: the machine's state value once the step is over (null once it stopped). */
  values: unknown[];
}

const AFTER = "xstate.after.";

/** How many timers a delayed step may run through before it is given up. */
const MAX_TIMERS_PER_STEP = 1_000;

const silent = fromCallback(() => undefined);

/** The parent: spawns the logger stand-in (unless the machine is the logger) and the machine. */
function hostMachine(model: PathModel, machine: AnyStateMachine, input: unknown) {
  const spawnMachine = spawnChild("machine", { id: model.id, systemId: model.id, input });
  return setup({ actors: { machine, logger: silent } }).createMachine({
    id: "host",
    entry: (model.id === "logger"
      ? [spawnMachine]
      : [spawnChild("logger", { id: "logger", systemId: "logger" }), spawnMachine]) as any,
  });
}

export function isDelayed(step: Step): boolean {
  return "type" in step && step.type.startsWith(AFTER);
}

export function runSteps(
  model: PathModel,
  steps: readonly Step[],
  options: RunOptions = {},
): RunResult {
  const clock = options.clock ?? new VirtualClock();
  const { machine, input } = model.build(clock);
  const make = options.createActor ?? (createActor as unknown as CreateActor);
  let awaited: string | null = null;
  let arrived = false;
  const inspect = (e: any) => {
    if (
      awaited !== null &&
      e.type === "@xstate.event" &&
      e.actorRef?.id === model.id &&
      e.event?.type === awaited
    ) {
      arrived = true;
    }
    options.inspect?.(e);
  };
  const host = make(hostMachine(model, machine, input), { id: "host", clock, inspect });
  // A machine that fails fails the host too (nothing handles its error event): the trace shows
  // it, and the error is taken here rather than thrown at the event loop.
  host.subscribe({ error: () => undefined });
  host.start();
  const target = () => {
    const actor = host.system.get(model.id);
    return actor && actor.getSnapshot().status === "active" ? actor : undefined;
  };
  if (options.emitted) target()?.on("*", options.emitted);
  const taken: boolean[] = [];
  const values: unknown[] = [];
  for (const step of steps) {
    if ("advance" in step) {
      clock.advance(step.advance);
      taken.push(true);
    } else if (isDelayed(step)) {
      awaited = step.type;
      arrived = false;
      for (let n = 0; !arrived && n < MAX_TIMERS_PER_STEP; n++) {
        const due = clock.nextDue();
        if (due === null || !target()) break;
        clock.runUntil(due);
      }
      awaited = null;
      taken.push(arrived);
    } else {
      const actor = target();
      if (actor) actor.send(step);
      taken.push(actor !== undefined);
    }
    values.push(target()?.getSnapshot().value ?? null);
  }
  host.stop();
  return { clock, taken, values };
}
