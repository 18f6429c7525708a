import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { directoryMirror } from "../../../board/node/fileMirror.js";
import { FlashStorage } from "../../../board/sim/flashStorage.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const STORED_ALARM = {
  key: "0badf00d-3",
  type: "sensor-hot",
  severity: "warning",
  source: "probe",
  details: null,
  count: 1,
  firstSeen: 1,
  lastSeen: 1,
  acknowledged: false,
};

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) {
    // Undo what made files unreadable, so that the folder can go.
    for (const f of readdirSync(dir)) {
      if (!lstatSync(join(dir, f)).isSymbolicLink()) chmodSync(join(dir, f), 0o755);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "sim-flash-"));
  folders.push(dir);
  return dir;
}

/** Every regular file of `dir` with its bytes. */
function snapshot(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    const stat = lstatSync(path);
    if (stat.isFile() && (stat.mode & 0o444) !== 0) out[f] = readFileSync(path);
  }
  return out;
}

/** A device booted on the simulated flash kept in `dir`; what the flash said, line by line. */
function bootOn(dir: string) {
  const said: string[] = [];
  const storage = new FlashStorage({ mirror: directoryMirror(dir, (line) => said.push(line)) });
  const d = startDevice({ storage });
  d.actor.start();
  d.clock.advance(2 * MINUTE);
  const controller = d.actor.getSnapshot().context as { restartsTotal: Record<string, number> };
  return { d, said, storage, restarts: controller.restartsTotal };
}

describe("booting on damaged or odd flash (Node board)", () => {
  it("boots on a folder with stray names, a subfolder, unreadable and read-only files and a corrupt last known good, says each, keeps every readable byte", () => {
    const dir = folder();
    writeFileSync(join(dir, "notes about this device.txt"), "written by a person");
    writeFileSync(join(dir, "%zz"), "not URI-encoded");
    writeFileSync(join(dir, "x".repeat(40)), "too long a name for Storage");
    mkdirSync(join(dir, "backup"));
    writeFileSync(join(dir, "backup", "alarms.json"), "{}");
    writeFileSync(join(dir, "log.0.abc%tmp"), "half a write");
    writeFileSync(join(dir, "secret.bin"), "nobody may read this");
    chmodSync(join(dir, "secret.bin"), 0o000);
    symlinkSync("loop.json", join(dir, "loop.json"));
    writeFileSync(join(dir, "alarms.json"), JSON.stringify({ next: 4, alarms: [STORED_ALARM] }));
    chmodSync(join(dir, "alarms.json"), 0o444);
    writeFileSync(join(dir, "config.lkg"), '{"version": 3, "etag": "e3", "config": {');
    writeFileSync(join(dir, "api.key"), "sim-api-key-0001", { mode: 0o644 });
    chmodSync(join(dir, "api.key"), 0o644);
    const before = snapshot(dir);

    const { d, said, restarts } = bootOn(dir);

    // It says what it found, file by file.
    const about = (file: string) => said.filter((line) => line.includes(file));
    expect(about("notes about this device.txt")).toEqual([
      "flash: notes about this device.txt is not a file this board writes: skipped, left as it is",
    ]);
    expect(about("%zz")[0]).toMatch(/not a file this board writes/);
    expect(about("x".repeat(40))[0]).toMatch(/not a file this board writes/);
    expect(about("backup")).toEqual([
      "flash: backup is a folder, not a file: skipped, left as it is",
    ]);
    expect(about("log.0.abc%tmp")[0]).toMatch(/left from an interrupted write/);
    expect(about("secret.bin")).toEqual([
      "flash: cannot read secret.bin (EACCES): skipped, left as it is",
    ]);
    expect(about("loop.json")).toEqual([
      "flash: cannot read loop.json (ELOOP): skipped, left as it is",
    ]);
    expect(about("alarms.json")).toEqual([
      "flash: cannot write alarms.json (read-only): the write is refused",
    ]);
    expect(about("api.key")).toEqual(["flash: api.key was readable by others: now mode 0600"]);

    // It booted and stayed up: no manager restarted, no reset, all of them running.
    expect(d.board.resets).toEqual([]);
    expect(Object.values(restarts).every((n) => n === 0)).toBe(true);
    expect(d.readiness().ready).toBe(true);

    // The read-only alarm buffer: alarms held in RAM, delivered, and one says the flash failed.
    const delivered = d.services.alarms.alarms(SIMULATED_DEVICE.deviceId).map((a) => a.type);
    expect(delivered).toEqual(
      expect.arrayContaining(["sensor-hot", "flash-failing", "config-lost"]),
    );
    expect(d.logsOf("alarms")).toContainEqual({
      level: "warn",
      msg: expect.stringMatching(/^flash refused the alarm buffer/),
    });
    // The corrupt last known good: kept aside whole, said at error, raised.
    expect(d.logsOf("config")[0]).toEqual({
      level: "error",
      msg: "config.lkg is not JSON: kept aside as config.bad, on the defaults",
    });
    expect(readFileSync(join(dir, "config.bad"))).toEqual(before["config.lkg"]);

    // Every readable byte is still there: nothing it did not write changed, and writes were
    // whole files put in place by rename (no temporary file left but the one it found).
    const after = snapshot(dir);
    for (const file of Object.keys(before)) {
      expect(after[file], file).toEqual(before[file]);
    }
    expect(readFileSync(join(dir, "backup", "alarms.json"), "utf8")).toBe("{}");
    expect(readdirSync(dir).filter((f) => f.endsWith("%tmp"))).toEqual(["log.0.abc%tmp"]);
    // Keys at rest: only the owner may read them, found so or written so.
    expect(statSync(join(dir, "api.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "device.key")).mode & 0o777).toBe(0o600);
    d.actor.stop();
  });

  it("boots when the flash folder is a file: says so, every write refused with false, the file untouched", () => {
    const parent = folder();
    const dir = join(parent, "sim-flash");
    writeFileSync(dir, "this was meant to be a folder");
    const { d, said, storage, restarts } = bootOn(dir);
    // mkdir says EEXIST for a file in the way.
    expect(said[0]).toBe(
      `flash: ${dir} is not a usable folder (EEXIST): empty, every write refused`,
    );
    expect(storage.write("probe.txt", "x")).toBe(false);
    expect(storage.read("probe.txt")).toBeUndefined();
    expect(d.board.resets).toEqual([]);
    expect(Object.values(restarts).every((n) => n === 0)).toBe(true);
    expect(d.child("logger")?.getSnapshot().value).toBe("failing");
    // The log lines the flash refused were raised as an alarm, which stays in RAM, and another
    // says why; an alarm raised now stays in RAM beside them.
    d.actor.send({
      type: "ALARM",
      alarm: { type: "sensor-hot", severity: "warning", source: "probe", details: null },
    } as never);
    d.clock.advance(SECOND);
    const alarms = d.child("alarms")?.getSnapshot().context;
    expect(alarms.persistFailing).toBe(true);
    expect(alarms.buffer.map((a: { type: string }) => a.type)).toEqual([
      "log-lines-dropped",
      "flash-failing",
      "sensor-hot",
    ]);
    expect(readFileSync(dir, "utf8")).toBe("this was meant to be a folder");
    d.actor.stop();
  });

  it("writes by temporary file and rename: a write that fails leaves the old file whole", () => {
    const dir = folder();
    const storage = new FlashStorage({ mirror: directoryMirror(dir, () => {}) });
    expect(storage.write("state.json", "version 1")).toBe(true);
    // A folder where the temporary file would go: the write fails before the old file is touched.
    mkdirSync(join(dir, "state.json%tmp"));
    expect(storage.write("state.json", "version 2")).toBe(false);
    expect(storage.read("state.json")).toBe("version 1");
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe("version 1");
    rmSync(join(dir, "state.json%tmp"), { recursive: true });
    expect(storage.write("state.json", "version 2")).toBe(true);
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe("version 2");
    expect(existsSync(join(dir, "state.json%tmp"))).toBe(false);
    // A name Storage refuses is a false too, never an exception.
    expect(storage.write("n".repeat(29), "x")).toBe(false);
    expect(storage.write("", "x")).toBe(false);
  });
});
