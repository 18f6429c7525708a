/**
 * A recording made where the firmware runs replays on Node: `dist/espruino-record.js` (the
 * compiled charts, the shim prelude, the reference network run recorded at the board seam)
 * prints its recording, in a `vm` context holding only Espruino's built-ins and, when
 * `ESPRUINO_BIN` names an Espruino Linux build, on the real interpreter; `replay()` then runs
 * the XState machines on Node through the same inputs and requires every transition to match.
 */
import { existsSync, readFileSync } from "node:fs";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { createEspruinoLikeContext } from "../../../scripts/espruino/builtins.js";
import { runFromStorage } from "../../../scripts/espruino/interpreter.js";
import { replay } from "../../../simulations/recording/replay.js";

const BUNDLE = "dist/espruino-record.js";
const bin = process.env.ESPRUINO_BIN;

function bundle(): string {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  return readFileSync(BUNDLE, "utf8");
}

/** The recording's lines out of a console's output, checked against the count it declared. */
function recordingIn(output: string): string[] {
  const lines: string[] = [];
  let declared: number | null = null;
  for (const raw of output.split("\n")) {
    const line = raw.match(/REC (\{.*\})/);
    if (line) lines.push(line[1]);
    const end = raw.match(/RECORD-END (\d+)/);
    if (end) declared = Number(end[1]);
  }
  if (declared === null) throw new Error(`the recording never finished:\n${output.slice(-3000)}`);
  expect(lines.length).toBe(declared);
  return lines;
}

describe("a recording made by the firmware's bundle replays on Node", () => {
  it("from a vm context holding only Espruino's built-ins", () => {
    const printed: string[] = [];
    const context = createEspruinoLikeContext({
      console: { log: (...parts: unknown[]) => printed.push(parts.map(String).join(" ")) },
      RECORD_MS: 6 * 60 * 1000,
    });
    vm.runInContext(bundle(), context);
    const result = replay(recordingIn(printed.join("\n")));
    expect(result.transitions).toBeGreaterThan(200);
    expect(result.inputs).toBeGreaterThan(50);
  });

  it.skipIf(!bin)(
    `from the real interpreter (ESPRUINO_BIN${bin ? "" : " is not set: skipped"})`,
    async () => {
      const run = await runFromStorage({
        bin: bin as string,
        code: bundle(),
        name: "record.js",
        epilogue: "quit();",
        timeoutMs: 900_000,
      });
      const result = replay(recordingIn(run.output));
      expect(result.transitions).toBeGreaterThan(100);
      expect(result.inputs).toBeGreaterThan(20);
    },
    1_000_000,
  );
});
