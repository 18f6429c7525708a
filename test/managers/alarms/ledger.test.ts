import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DROPPED_TYPE,
  type Ledger,
  nextBatch,
  recordAlarm,
} from "../../../managers/alarms/ledger.js";
import { ALARM_DEFAULTS } from "../../../managers/alarms/machine.js";
import { ALARM_SEVERITIES, type AlarmSeverity } from "../../../managers/supervision.js";

describe("the alarm ledger: batches and overflow", () => {
  it("sends sealed entries alone until they are acknowledged", () => {
    const entry = (key: string, sealed: boolean, severity: AlarmSeverity) => ({
      key,
      type: key,
      severity,
      source: "s",
      details: null,
      count: 1,
      firstSeen: 0,
      lastSeen: 0,
      acknowledged: false,
      sealed,
      dueAt: 0,
    });
    const buffer = [
      entry("a", false, "critical"),
      entry("b", true, "info"),
      entry("c", true, "error"),
    ];
    expect(nextBatch(buffer, 0, 10).map((e) => e.key)).toEqual(["c", "b"]);
    expect(nextBatch(buffer.slice(0, 1), 0, 10).map((e) => e.key)).toEqual(["a"]);
  });

  it("never holds more than maxBuffered, and every report is counted or accounted as dropped", () => {
    const report = fc.record({
      kind: fc.integer({ min: 0, max: 7 }),
      severity: fc.constantFrom(...ALARM_SEVERITIES),
      // Negative now and then: time sync stepping the wall clock back.
      gapMs: fc.integer({ min: -5_000, max: 90_000 }),
      seal: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(report, { maxLength: 200 }),
        fc.integer({ min: 2, max: 10 }),
        (reports, maxBuffered) => {
          const settings = { ...ALARM_DEFAULTS, maxBuffered };
          let ledger: Ledger = {
            buffer: [],
            windows: {},
            next: 0,
            counters: { raised: 0, deduplicated: 0, delivered: 0, dropped: 0, pending: 0 },
          };
          let now = 0;
          let lostReports = 0;
          for (const r of reports) {
            now += r.gapMs;
            const result = recordAlarm(
              ledger,
              { type: `k${r.kind}`, severity: r.severity, source: "s" },
              now,
              settings,
              "p",
            );
            for (const gone of result.lost)
              if (gone.type !== DROPPED_TYPE) lostReports += gone.count;
            // Sealing as a send would: later repeats must open a new entry.
            const buffer = r.seal
              ? result.buffer.map((e) => ({ ...e, sealed: true }))
              : result.buffer;
            ledger = { ...result, buffer };
            expect(ledger.buffer.length).toBeLessThanOrEqual(maxBuffered);
            for (const e of ledger.buffer) expect(e.lastSeen).toBeGreaterThanOrEqual(e.firstSeen);
          }
          const kept = ledger.buffer
            .filter((e) => e.type !== DROPPED_TYPE)
            .reduce((n, e) => n + e.count, 0);
          expect(kept + lostReports).toBe(reports.length);
          expect(new Set(ledger.buffer.map((e) => e.key)).size).toBe(ledger.buffer.length);
          expect(ledger.counters.pending).toBe(ledger.buffer.length);
        },
      ),
    );
  });
});
