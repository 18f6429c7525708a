import { afterEach, describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import { loopbackHttp } from "../../../board/node/loopbackHttp.js";
import { realClock } from "../../../board/node/realClock.js";
import { FlashStorage } from "../../../board/sim/flashStorage.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import { acceptToken, DEVICE_KEY_FILE } from "../../../managers/auth/effects.js";
import type { AuthContext } from "../../../managers/auth/machine.js";
import { LAST_KNOWN_GOOD_FILE } from "../../../managers/config/effects.js";
import type { ConfigContext } from "../../../managers/config/machine.js";
import { signJwt } from "../../../runtime/jwt.js";
import { SIMULATED_DEVICE, simulateDevice } from "../../../simulations/device.js";
import { serveServicesOnLoopback, startServices } from "../../../simulations/services/index.js";
import { simulateWorld } from "../../../simulations/world.js";

const SECOND = 1000;
const { deviceId, tenant, ns } = SIMULATED_DEVICE;

function world(options: Partial<Parameters<typeof simulateWorld>[0]> = {}) {
  const clock = new VirtualClock();
  const received: Array<{ type: string; [k: string]: unknown }> = [];
  const w = simulateWorld({
    clock,
    seed: 5,
    inspect: (event) => {
      if (event.type === "@xstate.event" && (event.actorRef as AnyActorRef).id === "controller") {
        received.push(event.event);
      }
    },
    ...options,
  });
  const auth = () =>
    (w.child("auth") as AnyActorRef).getSnapshot() as { value: unknown; context: AuthContext };
  const config = () =>
    (w.child("config") as AnyActorRef).getSnapshot() as { value: unknown; context: ConfigContext };
  const updates = () => received.filter((e) => e.type === "CONFIG_UPDATED");
  const flashText = () =>
    w.board.storage
      .list()
      .map((n) => w.board.storage.read(n))
      .join("\n");
  return { clock, received, auth, config, updates, flashText, ...w };
}

const validDocument = (pollIntervalMs: number, backoffCapMs: number) => ({
  network: { backoffCapMs },
  config: { pollIntervalMs },
});

describe("registration, token and configuration over the in-memory network", () => {
  it("registers, gets a token, fetches, validates and applies the configuration, and hot-reloads its sections", () => {
    const w = world();
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(10_000, 30_000));
    w.actor.start();
    w.clock.advance(5 * SECOND);

    expect(w.auth().value).toEqual({ authenticated: "fresh" });
    expect(w.auth().context.claims).toEqual({ sub: deviceId, tenant, ns, roles: ["device"] });
    expect(w.config().context).toMatchObject({ version: 1, source: "server" });
    // The network manager took its section, merged over its own settings.
    expect(w.network().context.settings).toMatchObject({ backoffCapMs: 30_000, ssid: "sim-ap" });
    // The logger now stamps lines with the tenant and namespace from the token.
    const logText = w.board.storage
      .list("log.")
      .map((n) => w.board.storage.read(n))
      .join("");
    const lastLine = JSON.parse(logText.trim().split("\n").at(-1)!);
    expect(lastLine).toMatchObject({ tenant, ns, device: deviceId });
    expect(w.readiness()).toEqual({ ready: true, failing: {} });

    // The poll interval comes from the configuration: a new version within 10 s.
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(10_000, 20_000));
    w.clock.advance(11 * SECOND);
    expect(w.config().context.version).toBe(2);
    expect(w.network().context.settings.backoffCapMs).toBe(20_000);
    expect(w.updates().at(-1)).toMatchObject({ version: 2, changed: ["network"] });
    expect(JSON.parse(w.board.storage.read(LAST_KNOWN_GOOD_FILE)!).version).toBe(2);
  });

  it("refreshes its token at 80 % of its lifetime", () => {
    const w = world({ tokenLifetimeMs: 100 * SECOND });
    w.actor.start();
    w.clock.advance(79 * SECOND);
    expect(w.auth().context.refreshes).toBe(0);
    w.clock.advance(3 * SECOND);
    expect(w.auth().context.refreshes).toBe(1);
    expect(w.auth().value).toEqual({ authenticated: "fresh" });
  });

  it("answers a 401 with one refresh and one retry, and applies the document once", () => {
    const w = world();
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 30_000));
    w.actor.start();
    w.clock.advance(2 * SECOND);
    const tokenBefore = w.auth().context.token;
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 25_000));
    w.services.config.faults.failNext(1, 401);
    w.clock.advance(6 * SECOND);
    expect(w.auth().context.refreshes).toBe(1);
    expect(w.auth().context.token).not.toBe(tokenBefore);
    expect(w.received.filter((e) => e.type === "TOKEN_REJECTED")).toHaveLength(1);
    expect(w.updates().filter((u) => u.version === 2)).toHaveLength(1);
    expect(w.config().context.version).toBe(2);
  });

  it("survives its token expiring while ServiceDiscovery is down: re-registers, retries, applies once", () => {
    const w = world({ tokenLifetimeMs: 60 * SECOND });
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 30_000));
    w.actor.start();
    w.clock.advance(40 * SECOND);
    w.services.discovery.faults.failNext(1000, 503);
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 25_000));
    // The refresh at 48 s fails; the token runs out at 60 s, while config polls with it.
    w.clock.advance(40 * SECOND);
    expect(w.auth().context.lastError).toContain("503");
    w.services.discovery.faults.reset();
    w.clock.advance(120 * SECOND);
    expect(w.auth().context.registrations).toBe(2);
    expect(w.updates().filter((u) => u.version === 2)).toHaveLength(1);
    expect(w.config().context.version).toBe(2);
    expect(w.readiness().ready).toBe(true);
  });

  it("uses a rotated device key at once", () => {
    const w = world();
    w.actor.start();
    w.clock.advance(2 * SECOND);
    w.board.storage.write(DEVICE_KEY_FILE, "rotated-key-0002");
    w.services.discovery.setKey(deviceId, "rotated-key-0002");
    (w.child("auth") as AnyActorRef).send({ type: "KEY_ROTATED" });
    w.clock.advance(2 * SECOND);
    expect(w.auth().context.registrations).toBe(2);
    expect(w.auth().value).toEqual({ authenticated: "fresh" });
  });

  it("never writes a token into a log line", () => {
    const w = world({ tokenLifetimeMs: 20 * SECOND, logger: { level: "debug" } });
    w.actor.start();
    w.clock.advance(60 * SECOND);
    const token = w.auth().context.token!;
    expect(token.length).toBeGreaterThan(20);
    const flash = w.flashText();
    expect(flash).not.toContain(token);
    expect(flash).not.toContain(token.split(".")[2]);
  });
});

describe("validation and the last known good", () => {
  it("never lets an invalid document replace the last known good, and raises an alarm once", () => {
    const w = world();
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 30_000));
    w.actor.start();
    w.clock.advance(2 * SECOND);
    expect(w.config().context.version).toBe(1);
    w.services.config.setDocument(tenant, ns, deviceId, {
      network: { backoffBaseMs: -5 },
      extra: true,
      config: { pollIntervalMs: 5_000 },
    });
    w.clock.advance(20 * SECOND);
    expect(w.config().context.version).toBe(1);
    expect(w.network().context.settings.backoffCapMs).toBe(30_000);
    expect(JSON.parse(w.board.storage.read(LAST_KNOWN_GOOD_FILE)!).version).toBe(1);
    const alarms = w.received.filter((e) => e.type === "ALARM");
    expect(alarms).toHaveLength(1);
    expect(alarms[0].alarm).toMatchObject({ type: "config-invalid", source: "config" });
    expect((alarms[0].alarm as { details: { errors: string[] } }).details.errors).toEqual(
      expect.arrayContaining([
        "/network/backoffBaseMs: must be >= 100",
        "/extra: must NOT have additional properties",
      ]),
    );
    expect(w.flashText()).toContain("/network/backoffBaseMs: must be >= 100");
  });

  it("boots on the last known good when rebooted with the server down, else on the defaults", () => {
    const first = world();
    first.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 12_345));
    first.actor.start();
    first.clock.advance(2 * SECOND);
    first.actor.stop();

    // Same flash, no services at all.
    const rebooted = simulateDevice({
      clock: new VirtualClock(),
      seed: 6,
      storage: first.board.storage,
    });
    rebooted.actor.start();
    const config = (rebooted.child("config") as AnyActorRef).getSnapshot().context as ConfigContext;
    expect(config).toMatchObject({ source: "flash", version: 1 });
    expect(rebooted.network().context.settings.backoffCapMs).toBe(12_345);

    const fresh = simulateDevice({
      clock: new VirtualClock(),
      seed: 7,
      storage: new FlashStorage(),
    });
    fresh.actor.start();
    const defaults = (fresh.child("config") as AnyActorRef).getSnapshot().context as ConfigContext;
    expect(defaults).toMatchObject({ source: "defaults", version: null });
    expect((defaults.config.config as { pollIntervalMs: number }).pollIntervalMs).toBe(60_000);
    expect(fresh.network().context.settings.backoffCapMs).toBe(60_000);
  });
});

describe("a full flash", () => {
  it("leaves the new version in force and says it was not kept", () => {
    const w = world();
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 30_000));
    w.actor.start();
    w.clock.advance(2 * SECOND);
    w.services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 21_000));
    w.board.storage.failNextWrites(1);
    w.clock.advance(6 * SECOND);
    expect(w.config().context.version).toBe(2);
    expect(JSON.parse(w.board.storage.read(LAST_KNOWN_GOOD_FILE)!).version).toBe(1);
    expect(w.flashText()).toContain(
      "flash full: version 2 is in force but not kept for the next boot",
    );
  });
});

describe("a last known good that no longer passes", () => {
  it("is refused at boot with its error paths: the device runs on the defaults and raises an alarm", () => {
    const storage = new FlashStorage();
    storage.write(
      LAST_KNOWN_GOOD_FILE,
      JSON.stringify({ version: 4, etag: '"x"', config: { network: { backoffBaseMs: 1 } } }),
    );
    const w = world({ storage });
    w.actor.start();
    expect(w.config().context).toMatchObject({ source: "defaults", version: null });
    expect(w.network().context.settings.backoffBaseMs).toBe(1_000);
    const alarm = w.received.find((e) => e.type === "ALARM")?.alarm as {
      details: { where: string; errors: string[] };
    };
    expect(alarm.details).toMatchObject({
      where: "flash",
      errors: ["/network/backoffBaseMs: must be >= 100"],
    });
  });
});

describe("tokens the device refuses", () => {
  const key = SIMULATED_DEVICE.key;
  const claims = { sub: deviceId, tenant, ns, roles: ["device"], iat: 100, nbf: 100, exp: 200 };

  it("accepts a token signed with its key", () => {
    expect(acceptToken(signJwt(claims, key), key)).toMatchObject({
      claims: { tenant },
      lifetimeMs: 100_000,
    });
  });

  it("refuses forged, expired-at-birth, wrong-algorithm and incomplete tokens", () => {
    expect(acceptToken(signJwt(claims, "another key"), key)).toBe("token refused: bad-signature");
    expect(acceptToken(signJwt({ ...claims, exp: 100 }, key), key)).toBe("token refused: expired");
    const [, payload, signature] = signJwt(claims, key).split(".");
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`;
    expect(acceptToken(none, key)).toBe("token refused: unsupported-alg");
    expect(acceptToken(`x.${payload}.${signature}`, key)).toMatch(/refused|malformed/);
    const { tenant: _t, ...noTenant } = claims;
    expect(acceptToken(signJwt(noTenant as never, key), key)).toBe(
      "token lacks tenant, ns or roles",
    );
    expect(acceptToken(undefined, key)).toBe("no token in the answer");
  });
});

describe("over real loopback sockets", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it("registers, authenticates and loads its configuration", async () => {
    const services = startServices({
      clock: realClock,
      devices: [{ ...SIMULATED_DEVICE, roles: ["device"] }],
    });
    services.config.setDocument(tenant, ns, deviceId, validDocument(5_000, 33_000));
    const served = await serveServicesOnLoopback(services);
    close = served.close;
    const device = simulateDevice({
      clock: realClock,
      seed: 8,
      radio: { connectLatencyMs: 20 },
      services: {
        discoveryUrl: served.discovery,
        configUrl: served.config,
        http: (isLinkUp) => loopbackHttp(isLinkUp),
      },
    });
    device.actor.start();
    const deadline = Date.now() + 10_000;
    const config = () =>
      (device.child("config") as AnyActorRef).getSnapshot().context as ConfigContext;
    while (config().version !== 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(config()).toMatchObject({ version: 1, source: "server", tenant, ns });
    expect(device.network().context.settings.backoffCapMs).toBe(33_000);
    device.actor.stop();
  });
});

describe("the simulated board's info", () => {
  it("reports the host's free heap, not a made-up number", () => {
    const device = simulateDevice({ clock: new VirtualClock(), seed: 1 });
    const free = device.board.info.freeMemory();
    const heap = process.memoryUsage();
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(heap.heapTotal);
  });
});
