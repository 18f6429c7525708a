/**
 * A chart as Mermaid `stateDiagram-v2` text, for Markdown viewers that render Mermaid. State ids
 * are the chart paths made safe for Mermaid (ids are global there, so `connected.idle` becomes
 * `connected_idle` and keeps its short label), and `ready` states share a class.
 */
import type { Chart, ChartNode } from "./definition.js";

const mermaidId = (path: string) => path.replace(/[^A-Za-z0-9_]/g, "_");
/** Mermaid ends a label at `:` and trips on some punctuation: keep words, brackets and spaces. */
const mermaidLabel = (text: string) => text.replace(/[^A-Za-z0-9_ [\]]/g, " ");

function block(node: ChartNode, indent: string, lines: string[]): void {
  for (const child of node.children) {
    const id = mermaidId(child.path);
    if (child.children.length === 0) {
      lines.push(`${indent}state "${child.key}" as ${id}`);
      continue;
    }
    lines.push(`${indent}state "${child.key}" as ${id} {`);
    if (child.initial) lines.push(`${indent}  [*] --> ${mermaidId(child.initial)}`);
    block(child, `${indent}  `, lines);
    lines.push(`${indent}}`);
  }
}

export function mermaidOf(chart: Chart): string {
  const lines = ["stateDiagram-v2"];
  if (chart.root.initial) lines.push(`  [*] --> ${mermaidId(chart.root.initial)}`);
  block(chart.root, "  ", lines);
  for (const edge of chart.edges) {
    if (edge.target === "") continue;
    const label = mermaidLabel(edge.label);
    // The root is no box in Mermaid, and `[*]` would read as the start: say it in a comment.
    if (edge.source === "") lines.push(`  %% from any state on ${label} --> ${edge.target}`);
    else lines.push(`  ${mermaidId(edge.source)} --> ${mermaidId(edge.target)}: ${label}`);
  }
  const ready: string[] = [];
  const collect = (node: ChartNode) => {
    if (node.path !== "" && node.tags.includes("ready")) ready.push(mermaidId(node.path));
    node.children.forEach(collect);
  };
  collect(chart.root);
  if (ready.length > 0) {
    lines.push("  classDef ready stroke:#2a8a3e,stroke-width:2px");
    lines.push(`  class ${ready.join(",")} ready`);
  }
  return `${lines.join("\n")}\n`;
}
