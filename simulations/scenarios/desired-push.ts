/** Desired state edited while the StateServer fails and drops: the device ends on the newest. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "desired-push",
  description: "the desired log level edited four times, twice during a StateServer outage",
  seed: 29,
  durationMs: 40 * MINUTE,
  timeline: [
    { at: 3 * MINUTE, action: { do: "desired", desired: { logLevel: "debug" } } },
    { at: 8 * MINUTE, action: { do: "service-down", service: "state" } },
    { at: 9 * MINUTE, action: { do: "desired", desired: { logLevel: "warn" } } },
    { at: 11 * MINUTE, action: { do: "desired", desired: { logLevel: "error" } } },
    { at: 15 * MINUTE, action: { do: "service-up", service: "state" } },
    { at: 25 * MINUTE, action: { do: "radio-drop" } },
    { at: 26 * MINUTE, action: { do: "desired", desired: { logLevel: "info" } } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "desired", desired: { logLevel: "info" } },
    { expect: "state", actor: "state", state: "connected.synced" },
    { expect: "reached", actor: "state", state: "connected.backoff" },
  ],
};
