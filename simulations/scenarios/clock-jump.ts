/** The NTP server's time jumps 90 s ahead, later 40 s back: the device steps its clock each time. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "clock-jump",
  description:
    "the time source jumps 90 s forward, then 40 s back; the device's wall clock follows by steps",
  seed: 27,
  durationMs: 50 * MINUTE,
  device: { timesync: { resyncIntervalMs: 20 * MINUTE } },
  timeline: [
    { at: 10 * MINUTE, action: { do: "clock-jump", ms: 90_000 } },
    { at: 30 * MINUTE, action: { do: "clock-jump", ms: -40_000 } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "state", actor: "timesync", state: "synced" },
    // The resync after the second jump stepped the clock back by it.
    { expect: "clock-corrected", ms: -40_000, within: 200 },
    { expect: "reached", actor: "timesync", state: "synced" },
  ],
};
