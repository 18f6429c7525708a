/**
 * The device's health read off a controller's snapshot, never kept: readiness from each required
 * manager's `ready` tag (naming the others with their `lastError` or state), liveness from the
 * managers that missed the controller's last ping. What `/healthz`, `/readyz`, the PONG to the
 * host and the tests read.
 */
import type { AnyActorRef } from "xstate";
import { READY } from "../supervision.js";
import type { ControllerContext } from "./machine.js";
import type { ManagerSpec } from "./spec.js";

/** What an inspector, a test or the device API reads of a controller's snapshot. */
interface ControllerSnapshotLike {
  value: unknown;
  context: ControllerContext;
  children: Record<string, AnyActorRef | undefined>;
}

export interface Readiness {
  ready: boolean;
  /** Each required manager that is not ready, with why. */
  failing: Record<string, string>;
}

/** Whether every manager readiness needs is in a `ready` state, naming those that are not. */
export function readiness(
  snapshot: ControllerSnapshotLike,
  specs: readonly ManagerSpec[],
): Readiness {
  const failing: Record<string, string> = {};
  for (const spec of specs) {
    if (!spec.requiredForReadiness) continue;
    const child = snapshot.children[spec.id];
    if (snapshot.value === "escalated") {
      failing[spec.id] = "supervisor escalated: device resetting";
    } else if (child?.getSnapshot().status !== "active") {
      failing[spec.id] = `restarting after: ${snapshot.context.failures[spec.id] ?? "failure"}`;
    } else {
      const s = child.getSnapshot() as {
        hasTag(tag: string): boolean;
        value: unknown;
        context?: { lastError?: string | null };
      };
      if (!s.hasTag(READY)) {
        failing[spec.id] =
          s.context?.lastError ?? (typeof s.value === "string" ? s.value : JSON.stringify(s.value));
      }
    }
  }
  return { ready: Object.keys(failing).length === 0, failing };
}

export interface Liveness {
  live: boolean;
  unresponsive: string[];
}

/** Whether every manager answered the controller's last ping in time, naming those that did not. */
export function liveness(snapshot: ControllerSnapshotLike): Liveness {
  const unresponsive = snapshot.context.unresponsive;
  return { live: snapshot.value !== "escalated" && unresponsive.length === 0, unresponsive };
}
