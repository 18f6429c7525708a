/** The access point drops the link now and then; the device joins again each time and ends ready. */
import { MINUTE, type Scenario } from "../scenario.js";

export const scenario: Scenario = {
  name: "radio-drops",
  description: "the link drops six times in an hour, once with two failed joins after it",
  seed: 21,
  durationMs: 60 * MINUTE,
  timeline: [
    { at: 5 * MINUTE, action: { do: "radio-drop" } },
    { at: 12 * MINUTE, action: { do: "radio-fail-joins", n: 2 } },
    { at: 12 * MINUTE, action: { do: "radio-drop" } },
    { at: 20 * MINUTE, action: { do: "radio-drop" } },
    { at: 30 * MINUTE, action: { do: "radio-drop" } },
    { at: 40 * MINUTE, action: { do: "radio-drop" } },
    { at: 50 * MINUTE, action: { do: "radio-drop" } },
  ],
  expect: [
    { expect: "ready" },
    { expect: "reached", actor: "network", state: "connected", times: 7 },
    { expect: "reached", actor: "network", state: "backoff" },
    { expect: "state", actor: "auth", state: "authenticated" },
  ],
};
