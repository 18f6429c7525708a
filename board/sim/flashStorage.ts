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
