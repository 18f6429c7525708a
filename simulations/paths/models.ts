/**
 * The path model of every manager (see `model.ts`): its machine built by its own factory with
 * test effects, the input the device gives it, a sample payload for each event type its chart
 * takes, the context fields its guards read, and what no path can reach.
 *
 * Test effects: every invoked actor is silent (it neither answers nor fails: the paths send
 * the answers it would send, `WIFI_CONNECTED`, `REGISTERED`...), functions do what the board
 * would with nothing wrong (a write succeeds, a load finds nothing, `now` reads the clock).
 */
import { type CallbackActorLogic, fromCallback, setup } from "xstate";
import { createAlarmMachine } from "../../managers/alarms/machine.js";
import { createApiMachine } from "../../managers/api/machine.js";
import { createAuthMachine } from "../../managers/auth/machine.js";
import { createConfigMachine } from "../../managers/config/machine.js";
import { createControllerMachine } from "../../managers/controller/machine.js";
import type { ManagerSpec } from "../../managers/controller/spec.js";
import { createLoggerMachine } from "../../managers/logger/machine.js";
import { createNetworkMachine } from "../../managers/network/machine.js";
import { createOtaMachine } from "../../managers/ota/machine.js";
import { createStateMachine } from "../../managers/state/machine.js";
import { answerPing, READY } from "../../managers/supervision.js";
import { createTimeSyncMachine } from "../../managers/timesync/machine.js";
import { createWatchdogMachine } from "../../managers/watchdog/machine.js";
import type { PathModel } from "./model.js";

const silent = fromCallback(() => undefined) as CallbackActorLogic<any, any>;

const PING = [{ type: "PING", seq: 1 }];
const DEVICE = "dev-1";
const TOKEN = "tok-1";
/** The token event as the controller routes it to every manager that takes one. */
const TOKEN_EVENT = [{ type: "TOKEN", token: TOKEN, sub: DEVICE, tenant: "acme", ns: "lab" }];
const TOKEN_LOST = [{ type: "TOKEN_LOST" }];

const logger: PathModel = {
  id: "logger",
  build: () => ({
    machine: createLoggerMachine({ logSink: silent, now: () => 0 }),
    input: { identity: { device: DEVICE, tenant: "unassigned", ns: "unassigned" } },
  }),
  samples: {
    PING,
    LOG: [
      { type: "LOG", manager: "network", entry: { level: "warn", msg: "link lost" } },
      { type: "LOG", manager: "network", entry: { level: "debug", msg: "below the level" } },
    ],
    AUDIT: [
      {
        type: "AUDIT",
        record: { who: "admin", what: "PUT /log-level", result: 200 },
      },
    ],
    SET_LEVEL: [
      { type: "SET_LEVEL", level: "debug" },
      { type: "SET_LEVEL", level: "loud" },
    ],
    CONFIGURE: [
      { type: "CONFIGURE", settings: { level: "warn" } },
      { type: "CONFIGURE", settings: { level: 7 } },
    ],
    TOKEN: TOKEN_EVENT,
    LINES_DROPPED: [{ type: "LINES_DROPPED", trail: "log", count: 3 }],
    SINK_FAILED: [{ type: "SINK_FAILED", reason: "flash full" }],
    SINK_OK: [{ type: "SINK_OK" }],
  },
};

const network: PathModel = {
  id: "network",
  build: () => ({
    machine: createNetworkMachine({
      connectWifi: silent,
      linkMonitor: silent,
      disconnectRadio: () => undefined,
    }),
    input: { seed: 7, settings: { ssid: "lab", password: "secret" } },
  }),
  samples: {
    PING,
    CONNECT: [{ type: "CONNECT" }],
    CONFIGURE: [
      { type: "CONFIGURE", settings: { probeFailuresToDrop: 1 } },
      { type: "CONFIGURE", settings: { backoffBaseMs: -1 } },
    ],
    DISCONNECT: [{ type: "DISCONNECT", at: 5_000 }],
    RECONNECT: [{ type: "RECONNECT", reason: "heartbeats missed", at: 5_000 }],
    WIFI_CONNECTED: [{ type: "WIFI_CONNECTED", at: 300 }],
    WIFI_FAILED: [
      { type: "WIFI_FAILED", error: "no-radio" },
      { type: "WIFI_FAILED", error: "auth-failed" },
    ],
    WIFI_LOST: [{ type: "WIFI_LOST", reason: "beacon timeout", at: 4_000 }],
    PROBE_OK: [{ type: "PROBE_OK" }],
    PROBE_FAILED: [{ type: "PROBE_FAILED", reason: "no answer", at: 3_000 }],
  },
  key: (c) => [c.probeFailures, c.settings.probeFailuresToDrop],
};

const CLAIMS = { sub: DEVICE, tenant: "acme", ns: "lab", roles: ["device"] };

const auth: PathModel = {
  id: "auth",
  build: () => ({
    machine: createAuthMachine({ register: silent, refresh: silent }),
    input: { deviceId: DEVICE, discoveryUrl: "http://discovery.test", seed: 8 },
  }),
  samples: {
    PING,
    KEY_ROTATED: [{ type: "KEY_ROTATED" }],
    NETWORK_UP: [{ type: "NETWORK_UP" }],
    REGISTERED: [
      { type: "REGISTERED", token: TOKEN, claims: CLAIMS, lifetimeMs: 3_600_000, at: 0 },
    ],
    REFRESHED: [
      { type: "REFRESHED", token: "tok-2", claims: CLAIMS, lifetimeMs: 3_600_000, at: 0 },
    ],
    REGISTER_FAILED: [{ type: "REGISTER_FAILED", error: "proof refused", status: 403 }],
    REFRESH_FAILED: [
      { type: "REFRESH_FAILED", error: "unauthorized", status: 401 },
      { type: "REFRESH_FAILED", error: "timeout" },
    ],
    // The token held (a refresh follows) and one already replaced (only reported again).
    TOKEN_REJECTED: [
      { type: "TOKEN_REJECTED", token: TOKEN },
      { type: "TOKEN_REJECTED", token: "tok-2" },
    ],
  },
  key: (c) => c.token,
};

const config: PathModel = {
  id: "config",
  build: () => ({
    machine: createConfigMachine({
      loadLastKnownGood: silent,
      fetchConfig: silent,
      persistLastKnownGood: () => true,
    }),
    input: { deviceId: DEVICE, configUrl: "http://config.test" },
  }),
  samples: {
    PING,
    TOKEN: TOKEN_EVENT,
    TOKEN_LOST,
    LKG_LOADED: [
      { type: "LKG_LOADED", stored: null, problem: null },
      {
        type: "LKG_LOADED",
        stored: { version: 3, etag: "e3", config: { network: { probeIntervalMs: 20_000 } } },
        problem: null,
      },
      { type: "LKG_LOADED", stored: null, problem: "config.json unreadable" },
    ],
    CONFIG_RECEIVED: [
      {
        type: "CONFIG_RECEIVED",
        version: 4,
        etag: "e4",
        config: { config: { pollIntervalMs: 30_000 } },
      },
      {
        type: "CONFIG_RECEIVED",
        version: 5,
        etag: "e5",
        config: { network: { backoffBaseMs: -1 } },
      },
    ],
    CONFIG_NOT_MODIFIED: [{ type: "CONFIG_NOT_MODIFIED" }],
    CONFIG_FETCH_FAILED: [
      { type: "CONFIG_FETCH_FAILED", error: "unauthorized", status: 401 },
      { type: "CONFIG_FETCH_FAILED", error: "not found", status: 404 },
      { type: "CONFIG_FETCH_FAILED", error: "timeout" },
    ],
  },
  key: (c) => [c.token !== null, c.version, c.rejectedEtag, c.retried],
};

const api: PathModel = {
  id: "api",
  build: () => ({ machine: createApiMachine({ server: silent }), input: { seed: 9 } }),
  samples: {
    PING,
    RATE_LIMITED: [{ type: "RATE_LIMITED" }],
    // Another port (the server reopens), a new rate limit (told to the server), a refused port.
    CONFIGURE: [
      { type: "CONFIGURE", settings: { port: 8081 } },
      { type: "CONFIGURE", settings: { rateLimit: { burst: 5, refillPerSec: 1 } } },
      { type: "CONFIGURE", settings: { port: -1 } },
    ],
    LISTENING: [{ type: "LISTENING", port: 8080 }],
    LISTEN_FAILED: [{ type: "LISTEN_FAILED", error: "address in use" }],
  },
  key: (c) => c.settings.port,
};

const PREFIX = "0000abcd";
/** The idempotency key of the first alarm the manager keeps (acknowledged by the samples). */
const FIRST_KEY = `${PREFIX}-0`;

const alarms: PathModel = {
  id: "alarms",
  build: (clock) => ({
    machine: createAlarmMachine({
      load: () => ({ next: 0, alarms: [], problem: null }),
      persist: () => true,
      now: () => clock.now(),
      deliver: silent,
    }),
    input: { alarmsUrl: "http://alarms.test", seed: 10, keyPrefix: PREFIX },
  }),
  samples: {
    PING,
    ALARM: [
      { type: "ALARM", alarm: { type: "sensor-hot", severity: "warning", source: "probe" } },
      { type: "ALARM", alarm: { type: "", severity: "loud", source: "probe" } },
    ],
    TOKEN: TOKEN_EVENT,
    TOKEN_LOST,
    FLUSH: [{ type: "FLUSH" }],
    PERSISTED: [
      { type: "PERSISTED", ok: false },
      { type: "PERSISTED", ok: true },
    ],
    ACKNOWLEDGE: [
      { type: "ACKNOWLEDGE", keys: [FIRST_KEY] },
      { type: "ACKNOWLEDGE", keys: "all" },
    ],
    CONFIGURE: [
      { type: "CONFIGURE", settings: { batchSize: 5 } },
      { type: "CONFIGURE", settings: { maxBuffered: -1 } },
    ],
    ALARMS_DELIVERED: [{ type: "ALARMS_DELIVERED", acknowledged: [FIRST_KEY] }],
    ALARMS_FAILED: [
      { type: "ALARMS_FAILED", error: "unauthorized", status: 401, token: TOKEN, keys: [] },
      {
        type: "ALARMS_FAILED",
        error: "unprocessable",
        status: 422,
        token: TOKEN,
        keys: [FIRST_KEY],
      },
      { type: "ALARMS_FAILED", error: "unavailable", status: 503, token: TOKEN, keys: [] },
    ],
  },
  key: (c) => [
    c.token !== null,
    c.token === c.rejectedToken,
    c.buffer.length > 0,
    c.persistFailing,
    c.dirty,
  ],
};

const watchdog: PathModel = {
  id: "watchdog",
  build: (clock) => ({
    machine: createWatchdogMachine({
      sendHeartbeat: silent,
      resetDevice: () => undefined,
      now: () => clock.now(),
    }),
    input: { deviceId: DEVICE, discoveryUrl: "http://discovery.test", managers: ["network"] },
  }),
  samples: {
    PING,
    CONFIGURE: [
      { type: "CONFIGURE", settings: { heartbeatIntervalMs: 10_000 } },
      { type: "CONFIGURE", settings: { heartbeatIntervalMs: -5 } },
    ],
    TOKEN: TOKEN_EVENT,
    TOKEN_LOST,
    NETWORK_UP: [{ type: "NETWORK_UP" }],
    NETWORK_DOWN: [{ type: "NETWORK_DOWN" }],
    HEARTBEAT_ACKED: [{ type: "HEARTBEAT_ACKED" }],
    HEARTBEAT_FAILED: [
      { type: "HEARTBEAT_FAILED", error: "unauthorized", status: 401 },
      { type: "HEARTBEAT_FAILED", error: "timeout" },
    ],
  },
  key: (c) => [c.networkUp, c.token !== null, c.tokenRejected],
};

const POOL = "pool.ntp.org:123";
const SAMPLE = {
  type: "NTP_SAMPLE",
  server: POOL,
  offsetMs: 250,
  delayMs: 20,
  stratum: 2,
  targetOffsetMs: 250,
  at: 1_000,
};

const timesync: PathModel = {
  id: "timesync",
  build: () => ({
    machine: createTimeSyncMachine({ sntpClient: silent, setClock: () => undefined }),
    // Two samples a server and two servers: every way a round ends, in few steps.
    input: { seed: 11, settings: { samples: 2 } },
  }),
  samples: {
    PING,
    SYNC: [{ type: "SYNC" }],
    NETWORK_UP: [{ type: "NETWORK_UP" }],
    NTP_SAMPLE: [SAMPLE, { ...SAMPLE, server: "other.test:123" }],
    NTP_FAILED: [
      { type: "NTP_FAILED", server: POOL, reason: "no answer", kind: "lost" },
      { type: "NTP_FAILED", server: POOL, reason: "kiss of death", kind: "rejected" },
      // The second server unreachable too: the round fails, and the manager waits unsynced.
      { type: "NTP_FAILED", server: "time.google.com:123", reason: "no route", kind: "error" },
    ],
    CONFIGURE: [
      { type: "CONFIGURE", settings: { requireSync: true } },
      { type: "CONFIGURE", settings: { requireSync: false } },
      { type: "CONFIGURE", settings: { samples: 0 } },
    ],
  },
  key: (c) => [c.serverIndex, c.attempts, c.best !== null, c.settings.requireSync, c.denied.length],
};

const state: PathModel = {
  id: "state",
  build: () => ({
    machine: createStateMachine({
      fetchState: silent,
      updateReported: silent,
      watchDesired: silent,
      summarize: () => ({ network: "up" }),
      running: () => ({}),
    }),
    // One conflict retry before backing off: both branches in a short path.
    input: {
      deviceId: DEVICE,
      stateUrl: "http://state.test",
      seed: 12,
      settings: { maxConflictRetries: 1 },
    },
  }),
  samples: {
    PING,
    CONFIGURE: [{ type: "CONFIGURE", settings: { debounceMs: 500 } }],
    CONFIG_UPDATED: [{ type: "CONFIG_UPDATED" }],
    TOKEN: [{ type: "TOKEN", token: TOKEN, tenant: "acme", ns: "lab" }],
    TOKEN_LOST,
    NETWORK_UP: [{ type: "NETWORK_UP" }],
    NETWORK_DOWN: [{ type: "NETWORK_DOWN" }],
    STATE_FETCHED: [
      { type: "STATE_FETCHED", version: 2, reported: { fw: "1.0" }, desired: { logLevel: "warn" } },
    ],
    // Newer than the fetched version, then older: applied, then ignored.
    DESIRED_NOTIFIED: [
      { type: "DESIRED_NOTIFIED", version: 3, desired: { logLevel: "debug" } },
      { type: "DESIRED_NOTIFIED", version: 1, desired: { logLevel: "error" } },
    ],
    REPORTED_ACCEPTED: [{ type: "REPORTED_ACCEPTED", version: 3, changes: 6 }],
    REQUEST_FAILED: [
      { type: "REQUEST_FAILED", request: "update", error: "unauthorized", status: 401 },
      { type: "REQUEST_FAILED", request: "update", error: "conflict", status: 409 },
      { type: "REQUEST_FAILED", request: "fetch", error: "timeout" },
    ],
  },
  key: (c) => [c.online, c.token !== null, c.rejected, c.conflicts, c.changes > c.acked, c.version],
};

const RELEASE = {
  version: "2.0.0",
  size: 2048,
  sha256: "0".repeat(64),
  chunkSize: 1024,
  minBoot: 1,
  path: "/v1/images/acme/lab/default/2.0.0",
};
const SURVEY = {
  type: "SURVEYED",
  running: "1.0.0",
  trial: false,
  rolledBackFrom: null,
  rolledBack: [],
  resume: null,
  written: 0,
};

const ota: PathModel = {
  id: "ota",
  build: () => ({
    machine: createOtaMachine({
      survey: silent,
      check: silent,
      prepare: silent,
      download: silent,
      verify: silent,
      stage: silent,
      watchHealth: silent,
      reach: silent,
      commit: () => undefined,
      abandon: () => true,
      reboot: () => undefined,
    }),
    input: { seed: 13 },
  }),
  samples: {
    PING,
    // Nothing at boot, a trial, a rollback seen, a download to resume.
    SURVEYED: [
      SURVEY,
      { ...SURVEY, trial: true, running: "2.0.0" },
      { ...SURVEY, rolledBackFrom: "2.0.0", rolledBack: ["2.0.0"] },
      { ...SURVEY, resume: RELEASE, written: 1024 },
    ],
    CHECK: [{ type: "CHECK", by: "op-1" }],
    FIRMWARE_DESIRED: [{ type: "FIRMWARE_DESIRED", firmware: { version: "2.0.0" } }],
    OFFER: [{ type: "OFFER", manifest: RELEASE }],
    UP_TO_DATE: [{ type: "UP_TO_DATE" }],
    REFUSED: [{ type: "REFUSED", error: "bad signature" }],
    FAILED: [{ type: "FAILED", error: "timeout" }],
    PREPARED: [{ type: "PREPARED", written: 0 }],
    PROGRESS: [{ type: "PROGRESS", written: 1024 }],
    DOWNLOADED: [{ type: "DOWNLOADED" }],
    DOWNLOAD_FAILED: [{ type: "DOWNLOAD_FAILED", error: "truncated chunk" }],
    VERIFIED: [{ type: "VERIFIED" }],
    STAGED: [{ type: "STAGED" }],
    HEALTHY: [{ type: "HEALTHY" }],
    REACHED: [{ type: "REACHED" }],
    TOKEN: TOKEN_EVENT,
    TOKEN_LOST,
    NETWORK_UP: [{ type: "NETWORK_UP" }],
    NETWORK_DOWN: [{ type: "NETWORK_DOWN" }],
  },
  key: (c) => [c.networkUp, c.token !== null, c.wanted, c.healthy, c.reached, c.rolledBack.length],
};

/** A manager for the controller to supervise: ready, answering pings, nothing else. */
const supervised = setup({}).createMachine({
  id: "probe",
  initial: "up",
  on: { PING: { actions: answerPing } },
  states: { up: { tags: READY } },
});

/** One manager taking reports and a configuration section, one depending on it. */
const SUPERVISED: ManagerSpec[] = [
  {
    id: "probe",
    logic: supervised,
    dependsOn: [],
    requiredForReadiness: true,
    configKey: "probe",
    subscribes: ["NETWORK_UP", "ALARM"],
    queues: ["ALARM"],
  },
  { id: "sensor", logic: supervised, dependsOn: ["probe"], requiredForReadiness: false },
];

const controller: PathModel = {
  id: "controller",
  build: () => ({
    machine: createControllerMachine(SUPERVISED, {
      persistEscalation: () => undefined,
      reset: () => undefined,
      enableWatchdog: () => undefined,
      kickWatchdog: () => undefined,
    }),
    // Two restarts within the window escalate: the escalation in a short path.
    input: { supervisor: { maxRestarts: 1 }, watchdogLimits: { maxMs: 30_000, stepMs: 1_000 } },
  }),
  samples: {
    PING,
    PONG: [{ type: "PONG", manager: "probe", seq: 1 }],
    // A section for the probe, a watchdog timeout the board holds, one it cannot count.
    CONFIG_UPDATED: [
      {
        type: "CONFIG_UPDATED",
        config: { probe: { rate: 2 }, watchdog: { hardwareTimeoutMs: 20_000 } },
        changed: ["probe", "watchdog"],
        version: 2,
      },
      {
        type: "CONFIG_UPDATED",
        config: { watchdog: { hardwareTimeoutMs: 45_500 } },
        changed: ["watchdog"],
        version: 3,
      },
    ],
    // Reports: one every subscriber keeps the latest of, one held in a queue while it restarts.
    "*": [
      { type: "NETWORK_UP", attempts: 1 },
      { type: "ALARM", alarm: { type: "sensor-hot", severity: "warning", source: "probe" } },
    ],
    "xstate.error.actor.*": [
      { type: "xstate.error.actor.probe", error: "divide by zero", actorId: "probe" },
    ],
    RESTART: [{ type: "RESTART", id: "probe" }],
    RESTART_EXPIRED: [{ type: "RESTART_EXPIRED", id: "probe" }],
  },
  // Sent alone, RESTART_EXPIRED counts the window below zero: the graph stops telling at 0.
  key: (c) => [Math.max(0, c.restartsInWindow), Object.keys(c.awaiting), c.unresponsive],
};

export const PATH_MODELS: readonly PathModel[] = [
  controller,
  logger,
  network,
  auth,
  config,
  api,
  alarms,
  watchdog,
  timesync,
  state,
  ota,
];
