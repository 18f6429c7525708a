/**
 * Firmware slots and their markers: which slot the boot stub loads, how boot attempts are
 * counted, and how a running firmware commits its slot, with no Storage write ever erasing.
 *
 * Layout (in the board's Storage):
 * - `fw.a`, `fw.b`: the firmware, one plain file per slot.
 * - `fw.a.m`, `fw.b.m`: the slot's marker, created whole (`MARKER_BYTES` long) once the slot is
 *   written and checked, and afterwards only written byte by byte over unwritten (0xFF) bytes,
 *   which Espruino's Storage does without erasing (rewriting a file at offset 0 erases it first
 *   and is not power-safe). Bytes `0..HEADER_BYTES-1`: `<seq> <length> <crc>;` then 0xFF, where
 *   `seq` orders stagings (the newest is tried first) and `length`/`crc` (`E.CRC32`) describe the
 *   slot file. Bytes `HEADER_BYTES..+ATTEMPTS-1`: one per boot attempt, set by the stub before it
 *   loads an uncommitted slot. Byte `COMMIT_OFFSET`: set by the firmware once it runs well.
 *
 * A byte counts as written when it is not 0xFF, so a byte half-programmed by a power cut counts
 * too, and no write ever lands on it again (that would throw). A marker whose header does not
 * parse (cut while it was created) is no marker: its slot is not bootable.
 *
 * Choosing: among slots whose file matches its marker, newest `seq` first, the first committed
 * one, or uncommitted with attempts left (an attempt is recorded first). When every matching slot
 * used its attempts without a commit, the newest of them runs in safe mode; when no slot matches
 * its marker, nothing runs. Plain ES5 in effect: it runs in the boot stub on the device.
 */

/** The parts of Espruino's `require("Storage")` used here. */
export interface SlotStorage {
  read(name: string): string | undefined;
  write(name: string, data: string, offset?: number, size?: number): unknown;
}

export const SLOTS = ["a", "b"];
/**
 * What this stub understands: a release whose manifest asks for a newer stub (`minBoot`) is
 * refused by the OTA manager, since the stub that would load it is never rewritten.
 */
export const BOOT_STUB_VERSION = 1;
/** Boots of an uncommitted slot before it is given up. */
export const ATTEMPTS = 3;
export const HEADER_BYTES = 40;
export const COMMIT_OFFSET = HEADER_BYTES + ATTEMPTS;
export const MARKER_BYTES = COMMIT_OFFSET + 1;
/** What the stub sets as the global `BOOT`, and the firmware reads. */
export interface BootChoice {
  /** The slot file loaded (`fw.a`), or null when none is bootable. */
  file: string | null;
  slot: string | null;
  /** True when no slot is good: the firmware runs its safe-mode managers. */
  safe: boolean;
  /** The attempt this boot is (1..ATTEMPTS), 0 for a committed slot. */
  attempt: number;
}

export interface Marker {
  seq: number;
  length: number;
  crc: number;
  attempts: number;
  committed: boolean;
}

export function slotFile(slot: string): string {
  return `fw.${slot}`;
}

export function markerFile(slot: string): string {
  return `fw.${slot}.m`;
}

/** The header a new marker is created with (`write(markerFile, header, 0, MARKER_BYTES)`). */
export function markerHeader(seq: number, length: number, crc: number): string {
  return `${seq} ${length} ${crc};`;
}

function written(text: string, offset: number): boolean {
  return offset < text.length && text.charCodeAt(offset) !== 0xff;
}

export function readMarker(storage: SlotStorage, slot: string): Marker | null {
  const text = storage.read(markerFile(slot));
  if (!text || text.length !== MARKER_BYTES) return null;
  const end = text.indexOf(";");
  if (end < 0 || end >= HEADER_BYTES) return null;
  const fields = text.slice(0, end).split(" ");
  if (fields.length !== 3) return null;
  const seq = Number(fields[0]);
  const length = Number(fields[1]);
  const crc = Number(fields[2]);
  if (!(seq >= 0 && length > 0 && crc >= 0)) return null;
  let attempts = 0;
  while (attempts < ATTEMPTS && written(text, HEADER_BYTES + attempts)) attempts++;
  return { seq, length, crc, attempts, committed: written(text, COMMIT_OFFSET) };
}

/** True when the slot's file is what its marker says was written. */
function intact(storage: SlotStorage, slot: string, marker: Marker, crc32: (s: string) => number) {
  const code = storage.read(slotFile(slot));
  return !!code && code.length === marker.length && crc32(code) === marker.crc;
}

/** Slots with a marker, newest first. */
function staged(storage: SlotStorage): Array<{ slot: string; marker: Marker }> {
  const found: Array<{ slot: string; marker: Marker }> = [];
  for (let i = 0; i < SLOTS.length; i++) {
    const marker = readMarker(storage, SLOTS[i]);
    if (marker) found.push({ slot: SLOTS[i], marker });
  }
  return found.sort((x, y) => y.marker.seq - x.marker.seq);
}

/** The boot stub's decision; records the attempt it makes. */
export function chooseBoot(storage: SlotStorage, crc32: (s: string) => number): BootChoice {
  const candidates = staged(storage);
  let fallback: string | null = null;
  for (let i = 0; i < candidates.length; i++) {
    const slot = candidates[i].slot;
    const marker = candidates[i].marker;
    if (!intact(storage, slot, marker, crc32)) continue;
    if (marker.committed) return { file: slotFile(slot), slot, safe: false, attempt: 0 };
    if (marker.attempts < ATTEMPTS) {
      storage.write(markerFile(slot), "A", HEADER_BYTES + marker.attempts);
      return { file: slotFile(slot), slot, safe: false, attempt: marker.attempts + 1 };
    }
    if (fallback === null) fallback = slot;
  }
  return { file: fallback && slotFile(fallback), slot: fallback, safe: true, attempt: 0 };
}

/** Marks `slot` good for good (the firmware calls it once it runs well). True if now committed. */
export function commitSlot(storage: SlotStorage, slot: string): boolean {
  const marker = readMarker(storage, slot);
  if (!marker) return false;
  if (!marker.committed) storage.write(markerFile(slot), "C", COMMIT_OFFSET);
  return true;
}

/**
 * Uses up the slot's remaining attempts (over unwritten bytes only), so the next boot falls
 * back at once: for a firmware that is known bad (its health check failed), which retrying
 * would only run again. True if the slot has a marker.
 */
export function abandonSlot(storage: SlotStorage, slot: string): boolean {
  const marker = readMarker(storage, slot);
  if (!marker) return false;
  for (let i = marker.attempts; i < ATTEMPTS; i++)
    storage.write(markerFile(slot), "A", HEADER_BYTES + i);
  return true;
}

/** The `seq` a slot staged now gets: above every marker present. */
export function nextSeq(storage: SlotStorage): number {
  const candidates = staged(storage);
  return candidates.length > 0 ? candidates[0].marker.seq + 1 : 1;
}
