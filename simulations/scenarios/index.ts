/**
 * Every scenario that ships, by name: what `npm run simulate` and
 * `test/simulations/scenarios.test.ts` run.
 */
import type { Scenario } from "../scenario.js";
import { scenario as alarmFlood } from "./alarm-flood.js";
import { scenario as clockJump } from "./clock-jump.js";
import { scenario as configPush } from "./config-push.js";
import { scenario as desiredPush } from "./desired-push.js";
import { scenario as discoveryOutage } from "./discovery-outage.js";
import { scenario as hungJoins } from "./hung-joins.js";
import { scenario as malformedAnswers } from "./malformed-answers.js";
import { scenario as onlineDay } from "./online-day.js";
import { scenario as powerCuts } from "./power-cuts.js";
import { scenario as radioDrops } from "./radio-drops.js";
import { scenario as radioFlaps } from "./radio-flaps.js";
import { scenario as reboots } from "./reboots.js";
import { scenario as serverErrors } from "./server-errors.js";
import { scenario as slowServices } from "./slow-services.js";

export const SCENARIOS: readonly Scenario[] = [
  onlineDay,
  radioDrops,
  radioFlaps,
  hungJoins,
  discoveryOutage,
  serverErrors,
  slowServices,
  malformedAnswers,
  clockJump,
  configPush,
  desiredPush,
  alarmFlood,
  powerCuts,
  reboots,
];

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
