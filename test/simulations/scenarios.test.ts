/**
 * Every scenario that ships (`simulations/scenarios/`) runs on the virtual clock and every
 * expectation it states holds, on XState and on the device's compiled runtime (which `npm run
 * simulate` runs by default, for speed), the two runs recorded line for line the same; a fleet
 * shares one world; an expectation that does not hold is named with what was found.
 */
import { describe, expect, it } from "vitest";
import { createCompiledActor } from "../../scripts/charts/adapt.js";
import { runScenario } from "../../simulations/runScenario.js";
import { MINUTE, type Scenario } from "../../simulations/scenario.js";
import { SCENARIOS, scenarioNamed } from "../../simulations/scenarios/index.js";

describe("the scenarios that ship", () => {
  it("are a dozen or more, each named as its file", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.description}`, () => {
      const onXState: string[] = [];
      const result = runScenario(scenario, { record: (line) => onXState.push(line) });
      expect(result.failures).toEqual([]);
      expect(result.ready).toBe(true);
      const onDevice: string[] = [];
      const compiled = runScenario(scenario, {
        record: (line) => onDevice.push(line),
        createActor: createCompiledActor as never,
      });
      expect(compiled.failures).toEqual([]);
      expect(compiled.states).toEqual(result.states);
      expect(compiled.fleet).toEqual(result.fleet);
      const differs = onDevice.findIndex((line, i) => line !== onXState[i]);
      expect(
        differs === -1
          ? null
          : { line: differs + 1, xstate: onXState[differs], device: onDevice[differs] },
      ).toBe(null);
      expect(onDevice).toHaveLength(onXState.length);
    }, 120_000);
  }
});

describe("running a scenario", () => {
  it("names every expectation that does not hold, with what was found", () => {
    const base = scenarioNamed("radio-drops") as Scenario;
    const result = runScenario({
      ...base,
      durationMs: 10 * MINUTE,
      expect: [
        { expect: "config-version", version: 3 },
        { expect: "never", actor: "network", state: "backoff" },
        { expect: "resets", reasons: ["watchdog"] },
        { expect: "desired", desired: { logLevel: "warn" } },
      ],
    });
    expect(result.failures).toEqual([
      "configuration version null, not 3",
      expect.stringMatching(/^network entered backoff \d+ time\(s\)$/),
      "resets [], not [watchdog]",
      'desired logLevel is undefined, not "warn"',
    ]);
  });

  it("runs a fleet on one clock against shared services, with figures per device", () => {
    const scenario = scenarioNamed("config-push") as Scenario;
    const result = runScenario(scenario, { devices: 5 });
    expect(result.failures).toEqual([]);
    expect(result.fleet.registrationMs.count).toBe(5);
    expect(result.fleet.unregistered).toBe(0);
    // Five versions published, each fetched by each of the five devices.
    expect(result.fleet.configConvergenceMs.count).toBe(25);
    expect(result.fleet.alarmsDelivered.p50).toBeGreaterThanOrEqual(1);
  });

  it("reports a device that never registered", () => {
    const result = runScenario(
      {
        name: "no-discovery",
        description: "ServiceDiscovery never answers",
        seed: 1,
        durationMs: 5 * MINUTE,
        timeline: [{ at: 0, action: { do: "service-down", service: "discovery" } }],
        expect: [{ expect: "ready" }],
      },
      { devices: 3 },
    );
    expect(result.fleet.unregistered).toBe(3);
    expect(result.failures).toHaveLength(3);
    expect(result.failures[0]).toMatch(/^sim-0001: not ready: .*auth/);
  });

  it("refuses a fleet size that is not a whole number from 1", () => {
    const scenario = scenarioNamed("radio-drops") as Scenario;
    expect(() => runScenario(scenario, { devices: 0 })).toThrow(/devices: a whole number from 1/);
  });
});
