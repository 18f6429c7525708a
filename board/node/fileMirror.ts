/**
 * Keeps a simulated flash in a directory of real files, one per Storage file, so `npm start`
 * leaves its logs where a person can read them and a restarted simulation finds its flash as it
 * left it. File names are URI-encoded Storage names.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FlashMirror } from "./flashStorage.js";

export function directoryMirror(dir: string): FlashMirror {
  mkdirSync(dir, { recursive: true });
  return {
    load() {
      const files: Record<string, string> = {};
      for (const file of readdirSync(dir)) {
        files[decodeURIComponent(file)] = readFileSync(join(dir, file), "utf8");
      }
      return files;
    },
    save(name, data) {
      writeFileSync(join(dir, encodeURIComponent(name)), data);
    },
    remove(name) {
      rmSync(join(dir, encodeURIComponent(name)), { force: true });
    },
  };
}
