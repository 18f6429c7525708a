/** ServiceDiscovery answers 503 for the first ten minutes: the device cannot register, then does. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "discovery-outage",
  description: "ServiceDiscovery is down for the first ten minutes of the device's life",
  seed: 23,
  durationMs: 30 * MINUTE,
  timeline: [
    { at: 0, action: { do: "service-down", service: "discovery" } },
    { at: 10 * MINUTE, action: { do: "service-up", service: "discovery" } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "state", actor: "auth", state: "authenticated" },
    { expect: "reached", actor: "auth", state: "registering" },
    { expect: "state", actor: "config", state: "idle" },
  ],
};
