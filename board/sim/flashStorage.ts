/**
 * Simulated flash: Espruino's Storage semantics (28-character names, refuse-when-full, no
 * rename, a refused write is a `false` and never an exception) over a map in memory, with a capacity and an optional mirror to real files so a
 * simulated device keeps its flash across restarts. Each file costs a header, as on the device,
 * so many small files fill it sooner than one big one. No Node API here: the mirror is passed in
 * (`board/node/fileMirror.ts`), which keeps this usable inside the interpreter's trace bundle.
 */
import { MAX_STORAGE_NAME, type Storage } from "../types.js";

/** Bytes of flash a file takes beyond its data (Espruino's file header, rounded). */
export const FILE_HEADER_BYTES = 32;

/** An erased flash byte, what `create` fills a file with. */
const UNWRITTEN = "\xff";

/** Where a simulated flash keeps its files between runs. */
export interface FlashMirror {
  load(): Record<string, string>;
  /** False when the file could not be written: the write is then refused, as on a board. */
  save(name: string, data: string): boolean;
  /** False when the file could not be erased: it is then kept. */
  remove(name: string): boolean;
}

export interface FlashOptions {
  capacityBytes?: number;
  mirror?: FlashMirror;
}

export class FlashStorage implements Storage {
  readonly capacityBytes: number;
  private files: Record<string, string> = {};
  private used = 0;
  private failures = 0;
  /** How many times `compact` was asked for. */
  compactions = 0;
  private readonly mirror: FlashMirror | undefined;

  constructor(options: FlashOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? 256 * 1024;
    this.mirror = options.mirror;
    if (this.mirror) {
      const loaded = this.mirror.load();
      const names = Object.keys(loaded);
      for (let i = 0; i < names.length; i++) this.put(names[i], loaded[names[i]]);
    }
  }

  read(name: string): string | undefined {
    // Not `Object.hasOwn`: Espruino lacks it. Inherited members are functions, never strings.
    const data = this.files[name];
    return typeof data === "string" ? data : undefined;
  }

  write(name: string, data: string): boolean {
    // Espruino throws on such a name; the board turns that into a refusal.
    if (name.length === 0 || name.length > MAX_STORAGE_NAME) return false;
    const old = this.read(name);
    const grows = data.length - (old === undefined ? -FILE_HEADER_BYTES : old.length);
    if (!this.fits(grows)) return false;
    // The mirror first: what it could not keep, the flash does not claim to hold.
    if (this.mirror && !this.mirror.save(name, data)) return false;
    this.put(name, data);
    return true;
  }

  append(name: string, data: string): boolean {
    const old = this.read(name);
    return this.write(name, old === undefined ? data : old + data);
  }

  erase(name: string): void {
    const old = this.read(name);
    if (old === undefined) return;
    if (this.mirror && !this.mirror.remove(name)) return;
    this.used -= old.length + FILE_HEADER_BYTES;
    delete this.files[name];
  }

  list(prefix = ""): string[] {
    return Object.keys(this.files).filter((name) => name.startsWith(prefix));
  }

  size(name: string): number {
    const data = this.read(name);
    return data === undefined ? 0 : data.length;
  }

  freeBytes(): number {
    return this.capacityBytes - this.used;
  }

  create(name: string, size: number): boolean {
    return this.write(name, UNWRITTEN.repeat(size));
  }

  writeAt(name: string, data: string, offset: number): boolean {
    const old = this.read(name);
    if (old === undefined || offset < 0 || offset + data.length > old.length) return false;
    // As on the device, where a write at 0 makes the file anew: only over an unwritten file.
    if (offset === 0 && /[^\xff]/.test(old.slice(data.length))) return false;
    for (let i = 0; i < data.length; i++) {
      const was = old.charCodeAt(offset + i);
      if (was !== 0xff && was !== data.charCodeAt(i)) return false;
    }
    return this.write(name, old.slice(0, offset) + data + old.slice(offset + data.length));
  }

  /** Erased files' space is free at once here, so there is nothing to reclaim. */
  compact(): void {
    this.compactions++;
  }

  /** The next `n` writes or appends fail as if the flash were full. */
  failNextWrites(n: number): void {
    this.failures = n;
  }

  private fits(grows: number): boolean {
    if (this.failures > 0) {
      this.failures--;
      return false;
    }
    return this.used + grows <= this.capacityBytes;
  }

  private put(name: string, data: string): void {
    const old = this.read(name);
    this.used += data.length - (old === undefined ? -FILE_HEADER_BYTES : old.length);
    this.files[name] = data;
  }
}
