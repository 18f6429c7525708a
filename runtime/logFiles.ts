/**
 * Names and retention of rotated log files in flash, decided without reading any file.
 *
 * A trail (`log`, `audit`) is a series of files `<trail>.<seq>.<created>`, both numbers in base
 * 36: `seq` grows by one at each rotation and `created` is when the file was opened, in seconds
 * on the board's clock. Espruino's Storage cannot rename, so rotation opens the next file rather
 * than shifting names; the newest file is the one written to. A closed file's lines all predate
 * the opening of its successor, which is how retention by age needs no timestamps read back.
 * Names stay within Espruino's 28 characters for any trail name of up to 12.
 */

export interface LogFile {
  name: string;
  seq: number;
  createdMs: number;
}

export interface Retention {
  maxFiles: number;
  maxAgeMs: number;
}

export function logFileName(trail: string, seq: number, createdMs: number): string {
  return `${trail}.${seq.toString(36)}.${Math.floor(createdMs / 1000).toString(36)}`;
}

/** The files of `trail` among `names`, oldest first; names of other shapes are ignored. */
export function trailFiles(trail: string, names: readonly string[]): LogFile[] {
  const files: LogFile[] = [];
  const prefix = `${trail}.`;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (!name.startsWith(prefix)) continue;
    const parts = name.slice(prefix.length).split(".");
    if (parts.length !== 2) continue;
    const seq = parseInt(parts[0], 36);
    const created = parseInt(parts[1], 36);
    if (!(seq >= 0) || !(created >= 0)) continue;
    files.push({ name, seq, createdMs: created * 1000 });
  }
  return files.sort((a, b) => a.seq - b.seq);
}

/**
 * The closed files to erase so that at most `maxFiles` remain and none holds only lines older
 * than `maxAgeMs`; the newest file (being written) is never among them.
 */
export function expiredFiles(
  files: readonly LogFile[],
  retention: Retention,
  now: number,
): LogFile[] {
  const expired: LogFile[] = [];
  const excess = files.length - retention.maxFiles;
  for (let i = 0; i < files.length - 1; i++) {
    const allLinesBefore = files[i + 1].createdMs;
    if (i < excess || now - allLinesBefore > retention.maxAgeMs) expired.push(files[i]);
  }
  return expired;
}
