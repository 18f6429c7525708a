/**
 * The board's Storage on Espruino's `require("Storage")`. Files written at once are plain
 * Storage files; files appended to are StorageFiles (`open(name, "a")`), which Espruino keeps in
 * chunks, so a log grows line by line without ever being read back into RAM. The interpreter
 * throws when the flash is full ("Unable to find or create file", "Too much data for file
 * size"): here that is a `false`, as the `Storage` seam promises.
 */
import type { Storage } from "../types.js";
import { loadModule } from "./modules.js";

interface StorageFile {
  read(length: number): string | undefined;
  write(data: string): void;
  getLength(): number;
  erase(): void;
}

interface EspruinoStorage {
  read(name: string, offset?: number, length?: number): string | undefined;
  write(name: string, data: string, offset?: number, size?: number): boolean;
  compact(): void;
  erase(name: string): void;
  list(pattern?: RegExp, options?: { sf: boolean }): string[];
  getFree(): number;
  open(name: string, mode: "r" | "a"): StorageFile;
}

export function espruinoStorage(): Storage {
  const flash = loadModule<EspruinoStorage>("Storage");
  const appended = (name: string) => flash.open(name, "r");
  const attempt = (fn: () => unknown) => {
    try {
      fn();
      return true;
    } catch (_) {
      return false;
    }
  };
  return {
    read: (name) => {
      const plain = flash.read(name);
      if (plain !== undefined) return plain;
      const length = appended(name).getLength();
      return length > 0 ? appended(name).read(length) : undefined;
    },
    write: (name, data) => attempt(() => flash.write(name, data)),
    append: (name, data) => attempt(() => flash.open(name, "a").write(data)),
    erase: (name) => {
      flash.erase(name);
      appended(name).erase();
    },
    list: (prefix = "") =>
      flash
        .list(undefined, { sf: false })
        .concat(flash.list(undefined, { sf: true }))
        .filter((name) => name.startsWith(prefix)),
    size: (name) => {
      const plain = flash.read(name);
      return plain !== undefined ? plain.length : appended(name).getLength();
    },
    freeBytes: () => flash.getFree(),
    // 0xFF programs nothing: the file is made at its full size, every byte unwritten.
    create: (name, size) => attempt(() => flash.write(name, "\xff", 0, size)),
    writeAt: (name, data, offset) => {
      const size = flash.read(name)?.length ?? 0;
      if (offset < 0 || offset + data.length > size) return false;
      // Flash only clears bits: a written byte that would change would be garbled, not changed.
      const old = flash.read(name, offset, data.length) as string;
      for (let i = 0; i < data.length; i++) {
        const was = old.charCodeAt(i);
        if (was !== 0xff && was !== data.charCodeAt(i)) return false;
      }
      // A write at 0 makes the file anew (erasing it): only over a file still unwritten.
      if (offset === 0) {
        return (
          !/[^\xff]/.test(flash.read(name, data.length) as string) &&
          attempt(() => flash.write(name, data, 0, size))
        );
      }
      return attempt(() => flash.write(name, data, offset));
    },
    compact: () => flash.compact(),
  };
}
