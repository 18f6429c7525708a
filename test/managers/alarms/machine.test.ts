import { describe, expect, it } from "vitest";
import { type AnyActorRef, sendParent, setup } from "xstate";
import { FlashStorage } from "../../../board/sim/flashStorage.js";
import type { SimulatedBoard } from "../../../board/sim/simulatedBoard.js";
import {
  ALARMS_BAD_FILE,
  ALARMS_FILE,
  alarmEffects,
  readStoredAlarms,
} from "../../../managers/alarms/effects.js";
import { DROPPED_TYPE } from "../../../managers/alarms/ledger.js";
import {
  ALARM_DEFAULTS,
  type AlarmContext,
  type AlarmSettings,
  createAlarmMachine,
  mergeAlarmSettings,
  REPEAT_FLUSH_MS,
} from "../../../managers/alarms/machine.js";
import type { ManagerSpec } from "../../../managers/controller/spec.js";
import {
  type AlarmSeverity,
  alarmEvent,
  type PingEvent,
  pongFor,
} from "../../../managers/supervision.js";
import { seededRandom } from "../../../runtime/random.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { ALARM_ORIGIN, NTP_EPOCH_MS } from "../../../simulations/services/index.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { deviceId, tenant, ns } = SIMULATED_DEVICE;

type Device = ReturnType<typeof startDevice>;

/** The alarm manager's table entry with start-up settings. */
const withSettings =
  (settings: Partial<AlarmSettings>, extra: ManagerSpec[] = []) =>
  (_board: unknown, table: ManagerSpec[]): ManagerSpec[] =>
    table
      .map((spec) =>
        spec.id === "alarms" ? { ...spec, input: { ...(spec.input as object), settings } } : spec,
      )
      .concat(extra);

const alarmsOf = (d: Device) =>
  (d.child("alarms") as AnyActorRef).getSnapshot() as { value: unknown; context: AlarmContext };

const raise = (
  d: Device,
  type: string,
  severity: AlarmSeverity = "warning",
  source = "sensors",
  details?: unknown,
) => d.actor.send(alarmEvent(type, severity, source, details));

const received = (d: Device) => d.services.alarms.alarms(deviceId);
const stored = (d: Device) => JSON.parse(d.board.storage.read(ALARMS_FILE) ?? "null");

describe("AlarmManager: deduplication and delivery", () => {
  it("stamps alarms with the wall clock that time sync corrected", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(30 * SECOND);
    expect(d.child("timesync")!.getSnapshot().context.synced).toBe(true);
    raise(d, "overheat", "error", "sensors", { celsius: 81 });
    d.clock.advance(SECOND);
    // The simulated NTP server reads 2026-01-01T00:00:00Z at virtual time 0.
    expect(received(d)).toEqual([
      expect.objectContaining({
        firstSeen: NTP_EPOCH_MS + 30 * SECOND,
        lastSeen: NTP_EPOCH_MS + 30 * SECOND,
      }),
    ]);
  });

  it("delivers the first report at once and counts the repeats of its window on one more", () => {
    // No time server: the wall clock is the board's, so the windows read in virtual time.
    const d = startDevice({ timesync: { servers: [{ host: "ntp.invalid", port: 123 }] } });
    d.actor.start();
    d.clock.advance(3 * SECOND);
    raise(d, "overheat", "error", "sensors", { celsius: 81 });
    d.clock.advance(SECOND);
    expect(received(d)).toEqual([
      expect.objectContaining({ type: "overheat", count: 1, firstSeen: 3_000, tenant, ns }),
    ]);
    for (let i = 0; i < 4; i++) {
      raise(d, "overheat", "error", "sensors", { celsius: 82 + i });
      d.clock.advance(10 * SECOND);
    }
    // Within the window of the first report: counted, held back until the window ends.
    expect(received(d)).toHaveLength(1);
    expect(alarmsOf(d).context.buffer).toEqual([
      expect.objectContaining({ count: 4, firstSeen: 4_000, lastSeen: 34_000, sealed: false }),
    ]);
    d.clock.advance(30 * SECOND);
    expect(received(d).map((a) => [a.count, a.firstSeen, a.lastSeen, a.details])).toEqual([
      [1, 3_000, 3_000, { celsius: 81 }],
      [4, 4_000, 34_000, { celsius: 85 }],
    ]);
    // After the window, the next report opens a new one and goes at once.
    d.clock.advance(MINUTE);
    raise(d, "overheat", "error");
    d.clock.advance(SECOND);
    expect(received(d)).toHaveLength(3);
    expect(alarmsOf(d).context.counters).toEqual({
      raised: 6,
      deduplicated: 3,
      delivered: 3,
      dropped: 0,
      pending: 0,
    });
    expect(stored(d)).toEqual({ next: 3, alarms: [] });
  });

  it("keeps the same idempotency keys across retries until the server acknowledges them", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(3 * SECOND);
    d.services.alarms.faults.failNext(3, 503);
    raise(d, "a", "error");
    raise(d, "b", "warning");
    d.clock.advance(500);
    expect(alarmsOf(d).context.lastError).toBe("injected fault (HTTP 503)");
    d.clock.advance(MINUTE);
    expect(d.services.alarms.faults.injected.failed).toBe(3);
    const keys = received(d).map((a) => a.key);
    expect(keys).toEqual([expect.stringMatching(/-0$/), expect.stringMatching(/-1$/)]);
    expect(alarmsOf(d).context).toMatchObject({ lastError: null, retry: 0, buffer: [] });
    expect(d.logsOf("alarms")).toContainEqual({
      level: "warn",
      msg: expect.stringMatching(
        /^alarm delivery failed: injected fault \(HTTP 503\); 2 pending, retrying in \d+ ms$/,
      ),
    });
  });

  it("answers a 401 with one TOKEN_REJECTED and delivers with the new token", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(3 * SECOND);
    d.services.alarms.faults.failNext(1, 401);
    raise(d, "a", "error");
    d.clock.advance(5 * SECOND);
    expect(d.reports("TOKEN_REJECTED")).toHaveLength(1);
    expect(received(d)).toHaveLength(1);
    expect(alarmsOf(d).context.rejectedToken).not.toBe(alarmsOf(d).context.token);
  });

  it("sends nothing without a token, and everything once it has one", () => {
    const d = startDevice();
    d.services.discovery.faults.failNext(1_000, 503);
    d.actor.start();
    raise(d, "early", "error");
    d.clock.advance(20 * SECOND);
    expect(alarmsOf(d).context.token).toBeNull();
    expect(received(d)).toEqual([]);
    d.services.discovery.faults.reset();
    d.clock.advance(2 * MINUTE);
    expect(received(d).map((a) => a.type)).toEqual(["early"]);
  });

  it("marks alarms an operator acknowledges, keeps them in flash and still delivers them", () => {
    const d = startDevice();
    d.services.alarms.faults.failNext(1_000, 503);
    d.actor.start();
    d.clock.advance(3 * SECOND);
    raise(d, "a", "error");
    raise(d, "b", "warning");
    d.clock.advance(SECOND);
    const [a] = alarmsOf(d).context.buffer;
    d.child("alarms")!.send({ type: "ACKNOWLEDGE", keys: [a.key, "no-such-key"] });
    expect(alarmsOf(d).context.buffer.map((e) => e.acknowledged)).toEqual([true, false]);
    expect(stored(d).alarms.map((e: { acknowledged: boolean }) => e.acknowledged)).toEqual([
      true,
      false,
    ]);
    expect(d.logsOf("alarms")).toContainEqual({
      level: "info",
      msg: "acknowledged 1 alarm(s); not buffered: no-such-key",
    });
    d.services.alarms.faults.reset();
    d.clock.advance(2 * MINUTE);
    expect(received(d).map((e) => e.type)).toEqual(["a", "b"]);
  });

  it("takes its settings from the configuration's alarms section", () => {
    const d = startDevice();
    d.services.config.setDocument(tenant, ns, deviceId, {
      alarms: { batchSize: 2, maxBuffered: 8 },
    });
    d.actor.start();
    d.clock.advance(5 * SECOND);
    expect(alarmsOf(d).context.settings).toEqual({
      ...ALARM_DEFAULTS,
      batchSize: 2,
      maxBuffered: 8,
    });
  });
});

describe("AlarmManager: a flood while the server flaps", () => {
  it("delivers 10,000 reports of 5 kinds over an hour, each alarm once, every report counted", () => {
    const d = startDevice({ seed: 3 });
    let writes = 0;
    const write = d.board.storage.write.bind(d.board.storage);
    d.board.storage.write = (name, data) => {
      if (name === ALARMS_FILE) writes++;
      return write(name, data);
    };
    d.actor.start();
    d.clock.advance(3 * SECOND);
    const kinds: Array<[string, AlarmSeverity, string]> = [
      ["overheat", "error", "sensors"],
      ["sensor-stuck", "warning", "sensors"],
      ["low-battery", "info", "power"],
      ["door-open", "critical", "io"],
      ["overheat", "error", "cpu"],
    ];
    const sent = [0, 0, 0, 0, 0];
    const random = seededRandom(11);
    const server = d.services.alarms;
    const step = 360; // ms between reports: 10,000 in an hour
    const injected = { failed: 0, hung: 0, malformed: 0 };
    const weatherChanges = () => {
      injected.failed += server.faults.injected.failed;
      injected.hung += server.faults.injected.hung;
      injected.malformed += server.faults.injected.malformed;
      server.faults.reset();
    };
    for (let i = 0; i < 10_000; i++) {
      const minute = Math.floor((i * step) / MINUTE);
      if ((i * step) % MINUTE < step) {
        // Every minute a new weather: healthy, down, losing answers, garbling them, hanging.
        weatherChanges();
        const weather = minute % 6;
        if (weather === 1) server.faults.failNext(1_000, 503);
        if (weather === 3) server.loseNext(2);
        if (weather === 4) server.faults.malformNext(2);
        if (weather === 5) server.faults.hangNext(1);
      }
      const k = Math.floor(random() * kinds.length);
      sent[k]++;
      raise(d, kinds[k][0], kinds[k][1], kinds[k][2], { n: i });
      d.clock.advance(step);
    }
    weatherChanges();
    d.clock.advance(5 * MINUTE);

    const all = received(d);
    const c = alarmsOf(d).context;
    expect(c.buffer).toEqual([]);
    expect(c.counters).toMatchObject({ raised: 10_000, dropped: 0, pending: 0 });
    expect(c.counters.delivered).toBe(all.length);
    expect(all.reduce((n, a) => n + a.count, 0)).toBe(10_000);
    kinds.forEach(([type, , source], k) => {
      const kind = all.filter((a) => a.type === type && a.source === source);
      expect(kind.reduce((n, a) => n + a.count, 0)).toBe(sent[k]);
    });
    // Every fault fired, and the retries they caused were acknowledged without being counted.
    expect(server.stats.lost).toBeGreaterThan(0);
    expect(injected.failed).toBeGreaterThan(0);
    expect(injected.hung).toBeGreaterThan(0);
    expect(injected.malformed).toBeGreaterThan(0);
    expect(server.stats.duplicates).toBeGreaterThan(0);
    expect(all.some((a) => a.receipts > 1)).toBe(true);
    // Deduplicated: a few hundred alarms for 10,000 reports, about two per key and window.
    expect(all.length).toBeLessThan(5 * 2 * 62 + 60);
    // Flash is written per entry added and per acknowledgement, and repeats at most once per
    // flush interval: not once per report.
    const added = c.counters.raised - c.counters.deduplicated;
    const flushes = Math.ceil(d.clock.now() / REPEAT_FLUSH_MS);
    expect(writes).toBeLessThanOrEqual(added + server.stats.batches + flushes);
    expect(writes).toBeLessThan(2_000);
  });
});

describe("AlarmManager: a reboot in the middle of delivery", () => {
  it("loses nothing and duplicates nothing on the server", () => {
    const first = startDevice();
    first.actor.start();
    // Raised before the token arrives: they go in one batch, whose answer is lost.
    raise(first, "a", "error");
    raise(first, "b", "critical");
    raise(first, "c", "info");
    first.services.alarms.loseNext(1);
    first.clock.advance(3 * SECOND);
    // The server holds the batch; the device never heard so, and is switched off.
    expect(
      received(first)
        .map((a) => a.type)
        .sort(),
    ).toEqual(["a", "b", "c"]);
    const keys = alarmsOf(first).context.buffer.map((e) => e.key);
    expect(keys).toHaveLength(3);
    first.actor.stop();

    const second = startDevice({
      clock: first.clock,
      storage: first.board.storage,
      world: { services: first.services, net: first.net },
    });
    second.actor.start();
    expect(alarmsOf(second).context.buffer.map((e) => e.key)).toEqual(keys);
    raise(second, "a", "error");
    second.clock.advance(10 * SECOND);

    const all = received(second);
    // Most severe first, in both batches.
    expect(all.map((a) => [a.type, a.count, a.receipts])).toEqual([
      ["b", 1, 2],
      ["a", 1, 2],
      ["c", 1, 2],
      ["a", 1, 1],
    ]);
    expect(new Set(all.map((a) => a.key)).size).toBe(4);
    expect(alarmsOf(second).context.buffer).toEqual([]);
    expect(first.services.alarms.stats).toMatchObject({ accepted: 4, duplicates: 3, lost: 1 });
  });

  it("sends the repeats counted before a reboot, under the keys they had", () => {
    const first = startDevice();
    first.services.alarms.faults.failNext(1_000, 503);
    first.actor.start();
    first.clock.advance(3 * SECOND);
    for (let i = 0; i < 50; i++) {
      raise(first, "flood", "warning");
      first.clock.advance(500);
    }
    // Repeats are written at most every 10 s: let the last ones reach flash.
    first.clock.advance(15 * SECOND);
    const before = alarmsOf(first).context.buffer.map((e) => [e.key, e.count]);
    expect(before.reduce((n, [, c]) => n + (c as number), 0)).toBe(50);
    first.actor.stop();
    first.services.alarms.faults.reset();

    const second = startDevice({
      clock: first.clock,
      storage: first.board.storage,
      world: { services: first.services, net: first.net },
    });
    second.actor.start();
    second.clock.advance(10 * SECOND);
    expect(received(second).map((a) => [a.key, a.count])).toEqual(before);
  });
});

describe("AlarmManager: overflow", () => {
  it("drops the lowest severity first, oldest first, and says how many went", () => {
    const d = startDevice({ specs: withSettings({ maxBuffered: 4 }) });
    // No token yet: everything stays in the buffer.
    d.services.discovery.faults.failNext(1_000, 503);
    d.actor.start();
    raise(d, "i1", "info");
    raise(d, "w1", "warning");
    raise(d, "i2", "info");
    raise(d, "e1", "error");
    expect(alarmsOf(d).context.counters.dropped).toBe(0);
    raise(d, "c1", "critical");
    const types = () => alarmsOf(d).context.buffer.map((e) => e.type);
    // c1 pushed out i1; the drop counter itself then took i2's place.
    expect(types()).toEqual(["w1", "e1", "c1", DROPPED_TYPE]);
    raise(d, "w2", "warning");
    expect(types()).toEqual(["e1", "c1", DROPPED_TYPE, "w2"]);
    raise(d, "i3", "info");
    expect(types()).toEqual(["e1", "c1", DROPPED_TYPE, "w2"]);
    expect(alarmsOf(d).context.counters).toMatchObject({ raised: 7, dropped: 4, pending: 4 });
    expect(d.logsOf("alarms")).toContainEqual({
      level: "warn",
      msg: "buffer full: dropped 2 alarm(s)",
    });
    // What flash keeps is what RAM holds.
    expect(stored(d).alarms.map((e: { type: string }) => e.type)).toEqual(types());

    d.services.discovery.faults.reset();
    d.clock.advance(3 * MINUTE);
    const dropped = received(d).find((a) => a.type === DROPPED_TYPE);
    expect(dropped).toMatchObject({
      source: "alarms",
      count: 4,
      details: { dropped: 4, reports: 4 },
    });
    // Most severe first; of equal severity, oldest first.
    expect(received(d).map((a) => a.type)).toEqual(["c1", "e1", DROPPED_TYPE, "w2"]);
  });

  it("drops to fit when the configuration shrinks the buffer", () => {
    const d = startDevice();
    d.services.alarms.faults.failNext(1_000, 503);
    d.actor.start();
    d.clock.advance(3 * SECOND);
    for (const type of ["a", "b", "c", "d", "e", "f"]) raise(d, type, "warning");
    d.clock.advance(SECOND);
    d.child("alarms")!.send({ type: "CONFIGURE", settings: { maxBuffered: 4 } });
    expect(alarmsOf(d).context.buffer.map((e) => e.type)).toEqual(["d", "e", "f", DROPPED_TYPE]);
    expect(d.logsOf("alarms").at(-1)?.msg).toBe("settings applied: 3 alarm(s) dropped to fit");
  });
});

/** A manager under test control: `CRASH` makes an action throw, as a bug would. */
/** The table with an AlarmManager whose flash write throws once a "poison" alarm is kept. */
const withPoisonedFlash = (board: SimulatedBoard, table: ManagerSpec[]) =>
  table.map((spec) => {
    if (spec.id !== "alarms") return spec;
    const effects = alarmEffects(board, () => board.clock.now());
    const persist = effects.persist;
    effects.persist = (next, alarms) => {
      if (alarms.some((e) => e.type === "poison")) throw new Error("flash driver bug");
      return persist(next, alarms);
    };
    return { ...spec, logic: createAlarmMachine(effects) };
  });

const crasher = setup({
  types: { events: {} as PingEvent | { type: "CRASH" } },
}).createMachine({
  id: "crasher",
  on: {
    PING: { actions: sendParent(({ self, event }) => pongFor(self as AnyActorRef, event)) },
    CRASH: {
      actions: () => {
        throw new Error("divide by zero in the sampler");
      },
    },
  },
});

describe("AlarmManager: exceptions become alarms", () => {
  it("delivers a manager that throws as a manager-failed alarm", () => {
    const d = startDevice({
      specs: withSettings({}, [
        { id: "crasher", logic: crasher, dependsOn: ["logger"], requiredForReadiness: false },
      ]),
    });
    d.actor.start();
    d.clock.advance(3 * SECOND);
    d.child("crasher")!.send({ type: "CRASH" });
    d.clock.advance(5 * SECOND);
    expect(received(d)).toEqual([
      expect.objectContaining({
        type: "manager-failed",
        severity: "error",
        source: "crasher",
        details: { error: "divide by zero in the sampler" },
      }),
    ]);
  });

  it("delivers its own failure through its restarted instance", () => {
    const d = startDevice({
      specs: withPoisonedFlash,
    });
    d.actor.start();
    d.clock.advance(3 * SECOND);
    raise(d, "poison", "error");
    d.clock.advance(10 * SECOND);
    expect(d.logsOf("controller")).toContainEqual({
      level: "error",
      msg: "alarms failed: flash driver bug; restarting in 1000 ms",
    });
    expect(received(d)).toEqual([
      expect.objectContaining({
        type: "manager-failed",
        source: "alarms",
        details: { error: "flash driver bug" },
      }),
    ]);
  });

  it("finds the one alarm the server refuses for good, drops it after three tries, and delivers the rest", () => {
    const d = startDevice();
    // A server that refuses, as malformed, any batch holding a "poison" alarm.
    const real = d.services.alarms.handler;
    d.net.listen(ALARM_ORIGIN, (req, respond) => {
      if (req.body.indexOf('"type":"poison"') >= 0) {
        respond({
          status: 422,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ error: "alarm refused" }),
        });
        return;
      }
      real(req, respond);
    });
    d.actor.start();
    d.clock.advance(3 * SECOND);
    // Raised together: those behind the first go out in one batch, which the server refuses.
    for (const type of ["overheat", "poison", "door-open", "low-battery"]) {
      raise(d, type, "error", "sensors");
    }
    d.clock.advance(10 * MINUTE);
    expect(
      received(d)
        .map((a) => a.type)
        .sort(),
    ).toEqual(["door-open", "low-battery", "overheat"]);
    expect(alarmsOf(d).context.counters).toMatchObject({ delivered: 3, dropped: 1, pending: 0 });
    expect(d.logsOf("alarms")).toContainEqual(
      expect.objectContaining({
        level: "error",
        msg: expect.stringMatching(
          /^alarm .* refused 3 times: alarm refused \(HTTP 422\); dropped$/,
        ),
      }),
    );
  });

  it("holds every alarm raised while it restarts, and replays none after", () => {
    const d = startDevice({
      specs: withPoisonedFlash,
    });
    d.actor.start();
    d.clock.advance(3 * SECOND);
    raise(d, "poison", "error");
    // Restarting in 1 s: three sensors report meanwhile.
    for (const source of ["s1", "s2", "s3"]) raise(d, "overheat", "error", source);
    d.clock.advance(10 * SECOND);
    const kinds = () => received(d).map((a) => `${a.type}/${a.source}`);
    expect(kinds().sort()).toEqual([
      "manager-failed/alarms",
      "overheat/s1",
      "overheat/s2",
      "overheat/s3",
    ]);
    // A later restart replays nothing the first instances already took.
    raise(d, "poison", "error");
    d.clock.advance(10 * SECOND);
    expect(kinds().filter((k) => k.startsWith("overheat"))).toHaveLength(3);
  });

  it("delivers the alarm a ConfigManager raises for a refused document", () => {
    const d = startDevice();
    d.services.config.setDocument(tenant, ns, deviceId, { network: { backoffBaseMs: 1 } });
    d.actor.start();
    d.clock.advance(5 * SECOND);
    expect(received(d)).toEqual([
      expect.objectContaining({ type: "config-invalid", source: "config", severity: "warning" }),
    ]);
  });
});

describe("AlarmManager: bad input", () => {
  const serveOnce = (d: Device, body: string) => {
    d.net.listen(ALARM_ORIGIN, (_req, respond) =>
      respond({ status: 200, headers: { "content-type": "application/json" }, body }),
    );
  };

  it("retries after malformed answers and delivers each alarm once", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(3 * SECOND);
    d.services.alarms.faults.malformNext(2);
    raise(d, "a", "error");
    d.clock.advance(MINUTE);
    expect(received(d)).toEqual([expect.objectContaining({ type: "a", count: 1, receipts: 3 })]);
    expect(d.logsOf("alarms")).toContainEqual({
      level: "warn",
      msg: expect.stringMatching(/^alarm delivery failed: malformed response body \(HTTP 200\)/),
    });
    expect(alarmsOf(d).context.buffer).toEqual([]);
  });

  it("keeps its alarms when an answer is JSON but acknowledges nothing of the batch", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(3 * SECOND);
    serveOnce(d, JSON.stringify({ ok: true }));
    raise(d, "a", "error");
    d.clock.advance(SECOND);
    expect(alarmsOf(d).context.lastError).toBe("malformed answer: no acknowledged keys (HTTP 200)");
    serveOnce(d, JSON.stringify({ acknowledged: ["someone-else"] }));
    d.clock.advance(MINUTE);
    expect(alarmsOf(d).context.lastError).toBe(
      "the server acknowledged none of the batch (HTTP 200)",
    );
    expect(alarmsOf(d).context.buffer).toHaveLength(1);
    d.net.listen(ALARM_ORIGIN, d.services.alarms.handler);
    d.clock.advance(2 * MINUTE);
    expect(received(d)).toHaveLength(1);
    expect(alarmsOf(d).context.buffer).toEqual([]);
  });

  it("starts with an empty buffer on a corrupt alarms.json, says so and keeps the bad copy", () => {
    const storage = new FlashStorage();
    storage.write(ALARMS_FILE, '{"next": 4, "alarms": [{"key": "x-1", "ty');
    const d = startDevice({ storage });
    d.actor.start();
    expect(d.logsOf("alarms")).toContainEqual({
      level: "error",
      msg: "alarms.json is not JSON: starting with 0 alarm(s) kept",
    });
    expect(storage.read(ALARMS_BAD_FILE)).toBe('{"next": 4, "alarms": [{"key": "x-1", "ty');
    d.clock.advance(5 * SECOND);
    expect(received(d)).toEqual([
      expect.objectContaining({
        type: "alarms-lost",
        source: "alarms",
        details: { problem: "alarms.json is not JSON" },
      }),
    ]);
    expect(stored(d)).toEqual({ next: 1, alarms: [] });
  });

  it("keeps the readable entries of a damaged alarms.json", () => {
    const storage = new FlashStorage();
    const good = {
      key: "k-1",
      type: "a",
      severity: "error",
      source: "s",
      details: null,
      count: 2,
      firstSeen: 1,
      lastSeen: 2,
      acknowledged: true,
    };
    storage.write(
      ALARMS_FILE,
      JSON.stringify({ next: 9, alarms: [good, { ...good, key: "k-2", severity: "bad" }, 7] }),
    );
    const d = startDevice({ storage });
    d.actor.start();
    expect(alarmsOf(d).context.buffer[0]).toEqual({ ...good, sealed: true, dueAt: 0 });
    expect(d.logsOf("alarms")[0]).toEqual({
      level: "error",
      msg: "alarms.json: 2 entry(ies) unreadable: starting with 1 alarm(s) kept",
    });
    d.clock.advance(5 * SECOND);
    expect(received(d).map((a) => [a.key, a.type])).toEqual([
      ["k-1", "a"],
      [expect.stringMatching(/-9$/), "alarms-lost"],
    ]);
  });

  it("on a full flash keeps alarms in RAM, delivers them, raises flash-failing, and says so once each way", () => {
    const d = startDevice();
    d.services.alarms.faults.failNext(1_000, 503);
    d.actor.start();
    d.clock.advance(3 * SECOND);
    d.board.storage.failNextWrites(1);
    raise(d, "a", "error");
    raise(d, "b", "error");
    d.clock.advance(SECOND);
    expect(d.logsOf("alarms").filter((l) => l.msg.startsWith("flash refused"))).toEqual([
      {
        level: "warn",
        msg: "flash refused the alarm buffer: 1 alarm(s) held in RAM only, lost on a reboot",
      },
    ]);
    expect(alarmsOf(d).context.persistFailing).toBe(false);
    d.services.alarms.faults.reset();
    d.clock.advance(2 * MINUTE);
    expect(received(d).map((a) => a.type)).toEqual(["a", "flash-failing", "b"]);
    expect(d.logsOf("alarms")).toContainEqual({
      level: "info",
      msg: "flash writable again: the alarm buffer is kept",
    });
  });

  it("refuses malformed reports and acknowledgements with a log line, and keeps running", () => {
    const d = startDevice();
    d.actor.start();
    d.clock.advance(3 * SECOND);
    const alarms = d.child("alarms")!;
    d.actor.send({ type: "ALARM", alarm: { type: "", severity: "error", source: "x" } } as never);
    d.actor.send({ type: "ALARM", alarm: { type: "t", severity: "fatal", source: "x" } } as never);
    d.actor.send({ type: "ALARM" } as never);
    alarms.send({ type: "ACKNOWLEDGE", keys: "all" } as never);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    raise(d, "odd-details", "info", "x", circular);
    raise(d, "big-details", "info", "x", { text: "y".repeat(2_000) });
    raise(d, "secret-details", "info", "x", {
      wifi: { ssid: "lab", password: "hunter2" },
      note: "sent Authorization: Bearer abc.def.ghi",
    });
    expect(d.logsOf("alarms").map((l) => l.msg)).toEqual([
      "alarm refused: type: a string of 1 to 64 characters required",
      "alarm refused: severity: one of info, warning, error, critical required",
      "alarm refused: alarm: must be an object",
      "ACKNOWLEDGE refused: keys must be a list of strings",
    ]);
    d.clock.advance(5 * SECOND);
    const [odd, big, secret] = received(d);
    expect(odd.details).toEqual({ self: "[circular]" });
    expect((big.details as { truncated: string }).truncated).toHaveLength(512);
    // Secrets are masked before the alarm is kept: neither flash nor the server sees them.
    expect(JSON.stringify(secret.details)).not.toMatch(/hunter2|abc\.def/);
    expect(secret.details).toMatchObject({ wifi: { ssid: "lab", password: "***" } });
    expect(d.board.storage.read(ALARMS_FILE) ?? "").not.toContain("hunter2");
    expect(alarmsOf(d).value).toBe("idle");
  });
});

describe("AlarmManager: settings and buffer rules", () => {
  it("refuses settings that do not hold together, naming the field", () => {
    expect(mergeAlarmSettings(ALARM_DEFAULTS, { retryCapMs: 1000, retryBaseMs: 5000 })).toEqual({
      error: "retryCapMs: must not be below retryBaseMs",
    });
    expect(mergeAlarmSettings(ALARM_DEFAULTS, { maxBuffered: 3 })).toEqual({
      error: "maxBuffered: must be >= 4",
    });
    expect(mergeAlarmSettings(ALARM_DEFAULTS, { colour: 1 } as never)).toEqual({
      error: "colour: unknown setting",
    });
  });

  it("reads back only what it wrote", () => {
    expect(readStoredAlarms(undefined)).toEqual({ next: 0, alarms: [], problem: null });
    expect(readStoredAlarms("[]").problem).toBe("alarms.json holds no alarm list");
    expect(readStoredAlarms("null").problem).toBe("alarms.json holds no alarm list");
    expect(readStoredAlarms('{"alarms": []}')).toEqual({ next: 0, alarms: [], problem: null });
  });
});

describe("AlarmManager: keys never reused across boots", () => {
  it("draws the key prefix from the board's unseeded source at every boot, whatever the seed", () => {
    const prefixes = [1, 2, 3].map(() => {
      // The same seed each time, and a fresh flash: as if alarms.json were lost.
      const d = startDevice({ seed: 1, storage: new FlashStorage() });
      d.actor.start();
      const prefix = alarmsOf(d).context.prefix;
      d.actor.stop();
      return prefix;
    });
    expect(prefixes.every((p) => /^[0-9a-f]{8}$/.test(p))).toBe(true);
    expect(new Set(prefixes).size).toBe(3);
  });
});
