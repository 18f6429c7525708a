import { runScenario } from "./simulations/runScenario.js";
import { ListClock } from "./scripts/bench/listClock.js";
import { VirtualClock } from "./board/node/virtualClock.js";
const scenario = {
  name: "fleet-hour", description: "", seed: 5, durationMs: Number(process.argv[3]) * 60_000,
  timeline: [
    { at: 60_000, action: { do: "radio-flap", upMs: [300_000, 1_800_000], downMs: [1_000, 60_000] } },
    { at: 600_000, action: { do: "config", config: { network: { backoffCapMs: 30_000 } } } },
  ],
  expect: [],
} as any;
const n = Number(process.argv[2]);
for (const kind of process.argv.slice(4)) {
  const r = runScenario(scenario, { devices: n, clock: kind === "list" ? new ListClock() : new VirtualClock() });
  console.log(kind, n, "devices", process.argv[3], "min:", Math.round(r.wallMs), "ms", JSON.stringify(r.fleet.registrationMs), JSON.stringify(r.fleet.configConvergenceMs));
}
