/** An operator publishes five configurations, one of them invalid: the device applies the valid ones. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "config-push",
  description:
    "five configuration versions in half an hour, the fourth invalid, the last lowering the log level",
  seed: 28,
  durationMs: 40 * MINUTE,
  timeline: [
    { at: 2 * MINUTE, action: { do: "config", config: { network: { backoffCapMs: 20_000 } } } },
    {
      at: 8 * MINUTE,
      action: {
        do: "config",
        config: { network: { backoffCapMs: 30_000 }, logger: { level: "debug" } },
      },
    },
    { at: 14 * MINUTE, action: { do: "config", config: { config: { pollIntervalMs: 60_000 } } } },
    { at: 20 * MINUTE, action: { do: "config", config: { network: { backoffBaseMs: "fast" } } } },
    { at: 26 * MINUTE, action: { do: "config", config: { logger: { level: "warn" } } } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "config-version", version: 5 },
    { expect: "state", actor: "config", state: "idle" },
    { expect: "alarms-delivered", count: 1 },
  ],
};
