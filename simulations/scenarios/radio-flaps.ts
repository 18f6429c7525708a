/** A radio that flaps for forty minutes, seeded, then settles: the device rides it out and ends ready. */
import { MINUTE, type Scenario, SECOND } from "../scenario.js";

export const scenario: Scenario = {
  name: "radio-flaps",
  description:
    "healthy spells of 20-90 s and outages of 2-30 s for forty minutes, then a steady link",
  seed: 22,
  durationMs: 60 * MINUTE,
  timeline: [
    {
      at: 2 * MINUTE,
      action: {
        do: "radio-flap",
        upMs: [20 * SECOND, 90 * SECOND],
        downMs: [2 * SECOND, 30 * SECOND],
        untilMs: 42 * MINUTE,
      },
    },
    { at: 20 * MINUTE, action: { do: "radio-stall", ms: 30 * SECOND } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "reached", actor: "network", state: "connected", times: 20 },
    { expect: "reached", actor: "network", state: "backoff", times: 5 },
    { expect: "state", actor: "state", state: "connected.synced" },
  ],
};
