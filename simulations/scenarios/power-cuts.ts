/** Alarms raised, then the power goes before they are delivered: after the reboot they still arrive. */
import { MINUTE, type Scenario, SECOND } from "../scenario.js";

export const scenario: Scenario = {
  name: "power-cuts",
  description:
    "two power cuts of 30 s and 5 min, each right after alarms are raised with the AlarmServer down",
  seed: 31,
  durationMs: 45 * MINUTE,
  timeline: [
    { at: 2 * MINUTE, action: { do: "config", config: { network: { backoffCapMs: 25_000 } } } },
    { at: 5 * MINUTE, action: { do: "service-down", service: "alarms" } },
    { at: 5 * MINUTE, action: { do: "alarms", type: "brown-out", severity: "error", count: 3 } },
    { at: 5 * MINUTE + 20 * SECOND, action: { do: "power-cut", offMs: 30 * SECOND } },
    {
      at: 12 * MINUTE,
      action: { do: "alarms", type: "brown-out", severity: "critical", count: 2, sources: 2 },
    },
    { at: 12 * MINUTE + 5 * SECOND, action: { do: "power-cut", offMs: 5 * MINUTE } },
    { at: 20 * MINUTE, action: { do: "service-up", service: "alarms" } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "nothing-lost" },
    { expect: "config-version", version: 1 },
    { expect: "resets", reasons: [] },
  ],
};
