/**
 * The files `npm run machines` writes into `docs/machines/`, as names and contents: per machine
 * its JSON definition, its Mermaid text and its SVG, and a README linking them. Computed, not
 * written, here, so the build writes them and a test compares them with what is committed.
 */
import stringify from "fast-json-stable-stringify";
import { chartOf, exportDefinition } from "./definition.js";
import type { DeviceMachine } from "./deviceMachines.js";
import { mermaidOf } from "./mermaid.js";
import { svgOf } from "./svg.js";

export const MACHINES_DIR = "docs/machines";

/** Pretty JSON with keys in a stable order, so a diff shows what changed in a machine. */
const pretty = (value: unknown) => `${JSON.stringify(JSON.parse(stringify(value)), null, 2)}\n`;

export function machineFiles(machines: DeviceMachine[]): Map<string, string> {
  const files = new Map<string, string>();
  const rows: string[] = [];
  for (const { id, machine } of machines) {
    const json = exportDefinition(machine);
    const chart = chartOf(json);
    files.set(`${id}.json`, pretty(json));
    files.set(`${id}.mmd`, mermaidOf(chart));
    files.set(`${id}.svg`, svgOf(chart));
    rows.push(`| ${id} | [diagram](${id}.svg) | [Mermaid](${id}.mmd) | [JSON](${id}.json) |`);
  }
  files.set(
    "README.md",
    [
      "# The device's statecharts",
      "",
      "Written by `npm run machines` (and by `npm run build`) from the machines themselves; a test",
      "fails when a file here no longer matches its machine. Do not edit them by hand.",
      "",
      "Each JSON file is XState's own definition of the machine (`machine.definition`), with each",
      "state's eventless (`always`) transitions added, which XState's definition leaves out.",
      "States tagged `ready` are drawn with a green border.",
      "",
      "| machine | picture | text | definition |",
      "| --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n"),
  );
  return files;
}
