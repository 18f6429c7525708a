import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { createEspruinoLikeContext, providedBy } from "../../../scripts/espruino/builtins.js";
import { checkBundle, formatViolations } from "../../../scripts/espruino/gate.js";
import { runFromStorage } from "../../../scripts/espruino/interpreter.js";
import { lowerForEspruino } from "../../../scripts/espruino/pipeline.js";
import { runApiCases } from "../../fixtures/api-entry.js";

/** The fixture's results on Node, as JSON reads them back. */
function nodeResults(): Array<[string, unknown]> {
  const results: Array<[string, unknown]> = [];
  runApiCases((name, value) => results.push([name, JSON.parse(JSON.stringify(value))]));
  return results;
}

async function bundles(): Promise<{ prelude: string; fixture: string }> {
  const [prelude, fixture] = await Promise.all([
    lowerForEspruino("runtime/shims/prelude.ts"),
    lowerForEspruino("test/fixtures/api-entry.ts"),
  ]);
  return { prelude: prelude.code, fixture: fixture.code };
}

describe("the device API's pure pieces bundled for Espruino", () => {
  it("refuse what they should on Node", () => {
    const results = new Map(nodeResults());
    expect(results.get("bad name")).toMatch(/^threw exposition: bad metric name/);
    expect(results.get("counter name")).toMatch(/not named \*_total/);
    expect(results.get("reserved label")).toMatch(/bad label name/);
    expect(results.get("auth forged")).toMatchObject({ ok: false, status: 401 });
    expect(results.get("auth ok")).toMatchObject({ ok: true, role: "operator" });
  });

  it("pass the compatibility gate with the prelude's shims", async () => {
    const { prelude, fixture } = await bundles();
    const violations = checkBundle(fixture, { provided: providedBy(prelude) });
    expect(violations, formatViolations("api-entry", violations)).toEqual([]);
  }, 60_000);

  it("give Node's results in a vm context holding only Espruino's built-ins", async () => {
    const { prelude, fixture } = await bundles();
    const results: Array<[string, unknown]> = [];
    const context = createEspruinoLikeContext({
      apiCasesOut: (name: string, value: unknown) =>
        results.push([name, JSON.parse(JSON.stringify(value))]),
    });
    vm.runInContext(prelude, context);
    vm.runInContext(fixture, context);
    const expected = nodeResults();
    expect(expected.length).toBeGreaterThan(40);
    expect(results).toEqual(expected);
  }, 60_000);
});

/** An Espruino interpreter (the Linux target of the firmware), where the environment names one. */
const espruinoBin = process.env.ESPRUINO_BIN;

describe.skipIf(!espruinoBin)(
  espruinoBin
    ? "the device API's pure pieces on the real Espruino interpreter"
    : "the device API's pure pieces on the real Espruino interpreter: SKIPPED, ESPRUINO_BIN is not set",
  () => {
    it("give Node's results, run from Storage", async () => {
      const { prelude, fixture } = await bundles();
      const hook =
        'var apiCasesOut = function (name, value) { console.log("RESULT " + JSON.stringify([name, value])); };';
      const run = await runFromStorage({
        bin: espruinoBin as string,
        code: `${hook}\n${prelude}\n${fixture}\n`,
        name: "api.js",
        epilogue: "quit();",
        timeoutMs: 120_000,
      });
      const results: Array<[string, unknown]> = [];
      for (const line of run.output.replace(/\r/g, "").split("\n")) {
        const match = line.match(/RESULT (.*)$/);
        if (match) results.push(JSON.parse(match[1]));
      }
      expect(results, run.output.slice(-3000)).toEqual(nodeResults());
    }, 180_000);
  },
);
