/**
 * The offline viewer: one HTML page, served by the inspector relay beside the Stately inspector,
 * that needs nothing but the relay (no request leaves loopback). It draws every machine from
 * the relay's own SVGs (`/charts/<id>.svg`, drawn by `simulations/charts/svg.ts`), highlights each
 * actor's current state, shows its context (masked by the relay) and readiness (its `ready`
 * tags, as the controller reads them), and keeps a log of the last events with time travel: pick
 * an event, or move the slider, and every chart shows the device as it was then. It also opens a
 * file of compact inspection lines (`runtime/inspectLine.ts`), which is what a device prints and
 * what a recording holds.
 *
 * Everything the page keeps is in the compact line form: the relay's messages (Stately's
 * format) are turned into it as they arrive, so a live stream and a file are one history.
 */
import { activePaths } from "./charts/activePaths.js";

/** How many events the page keeps for time travel. */
export const VIEWER_HISTORY = 1000;

export function viewerPage(streamUrl: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>SensorsController: offline viewer</title>
<style>
body{font:13px sans-serif;margin:0;display:flex;height:100vh}
#charts{flex:3;overflow:auto;padding:8px}
#side{flex:1;min-width:320px;border-left:1px solid #ccc;display:flex;flex-direction:column}
.card{border:1px solid #ddd;border-radius:6px;margin:6px;padding:6px;display:inline-block;vertical-align:top}
.card h2{font-size:14px;margin:0 0 4px}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;margin-left:6px}
.ready{background:#d7f5dc}.notready{background:#fbd9d6}.unknown{background:#eee}
.card pre{max-height:140px;overflow:auto;font-size:11px;background:#fafafa;margin:4px 0 0}
#log{flex:1;overflow:auto;font:11px monospace;margin:0;padding:4px}
#log div{cursor:pointer;white-space:nowrap}#log div.at{background:#ffe9a8}
#controls{padding:6px;border-bottom:1px solid #ccc}
</style></head>
<body><div id="charts"></div>
<div id="side"><div id="controls">
<div id="device">device: <span id="readiness" class="badge unknown">waiting</span></div>
<label><input type="checkbox" id="live" checked> live</label>
<input type="range" id="time" min="0" max="0" value="0" style="width:100%">
<div id="position"></div>
<label>open a recording (JSON lines): <input type="file" id="file"></label>
</div><div id="log"></div></div>
<script>
${activePaths.toString()}
const HISTORY = ${VIEWER_HISTORY};
const history = [];
const names = {};
let machines = [];
let at = -1;
const $ = (id) => document.getElementById(id);

function add(line) {
  if (line.n) names[line.s] = line.n;
  else line.n = names[line.s];
  history.push(line);
  if (history.length > HISTORY) history.shift();
  if ($("live").checked) at = history.length - 1;
  schedule();
}

/** A relay message (Stately's format) as a compact line. */
function fromRelay(m) {
  if (m.type === "@xstate.actor") return { i: "a", s: m.sessionId, n: m.name };
  if (m.type === "@xstate.event") return { i: "e", s: m.sessionId, e: m.event, f: m.sourceId };
  if (m.type === "@xstate.snapshot" && m.snapshot && m.snapshot.value !== undefined)
    return { i: "s", s: m.sessionId, v: m.snapshot.value, c: m.snapshot.context, e: m.event && m.event.type };
  return null;
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(); });
}

function render() {
  const slider = $("time");
  slider.max = String(Math.max(0, history.length - 1));
  slider.value = String(Math.max(0, at));
  $("position").textContent = history.length ? "event " + (at + 1) + " of " + history.length : "no events yet";
  const latest = {};
  for (let k = 0; k <= at; k++) if (history[k].i === "s") latest[history[k].n] = history[k];
  const failing = [];
  for (const m of machines) {
    const card = $("card-" + m.id);
    const snap = latest[m.id];
    const active = new Set(snap ? activePaths(snap.v) : []);
    if (snap) active.add("");
    card.querySelectorAll("g.state").forEach((g) => g.classList.toggle("active", active.has(g.dataset.state)));
    // A machine with no \`ready\` state (the controller) has a state but no readiness of its own.
    const judged = Object.values(m.tags).some((tags) => tags.includes("ready"));
    const ready = snap ? [...active].some((p) => (m.tags[p] || []).includes("ready")) : null;
    const badge = card.querySelector(".badge");
    const state = snap ? (typeof snap.v === "string" ? snap.v : JSON.stringify(snap.v)) : "";
    badge.className = "badge " + (ready === null || !judged ? "unknown" : ready ? "ready" : "notready");
    badge.textContent = !snap ? "no snapshot" : judged ? (ready ? "ready: " : "not ready: ") + state : state;
    card.dataset.current = snap ? JSON.stringify(snap.v) : "";
    card.querySelector("pre").textContent = snap ? JSON.stringify(snap.c, null, 1) : "";
    if (m.required && !ready) failing.push(m.id);
  }
  const device = $("readiness");
  device.className = "badge " + (failing.length ? "notready" : "ready");
  device.textContent = failing.length ? "NOT READY: " + failing.join(", ") : "READY";
  const log = $("log");
  log.textContent = "";
  const from = Math.max(0, history.length - 300);
  for (let k = from; k < history.length; k++) {
    const h = history[k];
    const row = document.createElement("div");
    row.textContent = (h.n || h.s) + " " + (h.i === "e" ? "\\u2190 " + (h.e && h.e.type) : h.i === "s" ? "= " + JSON.stringify(h.v) : "started");
    if (k === at) row.className = "at";
    row.onclick = () => { $("live").checked = false; at = k; render(); };
    log.appendChild(row);
  }
  if ($("live").checked) log.scrollTop = log.scrollHeight;
}

$("time").oninput = (e) => { $("live").checked = false; at = Number(e.target.value); render(); };
$("live").onchange = () => { if ($("live").checked) { at = history.length - 1; render(); } };
$("file").onchange = async (e) => {
  const text = await e.target.files[0].text();
  $("live").checked = false;
  history.length = 0;
  for (const line of text.split("\\n")) {
    const start = line.indexOf('{"i":');
    if (start >= 0) try { add(JSON.parse(line.slice(start))); } catch (_) {}
  }
  at = history.length - 1;
  render();
};

(async () => {
  machines = await (await fetch("/charts/index.json")).json();
  for (const m of machines) {
    const card = document.createElement("div");
    card.className = "card";
    card.id = "card-" + m.id;
    card.innerHTML = "<h2>" + m.id + '<span class="badge unknown">no snapshot</span></h2>' +
      (await (await fetch("/charts/" + m.id + ".svg")).text()) + "<pre></pre>";
    $("charts").appendChild(card);
  }
  const ws = new WebSocket(${JSON.stringify(streamUrl)});
  ws.onmessage = (e) => { const line = fromRelay(JSON.parse(e.data)); if (line) add(line); };
  render();
  document.body.dataset.loaded = "true";
})();
</script></body></html>`;
}
