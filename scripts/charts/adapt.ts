/**
 * The compiled-chart runtime on the laptop: runs the very machines XState runs (authored with
 * XState's `setup`), compiled when an actor first meets them, so a test can drive one device
 * under XState and under the device's runtime and compare the traces. The device itself gets
 * its charts compiled at build time (`compile.ts`, `chartsModule`) instead.
 */
import {
  type Actor,
  type ActorOptions,
  createActor,
  type Logic,
  type MachineLogic,
} from "../../runtime/chart/actor.js";
import type { Chart } from "../../runtime/chart/chart.js";
import { leavesOf, lookupIn } from "../../runtime/chart/machine.js";
import { compileChart } from "./compile.js";

const compiled = new WeakMap<object, Logic>();

/** The runtime's logic for an XState machine or callback logic (or the runtime's own, as is). */
export function adaptLogic(logic: unknown): Logic {
  const l = logic as Record<string, any>;
  if (l.chart || l.cb) return l as Logic;
  const known = compiled.get(l);
  if (known) return known;
  let adapted: Logic;
  if (l.root && l.implementations && l.config) {
    const chart = new Function(`return ${compileChart(l as any)};`)() as Chart;
    adapted = {
      id: l.id,
      chart,
      L: leavesOf(l.config),
      I: lookupIn(l.implementations),
    } satisfies MachineLogic;
  } else if (typeof l.config === "function" && typeof l.start === "function") {
    adapted = { cb: l.config };
  } else {
    throw new Error("the compiled runtime runs state machines and callback actors only");
  }
  compiled.set(l, adapted);
  return adapted;
}

/** `createActor` on the compiled runtime, for machines authored with XState. */
export function createCompiledActor(logic: unknown, options: ActorOptions = {}): Actor {
  return createActor(logic, Object.assign({}, options, { adapt: adaptLogic }));
}
