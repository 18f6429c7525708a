/**
 * The compiled charts of the firmware's machines, by machine id. Empty in the source: the
 * device build (`scripts/espruino/pipeline.ts`) replaces this module with the one the compiler
 * (`scripts/charts/compile.ts`) writes for every machine of the device. On the laptop machines
 * are compiled when an actor first runs them (`scripts/charts/adapt.ts`), so nothing reads this.
 */
import type { Chart } from "./chart.js";

export const CHARTS: Record<string, Chart> = {};
