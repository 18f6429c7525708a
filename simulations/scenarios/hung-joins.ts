/** Joins that never answer, a long outage of the access point, and hung requests to every service. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "hung-joins",
  description:
    "two joins that hang, a five-minute access point outage, and hung requests to every service",
  seed: 33,
  durationMs: 40 * MINUTE,
  timeline: [
    { at: 0, action: { do: "radio-hang-joins", n: 2 } },
    { at: 5 * MINUTE, action: { do: "service-hang", service: "discovery", n: 1 } },
    { at: 5 * MINUTE, action: { do: "service-hang", service: "state", n: 2 } },
    { at: 5 * MINUTE, action: { do: "service-hang", service: "config", n: 2 } },
    { at: 5 * MINUTE, action: { do: "radio-outage", ms: 5 * MINUTE } },
    { at: 12 * MINUTE, action: { do: "alarms", type: "after-outage", severity: "info", count: 1 } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "reached", actor: "network", state: "backoff", times: 3 },
    { expect: "nothing-lost" },
    { expect: "state", actor: "network", state: "connected" },
  ],
};
