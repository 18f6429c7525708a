/**
 * `npm run measure:managers`: what each manager costs in JsVars on the real interpreter at
 * `ESPRUINO_BIN`, the figures the board profiles (`board/profiles/*.json`) budget with.
 *
 * The firmware (`dist/espruino.js`) is run from Storage, offline, with a `managers.json` naming
 * first no manager (the firmware's base: xstate, the prelude, the board, the controller), then
 * each manager with the managers it depends on. A manager's cost is the JsVars in use 3 s after
 * start-up with it, less those without it. Prints the JSON to paste into a profile's `budget`.
 * Budgets are measured on the 32-bit build with a board's variable layout
 * (`/work/espruino-bin/espruino32`, see MEMORY.md): the 64-bit one undercounts.
 */
import { readFileSync } from "node:fs";
import { runFromStorage } from "./espruino/interpreter.js";
import { parseTraceOutput } from "./espruino/trace.js";

const bin = process.env.ESPRUINO_BIN;
if (!bin) {
  console.error("measure:managers: set ESPRUINO_BIN to an Espruino Linux build");
  process.exit(1);
}

/** Each manager with those it depends on (as `managers/controller/device.ts` declares them), in table order. */
const WITH_DEPENDENCIES: Record<string, string[]> = {
  logger: [],
  network: ["logger"],
  auth: ["logger", "network"],
  config: ["logger", "network", "auth"],
  watchdog: ["logger", "network", "auth"],
  state: ["logger", "network", "auth"],
  timesync: ["logger", "network"],
  alarms: ["logger"],
  api: ["logger"],
  ota: ["logger", "network", "auth"],
};

const code = readFileSync("dist/espruino.js", "utf8");
const cache = new Map<string, number>();

async function usage(managers: string[]): Promise<number> {
  const key = managers.join(",");
  const known = cache.get(key);
  if (known !== undefined) return known;
  const run = await runFromStorage({
    bin: bin as string,
    code,
    name: "firmware.js",
    files: { "managers.json": JSON.stringify(managers) },
    epilogue:
      'setTimeout(function () { console.log("JSVARS " + process.memory().usage); quit(); }, 3000);',
    timeoutMs: 600_000,
  });
  const vars = parseTraceOutput(run.output).jsVars;
  if (vars === null || /Uncaught|Out of Memory|MEMORY/.test(run.output)) {
    throw new Error(`[${key}] did not start:\n${run.output.slice(-2000)}`);
  }
  console.error(`measure:managers: [${key}] ${vars} JsVars`);
  cache.set(key, vars);
  return vars;
}

const base = await usage([]);
const managers: Record<string, number> = {};
for (const [id, deps] of Object.entries(WITH_DEPENDENCIES)) {
  managers[id] = (await usage([...deps, id])) - (await usage(deps));
}
console.log(JSON.stringify({ base, managers }, null, 2));
