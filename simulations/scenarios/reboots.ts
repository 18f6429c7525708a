/**
 * The device is restarted three times; each boot starts from its flash, configuration included.
 * Six minutes without ServiceDiscovery also miss enough heartbeats for the watchdog manager to
 * reset the device itself.
 */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "reboots",
  description:
    "three reboots, one while ServiceDiscovery is down, with a configuration published in between",
  seed: 32,
  durationMs: 40 * MINUTE,
  timeline: [
    { at: 3 * MINUTE, action: { do: "config", config: { logger: { level: "debug" } } } },
    { at: 6 * MINUTE, action: { do: "reboot" } },
    { at: 12 * MINUTE, action: { do: "service-down", service: "discovery" } },
    { at: 13 * MINUTE, action: { do: "reboot" } },
    { at: 18 * MINUTE, action: { do: "service-up", service: "discovery" } },
    { at: 25 * MINUTE, action: { do: "desired", desired: { logLevel: "warn" } } },
    { at: 30 * MINUTE, action: { do: "reboot" } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "config-version", version: 1 },
    { expect: "desired", desired: { logLevel: "warn" } },
    {
      expect: "resets",
      reasons: ["scenario-reboot", "scenario-reboot", "watchdog", "scenario-reboot"],
    },
  ],
};
