/**
 * `npm run simulate -- <scenario> [--devices N] [--record file] [--runtime device|xstate]`: plays
 * a scenario (`simulations/scenarios/`) on the virtual clock and prints a summary: wall time, each manager's
 * state at the end, readiness, the fleet's figures as percentiles, and every expectation that
 * did not hold (exit status 1 then). `--record` writes the first device's recording (canonical
 * JSON lines, `simulations/recording/`), which `replay()` plays back in a test.
 * Without a scenario it lists them.
 *
 * The machines run on the device's own runtime (`runtime/chart`, compiled from the same
 * machines) unless `--runtime xstate` is given: about three times faster, and the scenario tests
 * hold both to the same recording, line for line.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createCompiledActor } from "../scripts/charts/adapt.js";
import { type Percentiles, runScenario } from "./runScenario.js";
import { SCENARIOS, scenarioNamed } from "./scenarios/index.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    devices: { type: "string", default: "1" },
    record: { type: "string" },
    runtime: { type: "string", default: "device" },
  },
});
const listing = SCENARIOS.map((s) => `  ${s.name.padEnd(20)} ${s.description}`).join("\n");
const usage = `usage: npm run simulate -- <scenario> [--devices N] [--record file] [--runtime device|xstate]\nscenarios:\n${listing}`;
const devices = Number(values.devices);
if (
  positionals.length !== 1 ||
  !Number.isInteger(devices) ||
  devices < 1 ||
  (values.runtime !== "device" && values.runtime !== "xstate")
) {
  console.error(usage);
  process.exit(2);
}
const scenario = scenarioNamed(positionals[0]);
if (scenario === undefined) {
  console.error(`no scenario named "${positionals[0]}"\n${usage}`);
  process.exit(2);
}

const lines: string[] = [];
const result = runScenario(scenario, {
  devices,
  record: values.record === undefined ? undefined : (line) => lines.push(line),
  createActor: values.runtime === "device" ? (createCompiledActor as never) : undefined,
});
if (values.record !== undefined) {
  writeFileSync(values.record, `${lines.join("\n")}\n`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const row = (label: string, p: Percentiles, unit: (n: number) => string) =>
  `  ${label.padEnd(26)} p50 ${unit(p.p50).padStart(9)}  p90 ${unit(p.p90).padStart(9)}  p99 ${unit(p.p99).padStart(9)}  max ${unit(p.max).padStart(9)}  (${p.count})`;
console.log(`scenario ${scenario.name}: ${scenario.description}`);
console.log(
  `  ${devices} device(s) on the ${values.runtime === "device" ? "device's" : "XState"} runtime, ${seconds(scenario.durationMs)} of virtual time in ${seconds(result.wallMs)} of wall time` +
    (result.transitions > 0 ? `, ${result.transitions} state changes` : ""),
);
console.log(
  `  first device at the end: ${result.ready ? "READY" : "NOT READY"}; ` +
    Object.keys(result.states)
      .map((id) => `${id} ${result.states[id]}`)
      .join(", "),
);
const f = result.fleet;
console.log(row("registration", f.registrationMs, seconds));
console.log(row("configuration convergence", f.configConvergenceMs, seconds));
console.log(row("alarms delivered", f.alarmsDelivered, String));
console.log(row("restarts and resets", f.restarts, String));
if (f.unregistered > 0) console.log(`  ${f.unregistered} device(s) never registered`);
if (values.record !== undefined)
  console.log(`  recording: ${values.record} (${lines.length} lines)`);
if (result.failures.length === 0) {
  console.log(`  all ${scenario.expect.length} expectation(s) hold`);
} else {
  console.log(`  ${result.failures.length} expectation(s) failed:`);
  for (const failure of result.failures.slice(0, 50)) console.log(`    ${failure}`);
  process.exitCode = 1;
}
