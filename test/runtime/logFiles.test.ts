import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_STORAGE_NAME } from "../../board/types.js";
import { expiredFiles, logFileName, trailFiles } from "../../runtime/logFiles.js";

const DAY = 86_400_000;

describe("log file names", () => {
  it("fit Espruino's 28 characters and read back as written, whatever the numbers", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("log", "audit"),
        fc.nat(2 ** 31 - 1),
        fc.nat(4_102_444_800_000),
        (trail, seq, created) => {
          const name = logFileName(trail, seq, created);
          expect(name.length).toBeLessThanOrEqual(MAX_STORAGE_NAME);
          expect(trailFiles(trail, [name])).toEqual([
            { name, seq, createdMs: Math.floor(created / 1000) * 1000 },
          ]);
        },
      ),
    );
  });

  it("lists a trail's files oldest first and ignores other names", () => {
    const names = [
      "log.a.0",
      "log.2.5",
      "audit.0.1",
      "logger.json",
      "log.x",
      "log.10.7",
      "wifi.json",
    ];
    expect(trailFiles("log", names).map((f) => f.seq)).toEqual([2, 10, 36]);
  });
});

describe("retention", () => {
  const files = [0, 1, 2, 3, 4].map((seq) => ({ name: `log.${seq}`, seq, createdMs: seq * DAY }));

  it("keeps at most maxFiles, erasing the oldest", () => {
    expect(
      expiredFiles(files, { maxFiles: 3, maxAgeMs: 100 * DAY }, 5 * DAY).map((f) => f.seq),
    ).toEqual([0, 1]);
  });

  it("erases a closed file once its successor opened more than maxAge ago, never the newest", () => {
    expect(
      expiredFiles(files, { maxFiles: 10, maxAgeMs: 1.5 * DAY }, 4 * DAY).map((f) => f.seq),
    ).toEqual([0, 1]);
    expect(expiredFiles(files, { maxFiles: 10, maxAgeMs: 1 }, 100 * DAY).map((f) => f.seq)).toEqual(
      [0, 1, 2, 3],
    );
  });
});
