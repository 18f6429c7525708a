/**
 * A manager as the controller sees it: one entry of the table (`ManagerSpec`) saying what runs,
 * what it needs running first, whether readiness waits for it, which reports reach it and which
 * configuration section is its own; and the start order that follows from the entries
 * (`startOrder`), which refuses a cycle or a missing dependency by name.
 */
import type { AnyStateMachine } from "xstate";
import type { ReportType } from "../protocol.js";

export interface ManagerSpec {
  id: string;
  logic: AnyStateMachine;
  dependsOn: readonly string[];
  /** The device is ready only while this manager is. */
  requiredForReadiness: boolean;
  /** Report types from other managers that this one receives, e.g. `NETWORK_UP`. */
  subscribes?: readonly ReportType[];
  /** The section of the device configuration this manager takes, as `CONFIGURE { settings }`. */
  configKey?: string;
  /** The machine's input, given to every instance (a restarted one starts from it too). */
  input?: unknown;
  /**
   * Subscribed report types this manager takes every one of, not only the latest (`ALARM`):
   * while it waits for a restart they are held for it (the newest `MAX_HELD`), and they are
   * never replayed from the retained reports, which its predecessor had already taken.
   */
  queues?: readonly ReportType[];
}

/** Whether `spec` takes reports of `type` (any event type the controller sees may be asked). */
export function takes(list: readonly ReportType[] | undefined, type: string): boolean {
  return list !== undefined && list.indexOf(type as ReportType) >= 0;
}

/** The managers in an order where each comes after those it depends on; throws on a cycle. */
export function startOrder(specs: readonly ManagerSpec[]): ManagerSpec[] {
  const byId: Record<string, ManagerSpec> = {};
  for (const spec of specs) byId[spec.id] = spec;
  const ordered: ManagerSpec[] = [];
  const state: Record<string, "visiting" | "done"> = {};
  const visit = (id: string, from: string) => {
    if (state[id] === "done") return;
    if (state[id] === "visiting")
      throw new Error(`managers depend on each other in a cycle at ${id}`);
    const spec = byId[id];
    if (!spec) throw new Error(`manager ${from} depends on ${id}, which is not in the table`);
    state[id] = "visiting";
    for (const dep of spec.dependsOn) visit(dep, id);
    state[id] = "done";
    ordered.push(spec);
  };
  for (const spec of specs) visit(spec.id, spec.id);
  return ordered;
}
