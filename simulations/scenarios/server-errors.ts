/** Configuration, state and alarm services answer 5xx in bursts while alarms are raised: nothing is lost. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "server-errors",
  description: "bursts of 500, 502 and 503 from the configuration, state and alarm services",
  seed: 24,
  durationMs: 40 * MINUTE,
  timeline: [
    { at: 1 * MINUTE, action: { do: "service-fail", service: "config", n: 4, status: 500 } },
    { at: 1 * MINUTE, action: { do: "service-fail", service: "state", n: 6, status: 502 } },
    { at: 1 * MINUTE, action: { do: "service-fail", service: "alarms", n: 5, status: 503 } },
    {
      at: 2 * MINUTE,
      action: { do: "alarms", type: "over-temperature", severity: "warning", count: 3 },
    },
    { at: 5 * MINUTE, action: { do: "config", config: { network: { backoffCapMs: 20_000 } } } },
    { at: 6 * MINUTE, action: { do: "service-fail", service: "config", n: 3, status: 503 } },
    { at: 15 * MINUTE, action: { do: "service-fail", service: "alarms", n: 8, status: 500 } },
    {
      at: 15 * MINUTE,
      action: { do: "alarms", type: "door-open", severity: "error", count: 2, sources: 2 },
    },
  ],
  expect: [
    { expect: "ready" },
    { expect: "nothing-lost" },
    { expect: "alarms-delivered", count: 3 },
    { expect: "config-version", version: 1 },
  ],
};
