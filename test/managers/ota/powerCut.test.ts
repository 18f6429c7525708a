/**
 * Power loss at every Storage write of a whole update: a device on Espruino's flash semantics
 * (`test/support/cutFlash.ts`) runs 1.0.0, is offered 2.0.0, and loses power at one write (any
 * file: logs, alarms, the release's manifest, image chunks, progress marks, the marker, the boot
 * attempts, the commit), part-way through that write; it boots again on what the flash holds.
 * Every boot finds a good slot, a committed slot is always there, a download interrupted with
 * chunks in flash resumes from them, and the update ends committed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manifestFile, slotStorage, writtenBytes } from "../../../managers/ota/release.js";
import { readMarker, SLOTS, slotFile } from "../../../runtime/bootSlots.js";
import { crc32 } from "../../../runtime/crc32.js";
import { openManifest } from "../../../runtime/otaManifest.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { CutFlash } from "../../support/cutFlash.js";
import "../../support/fastCheckSeed.js";
import { PowerCut } from "../../support/espruinoFlash.js";
import { image, ns, otaWorld, tenant } from "../../support/otaDevice.js";

/** A slot committed and intact: what the device can always fall back on. */
function committedSlots(flash: CutFlash): string[] {
  const slots = slotStorage(flash);
  return SLOTS.filter((slot) => {
    const m = readMarker(slots, slot);
    const code = flash.read(slotFile(slot));
    return !!m && m.committed && !!code && code.length === m.length && crc32(code) === m.crc;
  });
}

/** Bytes of the download in flash (chunks marked), when one is under way without a marker. */
function downloaded(flash: CutFlash): number | null {
  if (readMarker(slotStorage(flash), "b")) return null;
  let body: unknown;
  try {
    body = JSON.parse(flash.read(manifestFile("b")) ?? "");
  } catch (_) {
    return null;
  }
  const m = openManifest(body, SIMULATED_DEVICE.key, 1 << 20);
  return typeof m === "string" ? null : writtenBytes(flash, "b", m);
}

/** One whole update with the power cut at write `op` (counted from the offer) after `bytes` bytes. */
function update(cut: { op: number; bytes: number } | null) {
  const flash = new CutFlash();
  const w = otaWorld({ flash });
  w.run(10_000);
  const start = flash.ops;
  if (cut) flash.cutAt(start + cut.op, cut.bytes);
  w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0", 2500), chunkSize: 512 });
  let resumed: number | null = null;
  for (let t = 0; t < 30 && w.ota()?.context.running !== "2.0.0"; t++) {
    for (let s = 0; s < 60; s++) {
      try {
        w.clock.advance(1000);
      } catch (error) {
        if (!(error instanceof PowerCut)) throw error;
      }
      if (!flash.cut && w.device.board.resets.length > 0) {
        // The stub's attempt write is a cut point too.
        try {
          w.reboot();
        } catch (error) {
          if (!(error instanceof PowerCut)) throw error;
        }
      }
      if (flash.cut) {
        w.device.actor.stop();
        flash.restore();
        const inFlash = downloaded(flash);
        expect(committedSlots(flash).length).toBeGreaterThan(0);
        w.reboot();
        const boot = w.boots[w.boots.length - 1];
        expect(boot.file).not.toBeNull();
        expect(boot.safe).toBe(false);
        if (inFlash !== null && inFlash > 0 && w.ota()?.context.target) {
          resumed = inFlash;
          expect(w.ota()?.context.written).toBe(inFlash);
        }
      }
    }
  }
  return { w, flash, ops: flash.ops - start, resumed };
}

describe("an update with the power cut at any write", () => {
  const whole = update(null);

  it("runs to its commit uncut", () => {
    expect(whole.w.ota()?.context.running).toBe("2.0.0");
    expect(whole.ops).toBeGreaterThan(20);
  });

  it("at every write, cut at its start and part-way: a good slot boots and the update commits", () => {
    for (let op = 0; op < whole.ops; op++) {
      for (const bytes of [0, 37]) {
        const run = update({ op, bytes });
        expect(run.w.ota()?.context.running, `cut at write ${op} after ${bytes} bytes`).toBe(
          "2.0.0",
        );
        expect(committedSlots(run.flash)).toContain("b");
      }
    }
  });

  it("always boots a good slot, never loses the committed one, resumes, and commits", () => {
    let resumes = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: whole.ops - 1 }),
        fc.integer({ min: 0, max: 600 }),
        (op, bytes) => {
          const run = update({ op, bytes });
          expect(run.w.ota()?.context.running).toBe("2.0.0");
          expect(committedSlots(run.flash)).toContain("b");
          if (run.resumed) resumes++;
        },
      ),
      { numRuns: 60 },
    );
    expect(resumes).toBeGreaterThan(0);
  });
});
