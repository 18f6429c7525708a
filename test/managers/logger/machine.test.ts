import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import { FlashStorage } from "../../../board/sim/flashStorage.js";
import type { SinkNotice } from "../../../managers/logger/effects.js";
import type { AuditRecord } from "../../../managers/logger/machine.js";
import type { LogEntry } from "../../../runtime/log.js";
import { trailFiles } from "../../../runtime/logFiles.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

function start(options: Parameters<typeof startDevice>[0] = {}) {
  const notices: SinkNotice[] = [];
  const d = startDevice({
    observeLog: (n) => notices.push(n),
    // Keep the radio off the air: these tests write every line themselves.
    network: { ssid: "elsewhere" },
    ...options,
  });
  d.actor.start();
  const logger = () => d.child("logger") as AnyActorRef;
  const log = (entry: LogEntry, manager = "test") => logger().send({ type: "LOG", manager, entry });
  const audit = (record: AuditRecord) => logger().send({ type: "AUDIT", record });
  /** The lines in flash of one trail, oldest file first, parsed. */
  const stored = (trail: "log" | "audit") =>
    trailFiles(trail, d.board.storage.list(`${trail}.`)).flatMap((f) =>
      d.board.storage
        .read(f.name)!
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  return { ...d, notices, logger, log, audit, stored };
}

describe("logger: lines", () => {
  it("writes JSON lines with the board's time, the device's identity and the fields", () => {
    const d = start({ identity: { tenant: "acme", ns: "plant-3" } });
    d.clock.advance(1234);
    d.log({ level: "warn", msg: "pump pressure high", fields: { bar: 7.5, pump: { id: 3 } } });
    const line = d.stored("log").at(-1)!;
    expect(line).toEqual({
      ts: 1234,
      level: "warn",
      msg: "pump pressure high",
      manager: "test",
      device: "sim-0001",
      tenant: "acme",
      ns: "plant-3",
      bar: 7.5,
      pump: { id: 3 },
    });
    expect(Object.keys(line).slice(0, 7)).toEqual([
      "ts",
      "level",
      "msg",
      "manager",
      "device",
      "tenant",
      "ns",
    ]);
  });

  it("filters by level, and takes a new level at run time", () => {
    const d = start();
    d.log({ level: "debug", msg: "quiet" });
    d.log({ level: "info", msg: "heard" });
    d.logger().send({ type: "SET_LEVEL", level: "debug" });
    d.log({ level: "debug", msg: "now heard" });
    d.logger().send({ type: "SET_LEVEL", level: "error" });
    d.log({ level: "warn", msg: "quiet again" });
    d.logger().send({ type: "SET_LEVEL", level: "loud" });
    expect(d.logger().getSnapshot().context.lastError).toBe(
      "level: must be one of debug, info, warn, error",
    );
    expect(d.logger().getSnapshot().context.level).toBe("error");
    const msgs = d
      .stored("log")
      .filter((l) => l.manager === "test")
      .map((l) => l.msg);
    expect(msgs).toEqual(["heard", "now heard"]);
  });

  it("refuses invalid settings, naming the field, and keeps the previous ones", () => {
    const d = start();
    const before = d.logger().getSnapshot().context.settings;
    d.logger().send({ type: "CONFIGURE", settings: { log: { maxFiles: 0 } } });
    expect(d.logger().getSnapshot().context.lastError).toBe(
      "settings refused: log/maxFiles: must be >= 1",
    );
    expect(d.logger().getSnapshot().context.settings).toEqual(before);
  });

  it("keeps the audit trail apart, rotated on its own, whatever the level", () => {
    const d = start({
      logger: { level: "error", audit: { maxFileBytes: 300, maxFiles: 3, maxAgeMs: DAY } },
    });
    for (let i = 0; i < 20; i++) d.audit({ who: "op-1", what: `set-level ${i}`, result: "ok" });
    const auditFiles = trailFiles("audit", d.board.storage.list("audit."));
    expect(auditFiles.length).toBe(3);
    for (const f of auditFiles) expect(d.board.storage.size(f.name)).toBeLessThanOrEqual(300);
    const lines = d.stored("audit");
    expect(lines.at(-1)).toMatchObject({
      manager: "audit",
      msg: "set-level 19",
      who: "op-1",
      result: "ok",
    });
    expect(d.stored("log").some((l) => String(l.msg).startsWith("set-level"))).toBe(false);
  });

  it("cuts a line longer than a file down to its start, and says so", () => {
    const d = start({ logger: { log: { maxFileBytes: 300, maxFiles: 4, maxAgeMs: DAY } } });
    d.log({ level: "info", msg: "x".repeat(1000) });
    const line = d.stored("log").at(-1)!;
    expect(line.msg).toBe("x".repeat(75));
    expect(line.truncatedFrom).toBeGreaterThan(1000);
  });
});

describe("logger: rotation and a full flash", () => {
  it("writes 10,000 lines: never more than N files, none over the size, in order, none lost uncounted", () => {
    const maxFiles = 5;
    const maxFileBytes = 600;
    const storage = new FlashStorage({ capacityBytes: 2400 });
    const d = start({
      storage,
      logger: {
        log: { maxFileBytes, maxFiles, maxAgeMs: DAY },
        audit: { maxFileBytes: 300, maxFiles: 2, maxAgeMs: DAY },
      },
    });
    for (let seq = 0; seq < 10_000; seq++) {
      d.log({ level: "info", msg: "reading", fields: { seq } });
      if (seq % 1000 === 0) d.audit({ who: "op", what: "poke", result: "ok" });
      if (seq % 97 === 0) {
        const files = trailFiles("log", storage.list("log."));
        expect(files.length).toBeLessThanOrEqual(maxFiles);
        for (const f of files) expect(storage.size(f.name)).toBeLessThanOrEqual(maxFileBytes);
      }
    }
    const sum = (kind: SinkNotice["kind"], fromFile?: boolean) =>
      d.notices.reduce(
        (n, x) =>
          x.kind === kind &&
          x.trail === "log" &&
          (fromFile === undefined || ("file" in x && x.file !== undefined) === fromFile)
            ? n + (x.kind === "written" ? 1 : x.lines)
            : n,
        0,
      );
    const present = d.stored("log");
    // The flash filled long before five files: lines were lost, and every one of them counted.
    expect(sum("dropped", true)).toBeGreaterThan(0);
    expect(present.length).toBe(sum("written") - sum("expired") - sum("dropped", true));
    const seqs = present.filter((l) => l.manager === "test").map((l) => l.seq as number);
    expect(seqs.at(-1)).toBe(9999);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    expect(d.logger().getSnapshot().context.dropped).toBe(
      d.notices.reduce((n, x) => n + (x.kind === "dropped" ? x.lines : 0), 0),
    );
    // The audit trail survived the ordinary logs filling the flash.
    expect(d.stored("audit").length).toBeGreaterThan(0);
  });

  it("raises lines lost to a full flash as an alarm, routed to the alarm manager", () => {
    const d = start({
      storage: new FlashStorage({ capacityBytes: 1200 }),
      logger: { log: { maxFileBytes: 300, maxFiles: 10, maxAgeMs: DAY } },
    });
    for (let i = 0; i < 100; i++) d.log({ level: "info", msg: `line ${i}` });
    const reports = d
      .reports("ALARM")
      .map((r) => r.alarm as { type: string; severity: string; details: Record<string, number> })
      .filter((a) => a.type === "log-lines-dropped");
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.at(-1)).toMatchObject({
      severity: "warning",
      details: { trail: "log", total: d.logger().getSnapshot().context.dropped },
    });
    expect(reports.reduce((n, r) => n + r.details.count, 0)).toBe(
      d.logger().getSnapshot().context.dropped,
    );
  });

  it("erases closed files whose lines are all older than the retention age", () => {
    // Only these lines reach the flash: the network's warnings about its missing AP stay out.
    const d = start({
      logger: { level: "error", log: { maxFileBytes: 400, maxFiles: 20, maxAgeMs: DAY } },
      // Off the air for two days, the watchdog would log its escalations as errors.
      specs: (_board, table) => table.filter((spec) => spec.id !== "watchdog"),
    });
    for (let i = 0; i < 20; i++) d.log({ level: "error", msg: `old ${i}` });
    const before = trailFiles("log", d.board.storage.list("log."));
    expect(before.length).toBeGreaterThan(2);
    d.clock.advance(2 * DAY);
    expect(trailFiles("log", d.board.storage.list("log."))).toEqual(before);
    for (let i = 0; i < 5; i++) d.log({ level: "error", msg: `new ${i}` });
    // Every file closed before the two days held only lines over a day old: gone. The one being
    // written then is kept, with the new lines in it or after it.
    const after = trailFiles("log", d.board.storage.list("log."));
    expect(after[0]).toEqual(before.at(-1));
    const msgs = d.stored("log").map((l) => String(l.msg));
    expect(msgs.filter((m) => m.startsWith("new"))).toHaveLength(5);
    expect(msgs.filter((m) => m.startsWith("old")).length).toBe(
      d.board.storage
        .read(before.at(-1)!.name)!
        .split("\n")
        .filter((l) => l.includes('"old ')).length,
    );
  });

  it("continues the newest file after a reboot on the same flash", () => {
    const storage = new FlashStorage();
    const first = start({ storage });
    first.log({ level: "info", msg: "before reboot" });
    first.actor.stop();
    const filesBefore = trailFiles("log", storage.list("log."));
    const second = start({ storage });
    second.log({ level: "info", msg: "after reboot" });
    expect(trailFiles("log", storage.list("log."))).toEqual(filesBefore);
    const msgs = second.stored("log").map((l) => l.msg);
    expect(msgs.indexOf("before reboot")).toBeLessThan(msgs.indexOf("after reboot"));
  });
});

describe("logger: masking", () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{16}$/).map((s) => `S3CR3T-${s}`);
  const maskedName = fc.constantFrom(
    "password",
    "apiKey",
    "token",
    "Authorization",
    "client_secret",
    "x-api-key",
    "refreshToken",
  );
  const plainName = fc.constantFrom("pump", "reading", "site", "count", "label", "nested");

  /** A random value holding secrets only where masking must catch them. */
  const holder = (secrets: string[]) =>
    fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.integer(),
        fc.constantFrom("ok", "idle", "3.3V"),
        fc
          .record({ name: maskedName, value: fc.constantFrom(...secrets) })
          .map(({ name, value }) => ({ [name]: value })),
        fc
          .record({ name: maskedName, value: fc.constantFrom(...secrets) })
          .map(({ name, value }) => ({ [name]: { inner: [value] } })),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(plainName, tie("node"), { maxKeys: 3 }),
      ),
    })).node;

  const message = (secrets: string[]) =>
    fc
      .tuple(fc.constantFrom(...secrets), fc.constantFrom("jwt", "bearer", "pair"))
      .map(([s, shape]) =>
        shape === "jwt"
          ? `token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIke30.${s.replace("-", "_")} refused`
          : shape === "bearer"
            ? `sent Authorization: Bearer ${s} to the server`
            : `login with password=${s} failed`,
      );

  it("never puts a secret's value into any byte written to flash", () => {
    fc.assert(
      fc.property(
        fc
          .array(secret, { minLength: 1, maxLength: 4 })
          .chain((secrets) =>
            fc.tuple(
              fc.constant(secrets),
              fc.array(fc.tuple(holder(secrets), message(secrets)), { minLength: 1, maxLength: 5 }),
            ),
          ),
        ([secrets, entries]) => {
          const d = start();
          for (const [fields, msg] of entries) {
            d.log({ level: "error", msg, fields: { data: fields } });
            d.audit({ who: "op", what: msg, result: "ok", fields: { data: fields } });
          }
          const bytes = d.board.storage
            .list()
            .map((name) => d.board.storage.read(name))
            .join("\n");
          expect(bytes.length).toBeGreaterThan(0);
          for (const s of secrets) {
            expect(bytes).not.toContain(s);
            expect(bytes).not.toContain(s.replace("-", "_"));
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
