/** Every service answers seconds late for twenty minutes, some past the device's timeouts. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "slow-services",
  description: "latency of 3 to 12 s on every service for twenty minutes, then back to normal",
  seed: 25,
  durationMs: 45 * MINUTE,
  timeline: [
    { at: 0, action: { do: "service-latency", service: "discovery", ms: 3_000 } },
    { at: 0, action: { do: "service-latency", service: "config", ms: 12_000 } },
    { at: 0, action: { do: "service-latency", service: "state", ms: 6_000 } },
    { at: 0, action: { do: "service-latency", service: "alarms", ms: 12_000 } },
    { at: 1 * MINUTE, action: { do: "alarms", type: "slow-sensor", severity: "info", count: 2 } },
    { at: 20 * MINUTE, action: { do: "service-latency", service: "discovery", ms: 0 } },
    { at: 20 * MINUTE, action: { do: "service-latency", service: "config", ms: 0 } },
    { at: 20 * MINUTE, action: { do: "service-latency", service: "state", ms: 0 } },
    { at: 20 * MINUTE, action: { do: "service-latency", service: "alarms", ms: 0 } },
    { at: 25 * MINUTE, action: { do: "config", config: { logger: { level: "debug" } } } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "nothing-lost" },
    { expect: "config-version", version: 1 },
  ],
};
