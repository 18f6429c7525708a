/** Services answer 200 with bodies cut in half: the device trusts none of them and recovers. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "malformed-answers",
  description:
    "truncated JSON from discovery, configuration, state and alarms, and an invalid configuration",
  seed: 26,
  durationMs: 40 * MINUTE,
  timeline: [
    { at: 0, action: { do: "service-malform", service: "discovery", n: 2 } },
    { at: 0, action: { do: "config", config: { network: { backoffCapMs: 15_000 } } } },
    { at: 0, action: { do: "service-malform", service: "config", n: 2 } },
    { at: 0, action: { do: "service-malform", service: "state", n: 3 } },
    { at: 3 * MINUTE, action: { do: "service-malform", service: "alarms", n: 2 } },
    {
      at: 3 * MINUTE,
      action: { do: "alarms", type: "vibration", severity: "warning", count: 4, sources: 2 },
    },
    {
      at: 10 * MINUTE,
      action: { do: "config", config: { watchdog: { heartbeatIntervalMs: -5 } } },
    },
  ],
  expect: [
    { expect: "ready" },
    { expect: "nothing-lost" },
    // The invalid second version is refused: the first stays in force.
    { expect: "config-version", version: 1 },
  ],
};
