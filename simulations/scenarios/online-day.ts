/** A quiet day: registration, configuration, heartbeats, token refreshes, nothing going wrong. */
import { HOUR, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "online-day",
  description:
    "24 hours online, a configuration in the morning, a few alarms: the baseline every fault is compared with",
  seed: 34,
  durationMs: 24 * HOUR,
  timeline: [
    { at: 1 * HOUR, action: { do: "config", config: { network: { backoffCapMs: 30_000 } } } },
    { at: 6 * HOUR, action: { do: "alarms", type: "door-open", severity: "info", count: 3 } },
    { at: 12 * HOUR, action: { do: "desired", desired: { logLevel: "warn" } } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "never", actor: "network", state: "backoff" },
    { expect: "nothing-lost" },
    { expect: "config-version", version: 1 },
    { expect: "restarts", min: 0, max: 0 },
  ],
};
