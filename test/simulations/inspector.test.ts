import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { AnyActorRef } from "xstate";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import { DEFAULT_MASKED_FIELDS, maskValue } from "../../runtime/mask.js";
import { simulateDevice } from "../../simulations/device.js";
import { type LiveInspector, startInspector } from "../../simulations/inspector.js";

interface Message {
  type: string;
  sessionId: string;
  name?: string;
  snapshot?: { value?: unknown; context?: unknown };
}

let inspector: LiveInspector | undefined;
afterEach(() => inspector?.stop());

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the inspector");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A browser's view of the relay: every message it streams. */
async function browser(url: string): Promise<Message[]> {
  const messages: Message[] = [];
  const socket = new WebSocket(url);
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve) => socket.on("open", resolve));
  return messages;
}

describe("Stately inspector", () => {
  it("streams the controller and every manager, with the actors' own snapshots, masked, to a browser that joins late", async () => {
    inspector = await startInspector(0);
    const clock = new VirtualClock();
    const device = simulateDevice({ clock, seed: 3, inspect: inspector.inspect });
    device.actor.start();
    clock.advance(30_000);
    // Far more than 200 events have gone by when the browser opens the page.
    await new Promise((r) => setTimeout(r, 200));
    const messages = await browser(inspector.streamUrl);

    const ids = ["controller", "logger", "network"];
    await until(() =>
      ids.every((id) => messages.some((m) => m.type === "@xstate.actor" && m.name === id)),
    );
    for (const id of ids) {
      const ref = (id === "controller" ? device.actor : device.child(id)) as AnyActorRef;
      const own = ref.getSnapshot();
      const mine = () =>
        messages.filter((m) => m.sessionId === ref.sessionId && m.type === "@xstate.snapshot");
      await until(() => mine().length > 0);
      const streamed = mine().at(-1)!;
      expect(streamed.snapshot!.value).toEqual(own.value);
      expect(streamed.snapshot!.context).toEqual(
        JSON.parse(JSON.stringify(maskValue(own.context, DEFAULT_MASKED_FIELDS))),
      );
    }

    // Live: a reconnect after the browser joined reaches it too.
    device.board.radio.drop();
    clock.advance(5_000);
    const network = device.child("network") as AnyActorRef;
    await until(() =>
      messages.some((m) => m.sessionId === network.sessionId && m.snapshot?.value === "backoff"),
    );
    // The WiFi password is in the network's input and context, and never on the wire.
    expect(JSON.stringify(messages)).not.toContain("sim-password");
    device.actor.stop();
  });

  it("serves the page that embeds the Stately inspector", async () => {
    inspector = await startInspector(0);
    const page = await (await fetch(inspector.url)).text();
    expect(page).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
    expect(page).toContain(inspector.streamUrl);
  });
});
