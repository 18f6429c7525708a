import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  chartOf,
  exportDefinition,
  machineFromDefinition,
} from "../../../simulations/charts/definition.js";
import { deviceMachines } from "../../../simulations/charts/deviceMachines.js";
import { MACHINES_DIR, machineFiles } from "../../../simulations/charts/files.js";

const machines = deviceMachines();

/** What a machine does, as comparable text: every state with its type and tags, every transition. */
function shape(json: ReturnType<typeof exportDefinition>) {
  const chart = chartOf(json);
  const states: string[] = [];
  const walk = (node: typeof chart.root) => {
    states.push(`${node.path}:${node.type}:${node.tags.join("+")}:${node.initial ?? ""}`);
    node.children.forEach(walk);
  };
  walk(chart.root);
  return { states, edges: chart.edges.map((e) => `${e.source} -> ${e.target} on ${e.label}`) };
}

describe("exported statecharts", () => {
  it("covers the controller and every manager", () => {
    expect(machines.map((m) => m.id)).toEqual([
      "controller",
      "logger",
      "network",
      "auth",
      "config",
      "api",
      "alarms",
      "watchdog",
      "timesync",
      "state",
      "ota",
    ]);
  });

  it.each(machines.map((m) => [m.id, m] as const))(
    "the JSON of %s re-creates a machine with the same states and transitions",
    (_id, { machine }) => {
      const json = exportDefinition(machine);
      const again = exportDefinition(machineFromDefinition(JSON.parse(JSON.stringify(json))));
      const before = shape(json);
      expect(before.edges.length).toBeGreaterThan(0);
      expect(shape(again)).toEqual(before);
    },
  );

  it("keeps the eventless transitions XState's own definition leaves out", () => {
    const alarms = machines.find((m) => m.id === "alarms")!.machine;
    expect(shape(exportDefinition(alarms)).edges).toContain("idle -> sending on always [canSend]");
  });

  it("docs/machines holds exactly what the machines draw (run npm run machines when this fails)", () => {
    for (const [name, content] of machineFiles(machines)) {
      expect(readFileSync(join(MACHINES_DIR, name), "utf8"), name).toBe(content);
    }
  });

  it("links every diagram from ARCHITECTURE.md", () => {
    const architecture = readFileSync("ARCHITECTURE.md", "utf8");
    for (const { id } of machines) expect(architecture).toContain(`(docs/machines/${id}.svg)`);
  });
});
