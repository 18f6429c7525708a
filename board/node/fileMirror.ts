/**
 * Keeps a simulated flash in a directory of real files, one per Storage file, so `npm start`
 * leaves its logs where a person can read them and a restarted simulation finds its flash as it
 * left it. File names are URI-encoded Storage names.
 *
 * Whatever the directory holds, loading it never throws and never deletes or changes a byte of
 * it: each thing that is not a file the board wrote is said (through `log`) and skipped: a name
 * the board cannot have written (not a URI-encoded Storage name of 1 to 28 characters), a
 * subdirectory or anything else that is not a regular file, a file that cannot be read, a
 * temporary file left by an interrupted write. The directory itself being a file, or unlistable,
 * leaves an empty flash that refuses every write.
 *
 * Writes are atomic: the data goes to a temporary file that is then renamed over the old one,
 * so a crash leaves either the old file or the new one, never half of one. A write that fails
 * is a `false` (as Espruino's Storage refusing it is on the board), said once per file until it
 * succeeds again, and leaves the old file as it was. Files keep their mode bits as a person set
 * them: one without a write bit is refused, one without a read bit skipped, whoever runs the
 * simulation (root included). Keys (`*.key`) are written, and found at load, mode 0600.
 */
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { FlashMirror } from "../sim/flashStorage.js";
import { MAX_STORAGE_NAME } from "../types.js";

/** Ends a temporary file's name: `%` followed by no hex digits, which no encoded name holds. */
const TEMPORARY = "%tmp";
const KEY_MODE = 0o600;
const FILE_MODE = 0o644;

const isKey = (name: string) => name.endsWith(".key");

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** The Storage name a file of the directory holds, or null when the board cannot have written it. */
function storageName(file: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(file);
  } catch (_) {
    return null;
  }
  const valid = name.length >= 1 && name.length <= MAX_STORAGE_NAME;
  return valid && encodeURIComponent(name) === file ? name : null;
}

export function directoryMirror(
  dir: string,
  log: (line: string) => void = (line) => console.error(line),
): FlashMirror {
  /** No usable directory: every write refused. */
  let unusable = false;
  /** Files whose last write failed: said once, not at every attempt. */
  const failing: Record<string, boolean> = {};

  const fail = (name: string, why: string): false => {
    if (!failing[name]) log(`flash: cannot write ${name} (${why}): the write is refused`);
    failing[name] = true;
    return false;
  };

  return {
    load() {
      const files: Record<string, string> = {};
      let entries: string[];
      try {
        mkdirSync(dir, { recursive: true });
        entries = readdirSync(dir);
      } catch (error) {
        unusable = true;
        log(`flash: ${dir} is not a usable folder (${codeOf(error)}): empty, every write refused`);
        return files;
      }
      for (const file of entries.sort()) {
        const path = join(dir, file);
        if (file.endsWith(TEMPORARY)) {
          log(`flash: ${file} is left from an interrupted write: skipped, left as it is`);
          continue;
        }
        const name = storageName(file);
        if (name === null) {
          log(`flash: ${file} is not a file this board writes: skipped, left as it is`);
          continue;
        }
        try {
          const stat = statSync(path);
          if (stat.isDirectory()) {
            log(`flash: ${file} is a folder, not a file: skipped, left as it is`);
            continue;
          }
          if (!stat.isFile()) {
            log(`flash: ${file} is not a regular file: skipped, left as it is`);
            continue;
          }
          if ((stat.mode & 0o444) === 0) throw Object.assign(new Error(), { code: "EACCES" });
          files[name] = readFileSync(path, "utf8");
          if (isKey(name) && (stat.mode & 0o077) !== 0) {
            chmodSync(path, KEY_MODE);
            log(`flash: ${file} was readable by others: now mode 0600`);
          }
        } catch (error) {
          log(`flash: cannot read ${file} (${codeOf(error)}): skipped, left as it is`);
        }
      }
      return files;
    },
    save(name, data) {
      if (unusable) return fail(name, "no usable folder");
      const path = join(dir, encodeURIComponent(name));
      const temporary = path + TEMPORARY;
      try {
        let writable = true;
        try {
          writable = (statSync(path).mode & 0o200) !== 0;
        } catch (_) {
          // Absent: created below.
        }
        if (!writable) return fail(name, "read-only");
        writeFileSync(temporary, data, { mode: isKey(name) ? KEY_MODE : FILE_MODE });
        renameSync(temporary, path);
      } catch (error) {
        try {
          unlinkSync(temporary);
        } catch (_) {
          // Never created.
        }
        return fail(name, codeOf(error));
      }
      if (failing[name]) log(`flash: ${name} written again`);
      failing[name] = false;
      return true;
    },
    remove(name) {
      if (unusable) return false;
      try {
        rmSync(join(dir, encodeURIComponent(name)), { force: true });
        return true;
      } catch (error) {
        log(`flash: cannot erase ${name} (${codeOf(error)}): kept`);
        return false;
      }
    },
  };
}
