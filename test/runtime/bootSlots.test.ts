/**
 * The boot stub's choice (`runtime/bootSlots.ts`) on a Storage with Espruino's semantics: attempt
 * counting, commit, fallback to the other slot, safe mode, and a power cut at every single write
 * of a device's life (flash, boots, commit, staging a second slot), after which the next boot
 * never throws and never loads a slot that is not what its marker says.
 */
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  ATTEMPTS,
  chooseBoot,
  commitSlot,
  MARKER_BYTES,
  markerFile,
  markerHeader,
  nextSeq,
  readMarker,
  slotFile,
} from "../../runtime/bootSlots.js";
import { EspruinoFlash, PowerCut } from "../support/espruinoFlash.js";

const crc = (s: string) => crc32(Buffer.from(s, "latin1"));

/** Writes a slot then its marker, as the flasher and the OTA manager do. */
function stage(flash: EspruinoFlash, slot: string, code: string): void {
  const seq = nextSeq(flash);
  flash.write(slotFile(slot), code);
  flash.write(markerFile(slot), markerHeader(seq, code.length, crc(code)), 0, MARKER_BYTES);
}

const boot = (flash: EspruinoFlash) => chooseBoot(flash, crc);

describe("boot slots", () => {
  it("counts the attempts of an uncommitted slot, then runs it in safe mode", () => {
    const flash = new EspruinoFlash();
    stage(flash, "a", "firmware A");
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      expect(boot(flash)).toEqual({ file: "fw.a", slot: "a", safe: false, attempt });
      expect(readMarker(flash, "a")?.attempts).toBe(attempt);
    }
    expect(boot(flash)).toEqual({ file: "fw.a", slot: "a", safe: true, attempt: 0 });
    expect(boot(flash).safe).toBe(true);
  });

  it("loads a committed slot without counting, and commits once", () => {
    const flash = new EspruinoFlash();
    stage(flash, "a", "firmware A");
    expect(boot(flash).attempt).toBe(1);
    expect(commitSlot(flash, "a")).toBe(true);
    expect(commitSlot(flash, "a")).toBe(true);
    const before = flash.steps;
    for (let i = 0; i < 5; i++) {
      expect(boot(flash)).toEqual({ file: "fw.a", slot: "a", safe: false, attempt: 0 });
    }
    expect(flash.steps).toBe(before);
  });

  it("tries a newer slot first and falls back to the committed one after its attempts", () => {
    const flash = new EspruinoFlash();
    stage(flash, "a", "firmware A");
    boot(flash);
    commitSlot(flash, "a");
    stage(flash, "b", "firmware B");
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      expect(boot(flash)).toMatchObject({ slot: "b", attempt, safe: false });
    }
    expect(boot(flash)).toEqual({ file: "fw.a", slot: "a", safe: false, attempt: 0 });
  });

  it("keeps a newer slot once it commits", () => {
    const flash = new EspruinoFlash();
    stage(flash, "a", "firmware A");
    commitSlot(flash, "a");
    stage(flash, "b", "firmware B");
    expect(boot(flash).slot).toBe("b");
    commitSlot(flash, "b");
    expect(boot(flash)).toEqual({ file: "fw.b", slot: "b", safe: false, attempt: 0 });
    expect(nextSeq(flash)).toBe(3);
  });

  it("skips a slot whose file does not match its marker", () => {
    const flash = new EspruinoFlash();
    stage(flash, "a", "firmware A");
    commitSlot(flash, "a");
    stage(flash, "b", "firmware B");
    flash.write(slotFile("b"), "firmware C");
    expect(boot(flash).slot).toBe("a");
    flash.files.delete(slotFile("a"));
    expect(boot(flash)).toEqual({ file: null, slot: null, safe: true, attempt: 0 });
  });

  it("boots nothing on an empty Storage or a marker that does not parse", () => {
    const flash = new EspruinoFlash();
    expect(boot(flash)).toEqual({ file: null, slot: null, safe: true, attempt: 0 });
    flash.write(slotFile("a"), "firmware A");
    flash.write(markerFile("a"), "garbage", 0, MARKER_BYTES);
    expect(boot(flash).file).toBeNull();
    expect(commitSlot(flash, "a")).toBe(false);
  });

  /** A device's life: flashed, three boots, a commit, slot B staged, boots until B is given up. */
  function life(flash: EspruinoFlash): void {
    stage(flash, "a", "firmware A");
    boot(flash);
    boot(flash);
    commitSlot(flash, "a");
    stage(flash, "b", "firmware B");
    for (let i = 0; i <= ATTEMPTS; i++) boot(flash);
  }

  it("survives a power cut at every write", () => {
    const whole = new EspruinoFlash();
    life(whole);
    expect(boot(whole).slot).toBe("a");
    for (let cut = 0; cut < whole.steps; cut++) {
      const flash = new EspruinoFlash();
      flash.cutAfter(cut);
      expect(() => life(flash)).toThrow(PowerCut);
      flash.restore();
      for (let reboot = 0; reboot < ATTEMPTS + 2; reboot++) {
        const choice = boot(flash);
        if (choice.slot === null) continue;
        const marker = readMarker(flash, choice.slot);
        const code = flash.read(slotFile(choice.slot));
        expect(marker && code && crc(code) === marker.crc).toBeTruthy();
        expect(choice.attempt).toBeLessThanOrEqual(ATTEMPTS);
      }
      // Once slot A was committed, no cut later in its life leaves the device without it.
      if (readMarker(flash, "a")?.committed) expect(boot(flash).safe).toBe(false);
    }
  });
});
