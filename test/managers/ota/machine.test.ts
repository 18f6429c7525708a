/**
 * The OtaManager in a whole simulated device on the virtual clock, booted by the boot stub's
 * choice over its flash, against the simulated UpdateServer: an update offered and committed, one
 * that fails its health check rolled back and never taken again, and what must be refused (a
 * tampered image, a truncated download, a full flash, a downgrade, a forged manifest) with the
 * firmware running left as it was.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loopbackHttp, serveOnLoopback } from "../../../board/node/loopbackHttp.js";
import { FlashStorage } from "../../../board/sim/flashStorage.js";
import type { HttpResponse } from "../../../board/types.js";
import { ROLLED_BACK_FILE, slotStorage } from "../../../managers/ota/release.js";
import { readMarker } from "../../../runtime/bootSlots.js";
import { openManifest } from "../../../runtime/otaManifest.js";
import { signToken } from "../../../simulations/services/tokens.js";
import { UpdateServer } from "../../../simulations/services/updateServer.js";
import { apiDevice } from "../../support/apiDevice.js";
import { image, ns, otaWorld, tenant } from "../../support/otaDevice.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

function updatedTo2() {
  const w = otaWorld();
  w.run(10 * SECOND);
  w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0", 20_000) });
  w.run(5 * MINUTE);
  return w;
}

describe("OTA", () => {
  it("downloads, verifies, stages, boots on trial and commits a new release", () => {
    const w = updatedTo2();
    expect(w.boots.map((b) => [b.slot, b.attempt])).toEqual([
      ["a", 0],
      ["b", 1],
    ]);
    expect(w.otaState()).toBe("idle");
    expect(w.ota()?.context.running).toBe("2.0.0");
    expect(w.ota()?.context.results).toEqual({ committed: 1 });
    expect(readMarker(slotStorage(w.flash), "b")?.committed).toBe(true);
    // The previous firmware stays as the fallback.
    expect(readMarker(slotStorage(w.flash), "a")?.committed).toBe(true);
    expect(w.updates.stats.rangeRequests).toBe(20);
    const states = new Set(w.device.statesOf("ota").map((t) => t.state));
    // The boot into 2.0.0: its survey, its trial, its commit; and scheduled checks since.
    expect([...states]).toEqual(["surveying", "trial.reaching", "idle", "checking"]);
  });

  it("rolls back a release that fails its health check, reports it, and never takes it again", () => {
    const w = updatedTo2();
    w.updates.refuseCheckIns("3.0.0");
    w.updates.publish(tenant, ns, { version: "3.0.0", image: image("3.0.0", 8_000) });
    w.run(8 * MINUTE);
    expect(w.boots.slice(2).map((b) => [b.slot, b.attempt])).toEqual([
      ["a", 1],
      ["b", 0],
    ]);
    const ota = w.ota()!.context;
    expect(ota.running).toBe("2.0.0");
    expect(ota.results.rolledBack).toBe(1);
    expect(ota.rolledBack).toEqual(["3.0.0"]);
    expect(w.flash.read(ROLLED_BACK_FILE)).toBe("3.0.0\n");
    expect(
      w.device.services.alarms.alarms().some((a: { type: string }) => a.type === "ota-rolledBack"),
    ).toBe(true);
    // Offered again at every check, refused every time, never booted.
    w.run(5 * MINUTE);
    expect(w.boots.length).toBe(4);
    expect(w.ota()!.context.lastError).toMatch(/3\.0\.0 was rolled back/);
  });

  it("refuses a tampered image: discarded, alarmed, the running firmware untouched", () => {
    const w = otaWorld();
    w.run(10 * SECOND);
    w.updates.tamper(true);
    w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0") });
    w.run(2 * MINUTE);
    expect(w.boots.length).toBe(1);
    expect(w.ota()!.context.lastError).toMatch(/image hash .* is not the manifest's/);
    expect(w.ota()!.context.results.refused).toBeGreaterThanOrEqual(1);
    expect(w.flash.read("fw.b")).toBeUndefined();
    expect(readMarker(slotStorage(w.flash), "a")?.committed).toBe(true);
  });

  it("retries a truncated download with backoff, then resumes where it stopped", () => {
    const w = otaWorld();
    w.run(10 * SECOND);
    w.updates.cutShort(1);
    w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0", 10_000) });
    w.run(3 * MINUTE);
    expect(w.ota()!.context.lastError).toMatch(/truncated chunk/);
    expect(["retrying", "downloading"]).toContain(w.otaState());
    expect(w.boots.length).toBe(1);
    w.updates.cutShort(0);
    const requests = w.updates.stats.rangeRequests;
    w.run(20 * MINUTE);
    expect(w.ota()!.context.running).toBe("2.0.0");
    expect(w.updates.stats.rangeRequests - requests).toBeLessThanOrEqual(10);
  });

  it("refuses a release the flash has no room for, after compacting, losing nothing", () => {
    const flash = new FlashStorage({ capacityBytes: 40 * 1024 });
    const w = otaWorld({ flash });
    w.run(10 * SECOND);
    w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0", 36_000) });
    w.run(2 * MINUTE);
    expect(w.ota()!.context.lastError).toMatch(/not enough flash: \d+ bytes needed, \d+ free/);
    expect(flash.compactions).toBeGreaterThanOrEqual(1);
    expect(w.boots.length).toBe(1);
    expect(flash.read("fw.a")).toBe(image("1.0.0"));
  });

  it("keeps a desired version through failed checks, without checking in a loop", () => {
    const w = otaWorld();
    w.run(10 * SECOND);
    w.updates.refuseCheckIns("1.0.0");
    w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0") });
    w.device.services.state.setDesired(tenant, ns, w.device.board.info.deviceId, {
      firmware: { version: "2.0.0" },
    });
    w.run(5 * MINUTE);
    expect(w.ota()!.context.wanted).toBe("2.0.0");
    expect(w.ota()!.context.lastError).toMatch(/503|unavailable/);
    // The desired one, then one a minute on the schedule.
    expect(w.updates.stats.checks).toBeLessThanOrEqual(7);
    w.updates.refuseCheckIns(null);
    w.run(3 * MINUTE);
    expect(w.ota()!.context.running).toBe("2.0.0");
  });

  it("refuses a downgrade unless an admin marked it", () => {
    const w = updatedTo2();
    w.updates.publish(tenant, ns, { version: "1.5.0", image: image("1.5.0") });
    w.device.services.state.setDesired(tenant, ns, w.device.board.info.deviceId, {
      firmware: { version: "1.5.0" },
    });
    w.run(2 * MINUTE);
    expect(w.ota()!.context.lastError).toMatch(/1\.5\.0 is older than 2\.0\.0/);
    w.updates.publish(tenant, ns, { version: "1.5.0", image: image("1.5.0"), downgrade: true });
    w.device.services.state.setDesired(tenant, ns, w.device.board.info.deviceId, {
      firmware: { version: "1.5.0", again: 1 },
    });
    w.run(5 * MINUTE);
    expect(w.ota()!.context.running).toBe("1.5.0");
  });
});

describe("signed manifests", () => {
  const key = "device-key";
  const manifest = JSON.stringify({
    version: "2.0.0",
    size: 100,
    sha256: "a".repeat(64),
    chunkSize: 1024,
    minBoot: 1,
    path: "/v1/images/t/n/default/2.0.0",
  });
  const sign = (text: string, k = key) => createHmac("sha256", k).update(text).digest("base64url");

  it("opens one signed with the device's key", () => {
    expect(openManifest({ manifest, sig: sign(manifest) }, key, 1e6)).toMatchObject({
      version: "2.0.0",
    });
  });

  it("refuses a forged one: another key, an altered text, no signature", () => {
    expect(openManifest({ manifest, sig: sign(manifest, "other") }, key, 1e6)).toBe(
      "bad signature",
    );
    const altered = manifest.replace("100", "101");
    expect(openManifest({ manifest: altered, sig: sign(manifest) }, key, 1e6)).toBe(
      "bad signature",
    );
    expect(openManifest({ manifest }, key, 1e6)).toBe("not a signed manifest ({manifest, sig})");
  });

  it("names the first wrong field of a signed one", () => {
    const bad = manifest.replace('"chunkSize":1024', '"chunkSize":5');
    expect(openManifest({ manifest: bad, sig: sign(bad) }, key, 1e6)).toBe(
      "chunkSize: must be 64 to 4096",
    );
    expect(openManifest({ manifest, sig: sign(manifest) }, key, 50)).toBe(
      "size: must be 1 to 50 bytes",
    );
  });
});

describe("the UpdateServer on a real socket", () => {
  it("offers a signed manifest and serves the image's bytes by Range, byte for byte", async () => {
    const clock = { now: () => 0, setTimeout, clearTimeout };
    const key = "loopback-key";
    const server = new UpdateServer({ clock, keyOf: (id) => (id === "dev-1" ? key : undefined) });
    const bytes = image("2.0.0", 3000);
    server.publish("t", "n", { version: "2.0.0", image: bytes, chunkSize: 1024 });
    const token = signToken(
      { sub: "dev-1", tenant: "t", ns: "n", roles: ["device"], iat: 0, exp: 3600 },
      key,
    );
    const loop = await serveOnLoopback(server.handler);
    const http = loopbackHttp();
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<HttpResponse>((resolve, reject) =>
        http.request(
          {
            method: "GET",
            url: loop.origin + path,
            headers: Object.assign({ authorization: `Bearer ${token}` }, headers),
            timeoutMs: 5000,
          },
          (error, res) => (error ? reject(new Error(error)) : resolve(res as HttpResponse)),
        ),
      );
    try {
      const offer = await get("/v1/releases/dev-1?running=1.0.0");
      const m = openManifest(JSON.parse(offer.body), key, 1 << 20);
      if (typeof m === "string") throw new Error(m);
      expect(m).toMatchObject({ version: "2.0.0", size: 3000, chunkSize: 1024 });
      const part = await get(m.path, { range: "bytes=1024-2047" });
      expect(part.status).toBe(206);
      expect(part.headers["content-range"]).toBe("bytes 1024-2047/3000");
      expect(part.body).toBe(bytes.slice(1024, 2048));
      const none = await get("/v1/releases/dev-1?running=2.0.0");
      expect(none.status).toBe(204);
    } finally {
      await loop.close();
    }
  });
});

describe("the device API's /ota", () => {
  it("shows progress to a viewer, takes a check from an operator only, and audits it", () => {
    const d = apiDevice();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    const viewer = d.token();
    const operator = d.token({ roles: ["operator"] });
    expect(d.call("POST", "/ota", { token: viewer, body: "{}" }).status).toBe(403);
    const shown = d.call("GET", "/ota", { token: viewer });
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ state: "idle", running: "0.1.0-sim", results: {} });
    const asked = d.call("POST", "/ota", { token: operator, body: "{}" });
    expect(asked.status).toBe(202);
    expect(d.audit.some((r) => r.msg === "POST /ota" && r.result === "202")).toBe(true);
    d.clock.advance(SECOND);
    expect(d.call("GET", "/ota", { token: viewer }).json).toMatchObject({
      state: "idle",
      lastError: "no update service configured",
    });
    const metrics = d.call("GET", "/metrics", { token: viewer }).body;
    expect(metrics).toContain('device_firmware_info{version="0.1.0-sim"} 1');
    expect(metrics).toContain('device_manager_state{manager="ota",state="idle"} 1');
    d.actor.stop();
  });
});
