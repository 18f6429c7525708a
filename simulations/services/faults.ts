/**
 * Faults a service can be told to show, the ones a device must survive: a slow server, errors,
 * requests that are never answered, and answers cut short. Each request takes at most one fault,
 * chosen when it arrives (so a fault set while a request waits out the latency does not hit it),
 * in the order hang, fail, malform; counters record what was injected, so a test can tell a
 * fault it set apart from one that never fired.
 *
 * A failed or hung request never reaches the service (an overloaded front end refused or lost
 * it); a malformed one does, and its answer is cut short on the way back with the service's
 * headers kept: the work was done (a nonce spent, say) and a device must not trust the ETag of
 * a body it could not parse.
 */

import {
  callHandler,
  type HttpHandler,
  jsonError,
  type ServiceResponse,
} from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";

export interface FaultCounters {
  /** Requests held back by `latencyMs`. */
  delayed: number;
  failed: number;
  hung: number;
  malformed: number;
}

export type Fault = "hang" | "fail" | "malform";

export class Faults {
  /** Added before the service sees each request, on the service's clock. */
  latencyMs = 0;
  readonly injected: FaultCounters = { delayed: 0, failed: 0, hung: 0, malformed: 0 };
  private failing = 0;
  private failStatus = 503;
  private hanging = 0;
  private malforming = 0;

  /** The next `n` requests are answered `status` with `{"error": "injected fault"}`. */
  failNext(n: number, status = 503): void {
    this.failing = n;
    this.failStatus = status;
  }

  /** The next `n` requests are never answered: only the client's timeout ends them. */
  hangNext(n: number): void {
    this.hanging = n;
  }

  /** The next `n` answers arrive as 200 with a body that is not valid JSON. */
  malformNext(n: number): void {
    this.malforming = n;
  }

  /** Back to a healthy service, counters included. */
  reset(): void {
    this.latencyMs = 0;
    this.failing = 0;
    this.hanging = 0;
    this.malforming = 0;
    this.injected.delayed = 0;
    this.injected.failed = 0;
    this.injected.hung = 0;
    this.injected.malformed = 0;
  }

  /** The fault the arriving request gets, if any, counted as injected. */
  take(): { fault: Fault; status: number } | undefined {
    if (this.hanging > 0) {
      this.hanging--;
      this.injected.hung++;
      return { fault: "hang", status: 0 };
    }
    if (this.failing > 0) {
      this.failing--;
      this.injected.failed++;
      return { fault: "fail", status: this.failStatus };
    }
    if (this.malforming > 0) {
      this.malforming--;
      this.injected.malformed++;
      return { fault: "malform", status: 200 };
    }
    return undefined;
  }
}

export function withFaults(handler: HttpHandler, faults: Faults, clock: Clock): HttpHandler {
  return (req, respond) => {
    const taken = faults.take();
    const run = () => {
      if (taken === undefined) callHandler(handler, req, respond);
      else if (taken.fault === "fail") respond(jsonError(taken.status, "injected fault"));
      else if (taken.fault === "malform") {
        callHandler(handler, req, (res) => respond(malformed(res)));
      }
      // A hung request is simply never answered.
    };
    if (faults.latencyMs > 0) {
      faults.injected.delayed++;
      clock.setTimeout(run, faults.latencyMs);
    } else run();
  };
}

function malformed(res: ServiceResponse): ServiceResponse {
  let body = res.body.slice(0, Math.floor(res.body.length / 2));
  // Half of a JSON object never parses, but half of a number can: make sure it does not.
  if (parses(body)) body += "{";
  return {
    status: 200,
    headers: { ...res.headers, "content-type": "application/json" },
    body,
  };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch (_error) {
    return false;
  }
}
