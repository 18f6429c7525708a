/**
 * The Stately inspector for a running simulation.
 *
 * The device streams every inspection event of every actor (the controller and each manager)
 * through `@statelyai/inspect`'s WebSocket inspector to a relay on loopback. The relay serves a
 * page that embeds the Stately inspector and forwards the events to it. Unlike the package's own
 * relay, which replays only the last 200 messages, this one remembers each actor's registration
 * and latest snapshot, so a browser opened at any time shows every manager in its current state.
 *
 * Beside it, at `/viewer`, the offline viewer (`viewerPage.ts`) draws the same stream on the
 * relay's own charts (`/charts/index.json`, `/charts/<id>.svg`), with no request leaving loopback.
 * A real device's compact inspection lines (`runtime/inspectLine.ts`) enter through `record`,
 * with the host's definition of each machine, so the Stately inspector draws them too.
 *
 * Everything sent is masked as log lines are: WiFi passwords and tokens never leave the process.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebSocketInspector } from "@statelyai/inspect";
import { type WebSocket, WebSocketServer } from "ws";
import type { InspectionEvent } from "xstate";
import type { InspectionLine } from "../runtime/inspectLine.js";
import { DEFAULT_MASKED_FIELDS, maskValue } from "../runtime/mask.js";
import { chartOf, exportDefinition } from "./charts/definition.js";
import { deviceMachines } from "./charts/deviceMachines.js";
import { svgOf } from "./charts/svg.js";
import { viewerPage } from "./viewerPage.js";

export interface LiveInspector {
  inspect: (event: InspectionEvent) => void;
  /** Feeds one compact inspection line of a real device (or a recording). */
  record: (line: InspectionLine) => void;
  /** The page to open in a browser. */
  url: string;
  /** The offline viewer. */
  viewerUrl: string;
  /** The socket a browser (or a test) connects to for the event stream. */
  streamUrl: string;
  stop(): void;
}

interface Relayed {
  type: string;
  sessionId?: string;
}

const STATELY_INSPECTOR = "https://stately.ai/inspect";

/** The page: the Stately inspector in a frame, fed by the relay's stream once it says it is ready. */
function bridgePage(streamUrl: string): string {
  return `<!DOCTYPE html>
<html><head><title>SensorsController inspector</title>
<style>html,body,iframe{margin:0;width:100%;height:100%;border:0}</style></head>
<body><iframe id="inspector" src="${STATELY_INSPECTOR}"></iframe>
<script>
  const frame = document.getElementById("inspector");
  const pending = [];
  let ready = false;
  window.addEventListener("message", (e) => {
    if (!e.data || e.data.type !== "@statelyai.connected") return;
    ready = true;
    pending.splice(0).forEach((m) => frame.contentWindow.postMessage(m, "*"));
  });
  const ws = new WebSocket(${JSON.stringify(streamUrl)});
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (ready) frame.contentWindow.postMessage(m, "*"); else pending.push(m);
  };
</script></body></html>`;
}

/**
 * Starts the relay on `port` (0: any free port) and connects an inspector to it. Resolves once
 * the inspector's socket is open, so no early event is lost.
 */
export async function startInspector(port: number): Promise<LiveInspector> {
  /** Per actor: its registration, then its latest snapshot, as last relayed. */
  const actors = new Map<string, { actor?: string; snapshot?: string }>();
  const browsers = new Set<WebSocket>();
  const machines = deviceMachines();
  const charts = new Map<string, string>();
  const index = machines.map(({ id, machine, requiredForReadiness }) => {
    const chart = chartOf(exportDefinition(machine));
    charts.set(`/charts/${id}.svg`, svgOf(chart));
    const tags: Record<string, string[]> = {};
    const walk = (node: typeof chart.root) => {
      tags[node.path] = node.tags;
      node.children.forEach(walk);
    };
    walk(chart.root);
    return { id, required: requiredForReadiness, tags };
  });
  const server = createServer((req, res) => {
    const chart = charts.get(req.url ?? "");
    if (chart) {
      res.writeHead(200, { "Content-Type": "image/svg+xml" });
      res.end(chart);
    } else if (req.url === "/charts/index.json") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(index));
    } else if (req.url === "/viewer") {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(viewerPage(streamUrl()));
    } else if (req.url === "/") {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(bridgePage(streamUrl()));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
    }
  });
  const sockets = new WebSocketServer({ server });
  let deviceConnected: () => void = () => {};
  const connected = new Promise<void>((resolve) => {
    deviceConnected = resolve;
  });

  sockets.on("connection", (socket, request) => {
    if (request.url === "/device") {
      deviceConnected();
      socket.on("message", (data) => relay(String(data)));
      return;
    }
    browsers.add(socket);
    socket.on("close", () => browsers.delete(socket));
    for (const known of actors.values()) {
      if (known.actor) socket.send(known.actor);
      if (known.snapshot) socket.send(known.snapshot);
    }
  });

  function relay(message: string): void {
    const event = JSON.parse(message) as Relayed;
    if (event.sessionId && (event.type === "@xstate.actor" || event.type === "@xstate.snapshot")) {
      const known = actors.get(event.sessionId) ?? {};
      if (event.type === "@xstate.actor") known.actor = message;
      else known.snapshot = message;
      actors.set(event.sessionId, known);
    }
    for (const browser of browsers) browser.send(message);
  }

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  const streamUrl = () => `ws://127.0.0.1:${bound}/`;
  const inspector = createWebSocketInspector({
    url: `ws://127.0.0.1:${bound}/device`,
    serialize: (event) => maskValue(event, DEFAULT_MASKED_FIELDS) as typeof event,
    // Events queue until this socket's own `open`, which can come after the device has started;
    // the default keeps only the last 200, and a device start makes more: registrations were lost.
    maxDeferredEvents: 100_000,
  });
  await connected;
  const logicOf = new Map(machines.map(({ id, machine }) => [id, machine]));
  const seen = new Set<string>();
  /** A device's line, through the Stately inspector's own calls, as if its actor ran here. */
  const record = (line: InspectionLine) => {
    if (!seen.has(line.s)) {
      seen.add(line.s);
      const logic = logicOf.get(line.n) ?? { config: { id: line.n } };
      inspector.actor({ sessionId: line.s, logic } as never);
    }
    if (line.i === "e") inspector.event(line.s, line.e as never, { source: line.f });
    else if (line.i === "s") {
      inspector.snapshot(line.s, { value: line.v, context: line.c, status: "active" } as never, {
        event: { type: String(line.e ?? "") },
      });
    }
  };
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    record,
    url: `http://127.0.0.1:${bound}/`,
    viewerUrl: `http://127.0.0.1:${bound}/viewer`,
    streamUrl: streamUrl(),
    stop() {
      inspector.stop();
      for (const browser of browsers) browser.close();
      sockets.close();
      server.close();
    },
  };
}
