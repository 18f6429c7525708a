import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import type { LoggerContext } from "../../../managers/logger/machine.js";
import type { StateContext } from "../../../managers/state/machine.js";
import { SIMULATED_DEVICE } from "../../../simulations/device.js";
import { CONFIG_ORIGIN } from "../../../simulations/services/index.js";
import { startDevice } from "../../support/device.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { tenant, ns, deviceId } = SIMULATED_DEVICE;

function device(options: Parameters<typeof startDevice>[0] = {}) {
  const d = startDevice(options);
  const state = () => {
    const ref = d.child("state") as AnyActorRef;
    return ref.getSnapshot() as {
      value: unknown;
      context: StateContext;
      hasTag(tag: string): boolean;
    };
  };
  const logger = () => (d.child("logger") as AnyActorRef).getSnapshot().context as LoggerContext;
  const server = () => d.services.state.document(tenant, ns, deviceId);
  const edit = (desired: Record<string, unknown>) =>
    d.services.state.setDesired(tenant, ns, deviceId, desired);
  /** Versions the manager held, in the order it held them. */
  const versions: number[] = [];
  const watchVersions = () =>
    (d.child("state") as AnyActorRef).subscribe((s) => {
      const v = (s.context as StateContext).version;
      if (v !== null && versions.at(-1) !== v) versions.push(v);
    });
  return { ...d, state, logger, server, edit, versions, watchVersions };
}

describe("the StateManager in sync with the StateServer", () => {
  it("fetches the document, applies desired logLevel to the logger, and reports the device", () => {
    const d = device();
    d.edit({ logLevel: "debug", unknown: { kept: true } });
    d.actor.start();
    expect(d.state().hasTag("ready")).toBe(false);
    d.clock.advance(10 * SECOND);

    expect(d.state().value).toEqual({ connected: "synced" });
    expect(d.state().hasTag("ready")).toBe(true);
    expect(d.logger().level).toBe("debug");
    expect(d.reports("SET_LEVEL")).toEqual([{ type: "SET_LEVEL", level: "debug" }]);
    const { context } = d.state();
    expect(context.desired).toEqual({ logLevel: "debug", unknown: { kept: true } });
    expect(context.reported).toMatchObject({
      managers: { network: "connected.idle", auth: "authenticated.fresh" },
      firmwareVersion: "0.1.0-sim",
      logLevel: "debug",
    });
    expect(context.reported).not.toHaveProperty("managers.state");
    expect(d.server().reported).toEqual(context.reported);
    expect(context.version).toBe(d.server().version);

    // A server-side edit arrives by long poll, without a fetch.
    const fetched = d.services.state.stats.fetched;
    d.edit({ logLevel: "error" });
    d.clock.advance(100);
    expect(d.logger().level).toBe("error");
    expect(d.services.state.stats.fetched).toBe(fetched);
    d.clock.advance(5 * SECOND);
    expect(d.server().reported.logLevel).toBe("error");
    expect(d.state().context.version).toBe(d.server().version);
  });

  it("reports once per debounce window, whatever the number of changes in it", () => {
    const d = device();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    const updates = d.services.state.stats.updates;
    d.edit({ logLevel: "warn" });
    d.clock.advance(500);
    d.edit({ logLevel: "debug" });
    d.clock.advance(1_300);
    expect(d.services.state.stats.updates).toBe(updates);
    d.clock.advance(SECOND);
    expect(d.services.state.stats.updates).toBe(updates + 1);
    expect(d.server().reported.logLevel).toBe("debug");
    expect(d.server().reported).toEqual(d.state().context.reported);
  });

  it("sends a change made while an update is in flight with the next update", () => {
    const d = device();
    d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 5_000 } });
    d.actor.start();
    d.clock.advance(10 * SECOND);
    // A slow StateServer: the update takes longer than a configuration poll, and a new
    // configuration is published as the update leaves.
    d.services.state.faults.latencyMs = 8_000;
    let published = false;
    (d.child("state") as AnyActorRef).subscribe((s) => {
      if ((s.value as { connected?: string }).connected !== "updating" || published) return;
      published = true;
      d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 6_000 } });
    });
    d.edit({ logLevel: "debug" });
    d.clock.advance(MINUTE);
    const updates = d.statesOf("state").filter((t) => t.state === "connected.updating");
    expect(updates.map((t) => t.event)).toEqual([
      "xstate.after.debounce.state.connected.debouncing",
      "xstate.after.debounce.state.connected.debouncing",
      "xstate.after.debounce.state.connected.debouncing",
    ]);
    expect(d.server().reported).toMatchObject({ configVersion: 2, logLevel: "debug" });
    expect(d.server().reported).toEqual(d.state().context.reported);
  });

  it("reports a new configuration version", () => {
    const d = device();
    d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 5_000 } });
    d.actor.start();
    d.clock.advance(10 * SECOND);
    expect(d.server().reported.configVersion).toBe(1);
    d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 6_000 } });
    d.clock.advance(10 * SECOND);
    expect(d.server().reported.configVersion).toBe(2);
    expect(d.server().reported).toEqual(d.state().context.reported);
  });

  it("fetches the whole document on reconnect: an edit made while away is applied", () => {
    const d = device();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    d.board.radio.outageFor(20 * SECOND);
    d.clock.advance(SECOND);
    expect(d.state().value).toBe("waiting");
    d.edit({ logLevel: "warn" });
    const fetched = d.services.state.stats.fetched;
    d.clock.advance(2 * MINUTE);
    expect(d.state().value).toEqual({ connected: "synced" });
    expect(d.services.state.stats.fetched).toBeGreaterThan(fetched);
    expect(d.logger().level).toBe("warn");
    expect(d.server().reported.managers).toMatchObject({ network: "connected.idle" });
  });

  it("fetches the whole document with every new token", () => {
    const d = device({ tokenLifetimeMs: 100 * SECOND });
    d.actor.start();
    d.clock.advance(10 * SECOND);
    const fetched = d.services.state.stats.fetched;
    d.clock.advance(75 * SECOND);
    expect(d.reports("TOKEN")).toHaveLength(2);
    expect(d.services.state.stats.fetched).toBe(fetched + 1);
    expect(d.state().value).toEqual({ connected: "synced" });
  });
});

describe("conflicts", () => {
  /** Edits desired each time the manager starts an update, while that update is in flight. */
  function editDuringUpdates(d: ReturnType<typeof device>, times: number) {
    let edits = 0;
    let was = "";
    (d.child("state") as AnyActorRef).subscribe((s) => {
      const now = (s.value as { connected?: string }).connected ?? "";
      if (now === "updating" && was !== "updating" && edits < times) {
        edits++;
        d.edit({ logLevel: "debug", edit: edits });
      }
      was = now;
    });
  }

  it("answers a 409 by fetching, merging and retrying with the new version", () => {
    const d = device();
    d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 5_000 } });
    d.actor.start();
    d.clock.advance(10 * SECOND);
    editDuringUpdates(d, 1);
    d.services.config.setDocument(tenant, ns, deviceId, { config: { pollIntervalMs: 6_000 } });
    d.clock.advance(MINUTE);

    expect(d.services.state.stats.conflicts).toBe(1);
    expect(d.logsOf("state")).toContainEqual({
      level: "info",
      msg: "reported update conflicted (1 in a row): fetching to merge",
    });
    expect(d.state().context).toMatchObject({ conflicts: 0, desired: { edit: 1 } });
    expect(d.server().reported).toEqual(d.state().context.reported);
    expect(d.server().reported.configVersion).toBe(2);
    expect(d.state().context.version).toBe(d.server().version);
  });

  it("retries at most maxConflictRetries times in a row, then backs off, then succeeds", () => {
    const d = device();
    const settings = { maxConflictRetries: 2, retryBaseMs: 5_000 };
    d.services.config.setDocument(tenant, ns, deviceId, {
      config: { pollIntervalMs: 5_000 },
      state: settings,
    });
    d.actor.start();
    d.clock.advance(10 * SECOND);
    expect(d.state().context.settings.maxConflictRetries).toBe(2);
    const before = d.services.state.stats.conflicts;
    editDuringUpdates(d, 3);
    d.services.config.setDocument(tenant, ns, deviceId, {
      config: { pollIntervalMs: 6_000 },
      state: settings,
    });
    // A config poll, the debounce window and three round trips: two retries, then the backoff.
    d.clock.advance(8 * SECOND);
    expect(d.services.state.stats.conflicts - before).toBe(3);
    const backoffs = d.statesOf("state").filter((t) => t.state === "connected.backoff");
    expect(backoffs).toHaveLength(1);
    expect(backoffs[0].event).toBe("REQUEST_FAILED");
    expect(backoffs[0].snapshot.context).toMatchObject({
      lastError: "reported update keeps conflicting",
    });
    expect(d.logsOf("state")).toContainEqual({
      level: "warn",
      msg: "reported update conflicted 3 times in a row: backing off",
    });
    d.clock.advance(MINUTE);
    expect(d.services.state.stats.conflicts - before).toBe(3);
    expect(d.state().value).toEqual({ connected: "synced" });
    expect(d.server().reported).toEqual(d.state().context.reported);
    expect(d.state().context.desired).toEqual(d.server().desired);
  });
});

describe("bad input and refusals", () => {
  it("does not spin against a server that answers every poll at once with nothing new", () => {
    const d = device();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    const before = d.services.state.stats.notified;
    // A thousand repeats of the notification already applied, each answered at once.
    d.services.state.stateFaults.duplicateNext(1000);
    d.clock.advance(5 * MINUTE);
    // One poll per long-poll wait (30 s), not one per round trip (40 ms: about 7,500).
    expect(d.services.state.stats.notified - before).toBeLessThanOrEqual(11);
    expect(d.services.state.stats.notified - before).toBeGreaterThan(0);
  });

  it("survives a malformed document and a malformed notification: fetches again later", () => {
    const d = device();
    d.edit({ logLevel: "debug" });
    d.services.state.faults.malformNext(1);
    d.actor.start();
    d.clock.advance(3 * SECOND);
    expect(d.logsOf("state")).toContainEqual({
      level: "warn",
      msg: "fetch failed: malformed response body (HTTP 200)",
    });
    d.clock.advance(MINUTE);
    expect(d.logger().level).toBe("debug");

    // The next poll is held, so the fault cuts the server's 204 short: an empty 200.
    d.services.state.faults.malformNext(1);
    d.clock.advance(MINUTE);
    expect(d.logsOf("state")).toContainEqual({
      level: "warn",
      msg: "poll failed: malformed notification",
    });
    d.edit({ logLevel: "warn" });
    d.clock.advance(5 * SECOND);
    expect(d.logger().level).toBe("warn");
    expect(d.state().value).toEqual({ connected: "synced" });
  });

  it("says what an unknown route answered, and keeps trying without applying anything", () => {
    // Pointed at the configuration server, which knows no /v1/state routes.
    const d = device({
      specs: (_board, table) =>
        table.map((spec) =>
          spec.id === "state"
            ? { ...spec, input: { ...(spec.input as object), stateUrl: CONFIG_ORIGIN } }
            : spec,
        ),
    });
    d.edit({ logLevel: "debug" });
    d.actor.start();
    d.clock.advance(MINUTE);
    expect(d.state().context.lastError).toBe("not found (HTTP 404)");
    expect(d.state().context.version).toBeNull();
    expect(d.logger().level).toBe("info");
    expect(d.state().hasTag("ready")).toBe(false);
  });

  it("is refused a document of another tenant, and says so", () => {
    const d = device();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    const token = d.state().context.token as string;
    (d.child("state") as AnyActorRef).send({ type: "TOKEN", token, tenant: "other", ns });
    d.clock.advance(SECOND);
    expect(d.state().context.lastError).toBe("token does not cover this document (HTTP 403)");
    expect(d.services.state.stats.forbidden).toBeGreaterThan(0);
  });

  it("answers 401s with one TOKEN_REJECTED, then backs off until a request succeeds", () => {
    const d = device();
    d.actor.start();
    d.clock.advance(10 * SECOND);
    d.services.state.faults.failNext(4, 401);
    d.board.radio.drop();
    d.clock.advance(3 * MINUTE);
    expect(d.reports("TOKEN_REJECTED")).toHaveLength(1);
    // The token refused, read before the context lets go of it.
    expect(d.reports("TOKEN_REJECTED")[0]).toMatchObject({ token: expect.any(String) });
    expect(d.services.state.faults.injected.failed).toBe(4);
    expect(d.state().value).toEqual({ connected: "synced" });
    expect(d.state().context.rejected).toBe(false);
  });
});

describe("convergence under faults (property)", () => {
  const levels = ["debug", "info", "warn", "error"] as const;
  const step = fc.oneof(
    fc.record({ kind: fc.constant("drop" as const) }),
    fc.record({ kind: fc.constant("duplicate" as const), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("stale" as const), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("lose" as const), n: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ kind: fc.constant("edit" as const), level: fc.constantFrom(...levels) }),
    fc.record({ kind: fc.constant("editInFlight" as const), level: fc.constantFrom(...levels) }),
    fc.record({ kind: fc.constant("fail" as const), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("report" as const) }),
  );
  const timeline = fc.array(fc.tuple(step, fc.integer({ min: 0, max: 8_000 })), {
    minLength: 1,
    maxLength: 12,
  });

  it("converges on the latest desired, never holds an older version, loses no reported update", () => {
    fc.assert(
      fc.property(timeline, (steps) => {
        const d = device({ network: { backoffCapMs: 10_000 } });
        const configDoc = (n: number) => ({ config: { pollIntervalMs: 5_000 + n } });
        let published = 0;
        d.services.config.setDocument(tenant, ns, deviceId, configDoc(published));
        d.actor.start();
        d.watchVersions();
        d.clock.advance(3 * SECOND);
        let edits = 0;
        // A concurrent edit: made when the next update leaves, so it reaches the server first.
        let inFlight: string | null = null;
        let was = "";
        (d.child("state") as AnyActorRef).subscribe((snapshot) => {
          const now = (snapshot.value as { connected?: string }).connected ?? "";
          if (now === "updating" && was !== "updating" && inFlight !== null) {
            d.edit({ logLevel: inFlight, edit: ++edits });
            inFlight = null;
          }
          was = now;
        });
        for (const [s, wait] of steps) {
          if (s.kind === "drop") d.board.radio.drop();
          else if (s.kind === "duplicate") d.services.state.stateFaults.duplicateNext(s.n);
          else if (s.kind === "stale") d.services.state.stateFaults.staleNext(s.n);
          else if (s.kind === "lose") d.services.state.stateFaults.loseNext(s.n);
          else if (s.kind === "fail") d.services.state.faults.failNext(s.n, 503);
          else if (s.kind === "edit") d.edit({ logLevel: s.level, edit: ++edits });
          else if (s.kind === "editInFlight") inFlight = s.level;
          else d.services.config.setDocument(tenant, ns, deviceId, configDoc(++published));
          d.clock.advance(wait);
        }
        d.board.radio.heal();
        d.services.state.faults.reset();
        d.services.state.stateFaults.reset();
        d.clock.advance(5 * MINUTE);

        const { context } = d.state();
        const server = d.server();
        expect(d.state().value).toEqual({ connected: "synced" });
        expect(context.desired).toEqual(server.desired);
        expect(context.version).toBe(server.version);
        expect(context.acked).toBe(context.changes);
        expect(server.reported).toEqual(context.reported);
        // What the server holds is the device as it is now, not as it was at some update.
        const config = (d.child("config") as AnyActorRef).getSnapshot().context;
        expect(config.version).toBe(published + 1);
        expect(server.reported).toMatchObject({
          configVersion: config.version,
          managers: { network: "connected.idle", auth: "authenticated.fresh" },
        });
        expect(server.reported.logLevel).toBe(server.desired.logLevel);
        if (server.desired.logLevel) expect(d.logger().level).toBe(server.desired.logLevel);
        for (let i = 1; i < d.versions.length; i++) {
          expect(d.versions[i]).toBeGreaterThan(d.versions[i - 1]);
        }
        d.actor.stop();
      }),
      { numRuns: 40, seed: 20261126 },
    );
  });
});
