/**
 * A chart drawn as SVG, with no browser and no diagram library: a layered layout of each
 * compound state's children (rows by distance from the initial child along the transitions
 * among them), compound states drawn as boxes around their children, transitions as arrows with
 * their labels (several between the same two states share one arrow).
 *
 * Every state is a `<g class="state" data-state="<path>">`, so a page highlights the current
 * state by adding the class `active` to the groups of the active paths; the stylesheet inside
 * the SVG already says how an active state looks. States tagged `ready` carry the class `ready`.
 * The output depends on the chart alone (no clock, no randomness): the same machine draws the
 * same bytes, which is what lets a test say a committed picture is not stale.
 */
import type { Chart, ChartEdge, ChartNode } from "./definition.js";

const CHAR_W = 7;
const ATOM_H = 30;
const PAD = 14;
const TITLE_H = 24;
const GAP_X = 110;
const GAP_Y = 90;

interface Size {
  w: number;
  h: number;
  /** Children's offsets inside this box. */
  offsets: Map<string, { x: number; y: number }>;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The child of `node` that is or contains `path`. */
function childHolding(node: ChartNode, path: string): ChartNode | undefined {
  return node.children.find((c) => path === c.path || path.startsWith(`${c.path}.`));
}

/** Rows of `node`'s children: breadth first from the initial child along the edges among them. */
function layers(node: ChartNode, edges: ChartEdge[]): ChartNode[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    const from = childHolding(node, edge.source);
    const to = childHolding(node, edge.target);
    if (!from || !to || from === to) continue;
    next.set(from.path, [...(next.get(from.path) ?? []), to.path]);
  }
  const layerOf = new Map<string, number>();
  const start = node.initial ? childHolding(node, node.initial) : node.children[0];
  let frontier = start ? [start.path] : [];
  let layer = 0;
  const visit = () => {
    while (frontier.length > 0) {
      const fresh: string[] = [];
      for (const path of frontier) {
        if (layerOf.has(path)) continue;
        layerOf.set(path, layer);
        fresh.push(...(next.get(path) ?? []).filter((p) => !layerOf.has(p)));
      }
      frontier = fresh;
      layer++;
    }
  };
  visit();
  // States no transition among siblings reaches (entered from outside): rows of their own.
  for (const child of node.children) {
    if (layerOf.has(child.path)) continue;
    frontier = [child.path];
    visit();
  }
  const rows: ChartNode[][] = [];
  for (const child of node.children) {
    const row = layerOf.get(child.path)!;
    rows[row] = [...(rows[row] ?? []), child];
  }
  return rows.filter((row) => row !== undefined);
}

function measure(node: ChartNode, edges: ChartEdge[], sizes: Map<string, Size>): Size {
  const labelW = node.key.length * CHAR_W + 2 * PAD;
  if (node.children.length === 0) {
    const size = { w: labelW, h: ATOM_H, offsets: new Map() };
    sizes.set(node.path, size);
    return size;
  }
  const rows = layers(node, edges).map((row) =>
    row.map((c) => ({ c, s: measure(c, edges, sizes) })),
  );
  const rowW = (row: { s: Size }[]) =>
    row.reduce((sum, { s }) => sum + s.w, 0) + GAP_X * (row.length - 1);
  const innerW = Math.max(labelW, ...rows.map(rowW));
  const offsets = new Map<string, { x: number; y: number }>();
  let y = TITLE_H + PAD / 2;
  for (const row of rows) {
    let x = PAD + (innerW - rowW(row)) / 2;
    const rowH = Math.max(...row.map(({ s }) => s.h));
    for (const { c, s } of row) {
      offsets.set(c.path, { x, y: y + (rowH - s.h) / 2 });
      x += s.w + GAP_X;
    }
    y += rowH + GAP_Y;
  }
  const size = { w: innerW + 2 * PAD, h: y - GAP_Y + PAD, offsets };
  sizes.set(node.path, size);
  return size;
}

function place(node: ChartNode, at: { x: number; y: number }, sizes: Map<string, Size>) {
  const boxes = new Map<string, Box>();
  const walk = (n: ChartNode, x: number, y: number) => {
    const size = sizes.get(n.path)!;
    boxes.set(n.path, { x, y, w: size.w, h: size.h });
    for (const child of n.children) {
      const offset = size.offsets.get(child.path)!;
      walk(child, x + offset.x, y + offset.y);
    }
  };
  walk(node, at.x, at.y);
  return boxes;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const r = (n: number) => Math.round(n * 10) / 10;

/** Where the line from a box's centre towards `to` leaves the box. */
function border(box: Box, to: { x: number; y: number }) {
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const dx = to.x - cx;
  const dy = to.y - cy;
  if (dx === 0 && dy === 0) return { x: cx, y: cy };
  const scale = Math.min(
    dx === 0 ? Number.POSITIVE_INFINITY : box.w / 2 / Math.abs(dx),
    dy === 0 ? Number.POSITIVE_INFINITY : box.h / 2 / Math.abs(dy),
  );
  return { x: cx + dx * scale, y: cy + dy * scale };
}

const centre = (b: Box) => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });
const inside = (outer: string, inner: string) =>
  outer === "" ? inner !== "" : inner.startsWith(`${outer}.`);

/** One arrow: its path and where its label goes. */
function arrow(from: Box, to: Box, source: string, target: string) {
  if (source === target) {
    const x = from.x + from.w;
    const y1 = from.y + from.h * 0.3;
    const y2 = from.y + from.h * 0.7;
    return {
      d: `M${r(x)},${r(y1)} C${r(x + 28)},${r(y1 - 10)} ${r(x + 28)},${r(y2 + 10)} ${r(x + 2)},${r(y2)}`,
      label: { x: x + 30, y: (y1 + y2) / 2, anchor: "start" },
    };
  }
  if (inside(source, target) || inside(target, source)) {
    // Between a compound state and a state within it: down from the outer box's title bar.
    const [outer, inner] = inside(source, target) ? [from, to] : [to, from];
    const x = inner.x + Math.min(inner.w / 2, 18);
    const top = { x, y: outer.y + TITLE_H / 2 };
    const bottom = { x, y: inner.y };
    const [a, b] = inside(source, target) ? [top, bottom] : [bottom, top];
    return {
      d: `M${r(a.x)},${r(a.y)} L${r(b.x)},${r(b.y)}`,
      label: { x: x + 4, y: (top.y + bottom.y) / 2, anchor: "start" },
    };
  }
  const a = border(from, centre(to));
  const b = border(to, centre(from));
  // Bend to the right of the direction of travel, so A→B and B→A do not lie on each other.
  const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const bend = Math.min(48, length / 3);
  const c = {
    x: (a.x + b.x) / 2 - ((b.y - a.y) / length) * bend,
    y: (a.y + b.y) / 2 + ((b.x - a.x) / length) * bend,
  };
  return {
    d: `M${r(a.x)},${r(a.y)} Q${r(c.x)},${r(c.y)} ${r(b.x)},${r(b.y)}`,
    label: {
      x: 0.25 * a.x + 0.5 * c.x + 0.25 * b.x,
      y: 0.25 * a.y + 0.5 * c.y + 0.25 * b.y,
      anchor: "middle",
    },
  };
}

const STYLE = `
.state rect{fill:#fff;stroke:#445;stroke-width:1.2}
.state.compound>rect{fill:#f5f6fa}
.state.ready>rect{stroke:#2a8a3e;stroke-width:2}
.state.active>rect{fill:#ffe9a8;stroke:#c77700;stroke-width:2.5}
.state.compound.active>rect{fill:#fff6dc}
.state text{font:12px sans-serif;fill:#223}
.state.compound>text{font-weight:bold}
.edge{fill:none;stroke:#667;stroke-width:1.1}
.label{font:10px sans-serif;fill:#445;paint-order:stroke;stroke:#fff;stroke-width:3px}
.initial{fill:#223}`;

export function svgOf(chart: Chart): string {
  const sizes = new Map<string, Size>();
  const rootSize = measure(chart.root, chart.edges, sizes);
  // Room to the right for self-loops and their labels.
  const margin = 8;
  const boxes = place(chart.root, { x: margin, y: margin }, sizes);
  const width = rootSize.w + 2 * margin + 160;
  const height = rootSize.h + 2 * margin;
  const marker = `arrow-${chart.id}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-machine="${escapeXml(chart.id)}" viewBox="0 0 ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}">`,
    `<style>${STYLE}</style>`,
    `<defs><marker id="${escapeXml(marker)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>`,
  ];
  const drawState = (node: ChartNode) => {
    const box = boxes.get(node.path)!;
    const classes = ["state", node.children.length > 0 ? "compound" : "atomic"];
    if (node.tags.includes("ready")) classes.push("ready");
    const title = node.path === "" ? chart.id : node.key;
    const textY = node.children.length > 0 ? box.y + 16 : box.y + box.h / 2 + 4;
    const textX = node.children.length > 0 ? box.x + 8 : box.x + box.w / 2;
    const anchor = node.children.length > 0 ? "start" : "middle";
    out.push(
      `<g class="${classes.join(" ")}" data-state="${escapeXml(node.path)}">`,
      `<rect x="${r(box.x)}" y="${r(box.y)}" width="${r(box.w)}" height="${r(box.h)}" rx="8"/>`,
      `<text x="${r(textX)}" y="${r(textY)}" text-anchor="${anchor}">${escapeXml(title)}</text>`,
    );
    for (const child of node.children) drawState(child);
    if (node.initial) {
      const first = boxes.get(node.initial)!;
      out.push(
        `<circle class="initial" cx="${r(first.x - 10)}" cy="${r(first.y + 6)}" r="4"><title>initial</title></circle>`,
      );
    }
    out.push("</g>");
  };
  drawState(chart.root);
  // One arrow per pair of states, labelled with every transition between them.
  const pairs = new Map<string, { source: string; target: string; labels: string[] }>();
  for (const edge of chart.edges) {
    const key = `${edge.source}\u0000${edge.target}`;
    const pair = pairs.get(key) ?? { source: edge.source, target: edge.target, labels: [] };
    if (!pair.labels.includes(edge.label)) pair.labels.push(edge.label);
    pairs.set(key, pair);
  }
  for (const pair of pairs.values()) {
    const a = arrow(boxes.get(pair.source)!, boxes.get(pair.target)!, pair.source, pair.target);
    out.push(
      `<g class="transition" data-source="${escapeXml(pair.source)}" data-target="${escapeXml(pair.target)}">`,
      `<path class="edge" d="${a.d}" marker-end="url(#${escapeXml(marker)})"/>`,
      `<text class="label" x="${r(a.label.x)}" y="${r(a.label.y)}" text-anchor="${a.label.anchor}">`,
      ...pair.labels.map(
        (label, i) =>
          `<tspan x="${r(a.label.x)}" dy="${i === 0 ? r(-((pair.labels.length - 1) * 6)) : 12}">${escapeXml(label)}</tspan>`,
      ),
      "</text></g>",
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
