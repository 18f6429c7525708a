/**
 * The offline viewer in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * during a simulated run: every machine is drawn, a radio drop moves the network manager's
 * highlighted state, time travel shows an earlier state, a recording of compact lines opens,
 * and the page asks nothing of any host but loopback. A screenshot goes to `test-artifacts/viewer.png`. Skipped, saying so, where
 * Chromium is not installed.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import { deviceMachines } from "../../simulations/charts/deviceMachines.js";
import { simulateDevice } from "../../simulations/device.js";
import { type LiveInspector, startInspector } from "../../simulations/inspector.js";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `viewerPage.browser.test: SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)`,
  );
}

let browser: Browser | undefined;
let inspector: LiveInspector | undefined;
afterAll(async () => {
  await browser?.close();
  inspector?.stop();
});

describe.skipIf(!haveChromium)("offline viewer in headless Chromium", () => {
  it("draws every machine, follows a radio drop live, travels back in time, and stays on loopback", async () => {
    inspector = await startInspector(0);
    const clock = new VirtualClock();
    const device = simulateDevice({ clock, seed: 3, inspect: inspector.inspect });
    device.actor.start();
    clock.advance(20_000);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("websocket", (socket) => requested.push(socket.url()));
    await page.goto(inspector.viewerUrl);
    await page.waitForSelector("body[data-loaded=true]");

    for (const { id } of deviceMachines()) {
      const states = await page.locator(`#card-${id} svg g.state`).count();
      expect(states, id).toBeGreaterThan(1);
    }
    const network = page.locator("#card-network");
    const highlighted = () =>
      network
        .locator("g.state.active")
        .evaluateAll((gs) => gs.map((g) => g.getAttribute("data-state")));
    await expect.poll(highlighted, { timeout: 10_000 }).toContain("connected");

    device.board.radio.drop();
    clock.advance(500);
    await expect.poll(highlighted, { timeout: 10_000 }).not.toContain("connected");
    const afterDrop = await highlighted();
    expect(afterDrop.some((s) => s === "backoff" || s === "connecting")).toBe(true);

    // Time travel: the log's entries before the drop show the network connected again.
    const rows = page.locator("#log div");
    const texts = await rows.allInnerTexts();
    const connectedAt = texts
      .map((t, k) => (t.startsWith("network = ") && t.includes("connected") ? k : -1))
      .reduce((last, k) => Math.max(last, k), -1);
    expect(connectedAt).toBeGreaterThanOrEqual(0);
    await rows.nth(connectedAt).click();
    await expect.poll(highlighted, { timeout: 5_000 }).toContain("connected");

    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/viewer.png", fullPage: true });

    // A recording: compact lines as a device prints them (a prompt before one, as on a console).
    const recording = [
      { i: "a", s: "x:9", n: "network" },
      { i: "s", s: "x:9", n: "network", v: "connecting", c: { attempts: 1 }, e: "CONNECT" },
      { i: "e", s: "x:9", n: "network", e: { type: "WIFI_CONNECTED" } },
      { i: "s", s: "x:9", n: "network", v: { connected: "probing" }, c: {}, e: "x" },
    ].map((line, k) => (k === 1 ? `>${JSON.stringify(line)}` : JSON.stringify(line)));
    await page.locator("#file").setInputFiles({
      name: "recording.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from(`${recording.join("\n")}\nnot a line\n`),
    });
    await expect
      .poll(highlighted, { timeout: 5_000 })
      .toEqual(["", "connected", "connected.probing"]);
    await expect.poll(() => page.locator("#log div").count()).toBe(4);
    const outside = requested.filter((url) => new URL(url).hostname !== "127.0.0.1");
    expect(outside).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    device.actor.stop();
  }, 60_000);
});
