/**
 * The Stately inspector for a running simulation.
 *
 * The device streams every inspection event of every actor (the controller and each manager)
 * through `@statelyai/inspect`'s WebSocket inspector to a relay on loopback. The relay serves a
 * page that embeds the Stately inspector and forwards the events to it. Unlike the package's own
 * relay, which replays only the last 200 messages, this one remembers each actor's registration
 * and latest snapshot, so a browser opened at any time shows every manager in its current state.
 *
 * Everything sent is masked as log lines are: WiFi passwords and tokens never leave the process.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebSocketInspector } from "@statelyai/inspect";
import { type WebSocket, WebSocketServer } from "ws";
import type { InspectionEvent } from "xstate";
import { DEFAULT_MASKED_FIELDS, maskValue } from "../runtime/mask.js";

export interface LiveInspector {
  inspect: (event: InspectionEvent) => void;
  /** The page to open in a browser. */
  url: string;
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
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(bridgePage(streamUrl()));
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
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    url: `http://127.0.0.1:${bound}/`,
    streamUrl: streamUrl(),
    stop() {
      inspector.stop();
      for (const browser of browsers) browser.close();
      sockets.close();
      server.close();
    },
  };
}
