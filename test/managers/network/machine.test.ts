import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  mergeNetworkSettings,
  NETWORK_DEFAULTS,
  type NetworkContext,
  networkCounters,
} from "../../../managers/network/machine.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

function start(options: Parameters<typeof startDevice>[0] = {}) {
  const d = startDevice(options);
  const networkStates = () => d.statesOf("network");
  const logs = () => d.logsOf("network");
  /** Whether the last report the controller had from the network said it was up. */
  const up = () => {
    const last = d.received
      .filter((e) => e.type === "NETWORK_UP" || e.type === "NETWORK_DOWN")
      .at(-1);
    return last?.type === "NETWORK_UP";
  };
  const downReason = () => d.reports("NETWORK_DOWN").at(-1)?.reason;
  return { ...d, networkStates, logs, up, downReason };
}

describe("NetworkManager", () => {
  it("connects, reports up to its parent, and after a drop backs off, reconnects and reports again", () => {
    const d = start();
    d.actor.start();
    expect(d.network().value).toBe("connecting");
    d.clock.advance(d.board.radio.connectLatencyMs);
    expect(d.network().value).toEqual({ connected: "idle" });
    expect(d.up()).toBe(true);

    d.clock.advance(MINUTE);
    d.board.radio.drop("beacon timeout");
    expect(d.network().value).toBe("backoff");
    expect(d.up()).toBe(false);
    expect(d.downReason()).toBe("beacon timeout");

    d.clock.advance(NETWORK_DEFAULTS.backoffBaseMs + d.board.radio.connectLatencyMs);
    expect(d.network().value).toEqual({ connected: "idle" });
    expect(d.up()).toBe(true);
    expect(d.reports("NETWORK_UP").length).toBe(2);
    const counters = networkCounters(d.network().context, d.clock.now());
    expect(counters).toMatchObject({ attempts: 2, connections: 2, reconnects: 1 });
  });

  it("counts attempts and time connected across spells", () => {
    const d = start();
    d.actor.start();
    d.clock.runUntil(10 * SECOND);
    d.board.radio.drop();
    d.clock.runUntil(20 * SECOND);
    const c = d.network().context;
    // Joined at 300 ms, dropped at 10 s, rejoined at most 1 s + 300 ms later.
    expect(c.attempts).toBe(2);
    expect(c.connectedMs).toBe(10 * SECOND - 300);
    expect(c.connectedSince).toBeGreaterThan(10 * SECOND);
    const counters = networkCounters(c, d.clock.now());
    expect(counters.connectedMs).toBe(c.connectedMs + (d.clock.now() - c.connectedSince!));
  });

  it("gives up a join that hangs at the connect timeout, abandons it, and retries", () => {
    const d = start({ network: { connectTimeoutMs: 5 * SECOND } });
    d.board.radio.hangNextConnects(1);
    d.actor.start();
    d.clock.advance(5 * SECOND - 1);
    expect(d.network().value).toBe("connecting");
    expect(d.board.radio.stats.connectsInFlight).toBe(1);
    d.clock.advance(1);
    expect(d.network().value).toBe("backoff");
    expect(d.network().context.lastError).toBe("connect timeout");
    expect(d.board.radio.stats.connectsInFlight).toBe(0);
    d.clock.advance(NETWORK_DEFAULTS.backoffBaseMs + d.board.radio.connectLatencyMs);
    expect(d.network().value).toEqual({ connected: "idle" });
  });

  it("notices a link that is up but carries nothing, by its probes, and rejoins", () => {
    const d = start({ network: { probeIntervalMs: 5 * SECOND, probeFailuresToDrop: 2 } });
    d.actor.start();
    d.clock.advance(SECOND);
    d.board.radio.stall(MINUTE);
    d.clock.advance(5 * SECOND + 100);
    expect(d.network().value).toEqual({ connected: "idle" });
    expect(d.network().context.probeFailures).toBe(1);
    d.clock.advance(5 * SECOND + 100);
    expect(d.network().value).toBe("backoff");
    expect(d.network().context.lastError).toBe("link dead: no traffic");
    // The dead association was dropped, so the next join starts clean.
    expect(d.board.radio.isAssociated()).toBe(false);
  });

  it("resets the probe count when a probe succeeds", () => {
    const d = start({ network: { probeIntervalMs: 5 * SECOND, probeFailuresToDrop: 2 } });
    d.actor.start();
    d.clock.advance(SECOND);
    d.board.radio.stall(6 * SECOND);
    d.clock.advance(5 * SECOND + 100);
    expect(d.network().context.probeFailures).toBe(1);
    d.clock.advance(5 * SECOND + 100);
    expect(d.network().context.probeFailures).toBe(0);
    expect(d.network().value).toEqual({ connected: "idle" });
  });

  it("stays disconnected on a board with no radio, saying so once", () => {
    const d = start();
    d.board.radio.failNextConnects(1000, "no-radio");
    d.actor.start();
    d.clock.advance(HOUR);
    expect(d.network().value).toBe("disconnected");
    expect(d.network().context.attempts).toBe(1);
    expect(
      d
        .logs()
        .filter((l) => l.level === "error")
        .map((l) => l.msg),
    ).toEqual(["this board has no WiFi radio: staying offline"]);
  });

  it("disconnects on request, abandoning a join in flight, and connects again on CONNECT", () => {
    const d = start();
    d.actor.start();
    d.network();
    const network = d.child("network")!;
    network.send({ type: "DISCONNECT", at: d.clock.now() });
    expect(d.network().value).toBe("disconnected");
    expect(d.board.radio.stats.connectsInFlight).toBe(0);
    d.clock.advance(MINUTE);
    expect(d.network().value).toBe("disconnected");
    network.send({ type: "CONNECT" });
    d.clock.advance(SECOND);
    expect(d.network().value).toEqual({ connected: "idle" });
    network.send({ type: "DISCONNECT", at: d.clock.now() });
    expect(d.up()).toBe(false);
    expect(d.downReason()).toBe("disconnect requested");
    expect(d.board.radio.isAssociated()).toBe(false);
  });

  it("widens the backoff window exponentially up to the cap, with jitter inside it", () => {
    const d = start({ network: { backoffBaseMs: SECOND, backoffCapMs: 20 * SECOND } });
    d.board.radio.failNextConnects(40, "no-ap");
    d.actor.start();
    d.clock.advance(2 * HOUR);
    const waits = d
      .networkStates()
      .filter((t) => t.state === "backoff")
      .map((t) => t.snapshot.context as NetworkContext);
    expect(waits.length).toBe(40);
    waits.forEach((c, n) => {
      expect(c.retry).toBe(n + 1);
      expect(c.backoffMs).toBeGreaterThanOrEqual(0);
      expect(c.backoffMs).toBeLessThan(Math.min(20 * SECOND, SECOND * 2 ** n));
    });
    // Jitter: the capped waits are spread, not all equal.
    const capped = new Set(waits.slice(10).map((c) => c.backoffMs));
    expect(capped.size).toBeGreaterThan(20);
    expect(d.network().value).toEqual({ connected: "idle" });
  });

  it("draws the same waits from the same seed and different waits from another", () => {
    const waits = (seed: number) => {
      const d = start({ seed });
      d.board.radio.failNextConnects(8);
      d.actor.start();
      d.clock.advance(10 * MINUTE);
      return d
        .networkStates()
        .filter((t) => t.state === "backoff")
        .map((t) => (t.snapshot.context as NetworkContext).backoffMs);
    };
    expect(waits(5)).toEqual(waits(5));
    expect(waits(5)).not.toEqual(waits(6));
  });

  it("lives through 24 hours of a flapping radio, one connect at a time", () => {
    // The network manager alone under the controller; how fast a day runs is the bench's job.
    const d = start({
      onTransition: undefined,
      inspect: undefined,
      observeLog: undefined,
      specs: (_board, table) =>
        table.filter((s) => s.id === "network").map((s) => ({ ...s, dependsOn: [] })),
    });
    d.board.radio.flap({ seed: 9, upMs: [30 * SECOND, 5 * MINUTE], downMs: [SECOND, MINUTE] });
    d.actor.start();
    d.clock.advance(24 * HOUR);
    const c = d.network().context;
    expect(d.clock.now()).toBe(24 * HOUR);
    expect(c.connections).toBeGreaterThan(300);
    expect(d.board.radio.stats.maxConnectsInFlight).toBe(1);
  });
});

describe("NetworkManager settings", () => {
  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ["a negative base", { backoffBaseMs: -1 }, "backoffBaseMs: must be >= 100"],
    ["a non-numeric base", { backoffBaseMs: "fast" }, "backoffBaseMs: must be integer"],
    ["a NaN cap", { backoffCapMs: Number.NaN }, "backoffCapMs: must be integer"],
    [
      "a cap below the base",
      { backoffBaseMs: 5000, backoffCapMs: 1000 },
      "backoffCapMs: must not be below backoffBaseMs",
    ],
    ["a zero connect timeout", { connectTimeoutMs: 0 }, "connectTimeoutMs: must be >= 1000"],
    [
      "a fractional probe limit",
      { probeFailuresToDrop: 1.5 },
      "probeFailuresToDrop: must be integer",
    ],
    ["an unknown setting", { backofBaseMs: 10 }, "backofBaseMs: unknown setting"],
  ];

  it.each(refusals)("refuses %s, naming the field", (_name, changes, error) => {
    expect(mergeNetworkSettings(NETWORK_DEFAULTS, changes as never)).toEqual({ error });
  });

  it.each(refusals)("keeps its previous settings when sent %s", (_name, changes, error) => {
    const d = start({ network: { backoffBaseMs: 2000, backoffCapMs: 30_000 } });
    d.actor.start();
    const before = d.network().context.settings;
    d.child("network")!.send({ type: "CONFIGURE", settings: changes as never });
    expect(d.network().context.settings).toEqual(before);
    expect(d.logs().at(-1)).toEqual({ level: "error", msg: `settings refused: ${error}` });
  });

  it("applies valid settings and uses them for the next wait", () => {
    const d = start();
    d.board.radio.failNextConnects(100);
    d.actor.start();
    d.child("network")!.send({
      type: "CONFIGURE",
      settings: { backoffBaseMs: 100, backoffCapMs: 1000 },
    });
    expect(d.network().context.settings).toMatchObject({ backoffBaseMs: 100, backoffCapMs: 1000 });
    d.clock.advance(30 * SECOND);
    const waits = d
      .networkStates()
      .filter((t) => t.state === "backoff")
      .map((t) => (t.snapshot.context as NetworkContext).backoffMs);
    expect(waits.length).toBeGreaterThan(10);
    expect(Math.max(...waits)).toBeLessThan(1000);
  });

  it("starts on its defaults when its start-up settings are invalid, naming the field", () => {
    const d = start({ network: { backoffCapMs: 1000, backoffBaseMs: 5000 } });
    d.actor.start();
    expect(d.network().context.settings).toEqual(NETWORK_DEFAULTS);
    expect(d.logs()[0]).toEqual({
      level: "error",
      msg: "settings refused: backoffCapMs: must not be below backoffBaseMs",
    });
    expect(d.network().value).toBe("connecting");
  });
});

describe("NetworkManager under random fault timelines", () => {
  type Fault =
    | { at: number; kind: "drop" }
    | { at: number; kind: "fail"; n: number }
    | { at: number; kind: "hang"; n: number }
    | { at: number; kind: "stall"; ms: number }
    | { at: number; kind: "outage"; ms: number };

  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.record({ at: fc.nat(20 * MINUTE), kind: fc.constant("drop" as const) }),
    fc.record({
      at: fc.nat(20 * MINUTE),
      kind: fc.constant("fail" as const),
      n: fc.integer({ min: 1, max: 8 }),
    }),
    fc.record({
      at: fc.nat(20 * MINUTE),
      kind: fc.constant("hang" as const),
      n: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      at: fc.nat(20 * MINUTE),
      kind: fc.constant("stall" as const),
      ms: fc.integer({ min: 1, max: 2 * MINUTE }),
    }),
    fc.record({
      at: fc.nat(20 * MINUTE),
      kind: fc.constant("outage" as const),
      ms: fc.integer({ min: 1, max: 5 * MINUTE }),
    }),
  );

  it("never joins twice at once, never waits above the cap, and is up within cap + connect timeout of the radio healing", () => {
    fc.assert(
      fc.property(
        fc.array(fault, { maxLength: 25 }),
        fc.integer({ min: 100, max: 5 * SECOND }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: SECOND, max: 20 * SECOND }),
        fc.integer(),
        (faults, baseMs, capFactor, connectTimeoutMs, seed) => {
          // The schema's floor for a cap is a second.
          const capMs = Math.max(SECOND, baseMs * capFactor);
          const d = start({
            seed,
            network: {
              backoffBaseMs: baseMs,
              backoffCapMs: capMs,
              connectTimeoutMs,
              probeIntervalMs: 5 * SECOND,
            },
          });
          const radio = d.board.radio;
          d.actor.start();
          for (const f of [...faults].sort((a, b) => a.at - b.at)) {
            d.clock.runUntil(f.at);
            if (f.kind === "drop") radio.drop();
            else if (f.kind === "fail") radio.failNextConnects(f.n);
            else if (f.kind === "hang") radio.hangNextConnects(f.n);
            else if (f.kind === "stall") radio.stall(f.ms);
            else radio.outageFor(f.ms);
          }
          d.clock.runUntil(20 * MINUTE);
          radio.heal();
          const healedAt = d.clock.now();
          const upAtHeal = typeof d.network().value === "object";
          const bound = capMs + connectTimeoutMs + radio.connectLatencyMs;
          d.clock.runUntil(healedAt + bound);

          expect(radio.stats.maxConnectsInFlight).toBeLessThanOrEqual(1);
          for (const t of d.networkStates()) {
            if (t.state === "backoff") {
              expect((t.snapshot.context as NetworkContext).backoffMs).toBeLessThan(capMs);
            }
          }
          const upAt = upAtHeal
            ? healedAt
            : d.networkStates().find((t) => t.at >= healedAt && t.state.startsWith("connected"))
                ?.at;
          expect(upAt).toBeDefined();
          expect(upAt!).toBeLessThanOrEqual(healedAt + bound);
          expect(d.network().value).toHaveProperty("connected");
        },
      ),
      { numRuns: 150 },
    );
  });
});
