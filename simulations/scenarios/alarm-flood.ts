/** Five hundred alarms from five sources while the AlarmServer hangs: counted, not lost. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "alarm-flood",
  description:
    "500 reports from 5 sources in one burst, 300 more later, the AlarmServer hanging on the first batches",
  seed: 30,
  durationMs: 30 * MINUTE,
  timeline: [
    { at: 1 * MINUTE, action: { do: "service-hang", service: "alarms", n: 3 } },
    {
      at: 1 * MINUTE,
      action: { do: "alarms", type: "flood", severity: "warning", count: 500, sources: 5 },
    },
    {
      at: 10 * MINUTE,
      action: { do: "alarms", type: "flood", severity: "warning", count: 300, sources: 5 },
    },
    {
      at: 10 * MINUTE,
      action: { do: "alarms", type: "critical-leak", severity: "critical", count: 1 },
    },
  ],
  expect: [
    { expect: "ready" },
    { expect: "nothing-lost" },
    { expect: "alarms-delivered", count: 6 },
  ],
};
