/**
 * A release in flash, next to its slot (`runtime/bootSlots.ts`): `fw.X.j` the signed manifest as
 * the service sent it (written whole before anything else, re-verified on every boot), `fw.X`
 * the image made at its full size and written chunk by chunk at its offset, `fw.X.p` one byte
 * per chunk, set once the chunk is written. Every write after creation lands on unwritten bytes
 * (`Storage.writeAt`), so a power cut at any point loses at most the chunk being written: a
 * chunk is written again only when its mark is missing, with the same bytes, and a byte a cut
 * half-programmed makes the write refuse, which discards the release rather than boot it.
 *
 * Freeing a slot erases its marker first (a slot without a marker is never booted), then the rest.
 */
import type { Storage } from "../../board/types.js";
import { markerFile, SLOTS, type SlotStorage, slotFile } from "../../runtime/bootSlots.js";
import type { Manifest } from "../../runtime/otaManifest.js";

export const manifestFile = (slot: string) => `fw.${slot}.j`;
export const progressFile = (slot: string) => `fw.${slot}.p`;
/** Versions this device rolled back from, one a line: never taken again. */
export const ROLLED_BACK_FILE = "ota.rb";
const DONE = "D";

export function otherSlot(slot: string): string {
  return slot === SLOTS[0] ? SLOTS[1] : SLOTS[0];
}

/** The boot slots' view of the board's Storage: a write with a size creates, one with an offset programs. */
export function slotStorage(storage: Storage): SlotStorage {
  return {
    read: (name) => storage.read(name),
    write: (name, data, offset, size) =>
      size !== undefined
        ? storage.create(name, size) && storage.writeAt(name, data, 0)
        : storage.writeAt(name, data, offset ?? 0),
  };
}

export function chunks(m: Manifest): number {
  return Math.ceil(m.size / m.chunkSize);
}

/** Bytes of the image already in flash: the chunks marked done, in order. */
export function writtenBytes(storage: Storage, slot: string, m: Manifest): number {
  const marks = storage.read(progressFile(slot)) ?? "";
  let done = 0;
  while (done < marks.length && marks.charAt(done) === DONE) done++;
  return Math.min(done * m.chunkSize, m.size);
}

export function discard(storage: Storage, slot: string): void {
  storage.erase(markerFile(slot));
  storage.erase(slotFile(slot));
  storage.erase(progressFile(slot));
  storage.erase(manifestFile(slot));
}

/** Flash a release takes: image, marks, manifest and a header each. */
function needed(m: Manifest, signedLength: number): number {
  return m.size + chunks(m) + signedLength + 4 * 64;
}

/**
 * Makes room for the release in `slot`: frees the slot, checks the free flash and compacts it if
 * short (never later: compaction moves files and takes seconds), writes the manifest, creates
 * image and marks. Null, or why not (the slot is then left free).
 */
export function prepareRelease(
  storage: Storage,
  slot: string,
  m: Manifest,
  signed: string,
): string | null {
  discard(storage, slot);
  const need = needed(m, signed.length);
  if (storage.freeBytes() < need) storage.compact();
  const free = storage.freeBytes();
  if (free < need) return `not enough flash: ${need} bytes needed, ${free} free`;
  if (
    !storage.write(manifestFile(slot), signed) ||
    !storage.create(slotFile(slot), m.size) ||
    !storage.create(progressFile(slot), chunks(m))
  ) {
    discard(storage, slot);
    return "the flash refused the release's files";
  }
  return null;
}

/** Writes chunk `index` and then its mark. False when the flash refused either. */
export function writeChunk(
  storage: Storage,
  slot: string,
  index: number,
  data: string,
  m: Manifest,
) {
  return (
    storage.writeAt(slotFile(slot), data, index * m.chunkSize) &&
    storage.writeAt(progressFile(slot), DONE, index)
  );
}

export function rolledBackVersions(storage: Storage): string[] {
  const text = storage.read(ROLLED_BACK_FILE) ?? "";
  return text.split("\n").filter((line) => line !== "");
}
