/**
 * NetworkManager: keeps the device on WiFi.
 *
 * disconnected → connecting → connected (probing the link every `probeIntervalMs`) and, when the
 * link is lost, the connect fails or times out, or `probeFailuresToDrop` probes in a row fail,
 * backoff → connecting. The wait in backoff is full-jitter exponential (`runtime/backoff.ts`):
 * uniform in [0, min(cap, base·2^n)) for the n-th retry since the last connection, drawn from a
 * seeded generator kept in context, so a run is reproducible from its seed. At most one connect
 * is in flight: leaving `connecting` (timeout, failure, DISCONNECT) abandons the attempt.
 *
 * A board without a radio answers `no-radio`: the manager logs it once and stays disconnected
 * rather than retrying forever. It tells its parent `NETWORK_UP` on entering `connected` and
 * `NETWORK_DOWN` (with the reason) on leaving it. `RECONNECT` (the watchdog's escalation) drops
 * a connected link and joins again at once. Settings come at start and by `CONFIGURE`;
 * an invalid setting is refused with the field named and the previous settings stay. It is
 * ready (for the controller's readiness) while connected.
 *
 * Pure: the radio is reached only through the actors and actions handed to
 * `createNetworkMachine`, time only through `after` (the actor's clock) and the `at` stamps the
 * actors put on the events they send.
 */
import {
  assign,
  type CallbackActorLogic,
  type EventObject,
  enqueueActions,
  raise,
  sendParent,
  sendTo,
  setup,
} from "xstate";
import { nextBackoff } from "../../runtime/backoff.js";
import { seedFrom } from "../../runtime/random.js";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import { acceptSettings, answerPing, logAction, type PingEvent, READY } from "../supervision.js";
import { networkSettings } from "./settings.js";

export interface NetworkSettings {
  ssid: string;
  password: string;
  connectTimeoutMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  probeFailuresToDrop: number;
}

export type NetworkEvent =
  | { type: "CONNECT" }
  | { type: "DISCONNECT"; at: number }
  | { type: "RECONNECT"; reason: string; at: number }
  | { type: "CONFIGURE"; settings: Partial<NetworkSettings> }
  | { type: "WIFI_CONNECTED"; at: number }
  | { type: "WIFI_FAILED"; error: string }
  | { type: "WIFI_LOST"; reason: string; at: number }
  | { type: "PROBE_OK" }
  | { type: "PROBE_FAILED"; reason: string; at: number }
  | PingEvent;

/** What the manager asks of its link monitor. */
export interface ProbeRequest {
  type: "PROBE";
  timeoutMs: number;
}

/** What the manager tells its parent. */
export type NetworkReport =
  | { type: "NETWORK_UP"; attempts: number }
  | { type: "NETWORK_DOWN"; reason: string };

export interface NetworkInput {
  settings?: Partial<NetworkSettings>;
  /** Seed of the jitter generator: from the board's random source, or fixed in a replay. */
  seed: number;
}

export interface NetworkContext {
  settings: NetworkSettings;
  seed: number;
  /** Backoff waits since the last connection: the n of base·2^n. */
  retry: number;
  backoffMs: number;
  probeFailures: number;
  attempts: number;
  connections: number;
  /** Time connected in closed spells; the open spell started at `connectedSince`. */
  connectedMs: number;
  connectedSince: number | null;
  lastError: string | null;
}

/** The effects the manager needs, provided by `managers/network/effects.ts` for a given board. */
export interface NetworkEffects {
  connectWifi: CallbackActorLogic<EventObject, { ssid: string; password: string }>;
  /**
   * Lives as long as the link: sends `WIFI_LOST` when the radio reports a drop, and answers each
   * `PROBE` with `PROBE_OK` or `PROBE_FAILED`. One actor for the whole spell rather than one per
   * probe: an actor costs hundreds of JsVars to create on the device.
   */
  linkMonitor: CallbackActorLogic<ProbeRequest>;
  disconnectRadio: () => void;
}

export const NETWORK_DEFAULTS: NetworkSettings = settingsDefaults(networkSettings);

/**
 * Merges `changes` over `current` and checks the result as a whole (so a cap is compared with
 * the base it will run with). Returns the new settings, or the first error naming its field.
 */
export function mergeNetworkSettings(
  current: NetworkSettings,
  changes: Partial<NetworkSettings>,
): SettingsMerge<NetworkSettings> {
  return mergeSettings(current, changes, networkSettings);
}

/** Counters for metrics, derived from the context rather than kept twice. */
export function networkCounters(context: NetworkContext, now: number) {
  const open = context.connectedSince === null ? 0 : now - context.connectedSince;
  return {
    attempts: context.attempts,
    connections: context.connections,
    reconnects: context.connections > 0 ? context.connections - 1 : 0,
    connectedMs: context.connectedMs + open,
  };
}

/** The stamp of an event that ends a connected spell, if it carries one. */
function stampOf(event: NetworkEvent): number | null {
  return "at" in event ? event.at : null;
}

export function createNetworkMachine(effects: NetworkEffects) {
  return setup({
    types: {
      context: {} as NetworkContext,
      events: {} as NetworkEvent,
      input: {} as NetworkInput,
    },
    actors: {
      connectWifi: effects.connectWifi,
      linkMonitor: effects.linkMonitor,
    },
    actions: {
      log: logAction("network"),
      disconnectRadio: () => effects.disconnectRadio(),
      countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
      chooseBackoff: assign(({ context }) =>
        nextBackoff(context, context.settings.backoffBaseMs, context.settings.backoffCapMs),
      ),
      openSpell: assign(({ context, event }) => ({
        connections: context.connections + 1,
        connectedSince: stampOf(event),
        retry: 0,
        probeFailures: 0,
        lastError: null,
      })),
      closeSpell: assign(({ context, event }) => {
        const at = stampOf(event);
        const since = context.connectedSince;
        return {
          connectedMs: context.connectedMs + (at !== null && since !== null ? at - since : 0),
          connectedSince: null,
        };
      }),
      reportUp: sendParent(({ context }) => ({
        type: "NETWORK_UP",
        attempts: context.attempts,
      })),
      reportDown: sendParent(({ event }) => ({
        type: "NETWORK_DOWN",
        reason:
          event.type === "DISCONNECT"
            ? "disconnect requested"
            : "reason" in event
              ? event.reason
              : event.type,
      })),
    },
    guards: {
      noRadio: ({ event }) => event.type === "WIFI_FAILED" && event.error === "no-radio",
      probeLimitReached: ({ context }) =>
        context.probeFailures + 1 >= context.settings.probeFailuresToDrop,
    },
    delays: {
      connectTimeout: ({ context }) => context.settings.connectTimeoutMs,
      backoffDelay: ({ context }) => context.backoffMs,
      probeInterval: ({ context }) => context.settings.probeIntervalMs,
    },
  }).createMachine({
    id: "network",
    context: ({ input }) => ({
      settings: NETWORK_DEFAULTS,
      seed: seedFrom(input.seed),
      retry: 0,
      backoffMs: 0,
      probeFailures: 0,
      attempts: 0,
      connections: 0,
      connectedMs: 0,
      connectedSince: null,
      lastError: null,
    }),
    initial: "disconnected",
    // Start-up settings pass the same check as later ones: refused, the defaults stay. Then the
    // device joins its network at once; a parent holds it back by DISCONNECT.
    entry: [
      raise(({ event }) => ({
        type: "CONFIGURE" as const,
        settings: (event as unknown as { input: NetworkInput }).input.settings ?? {},
      })),
      raise({ type: "CONNECT" }),
    ],
    on: {
      PING: { actions: answerPing },
      CONFIGURE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const settings = acceptSettings(
            mergeNetworkSettings(context.settings, event.settings),
            enqueue,
            "network",
          );
          if (settings === null) return;
          enqueue.assign({ settings });
          enqueue({ type: "log", params: { level: "info", msg: "settings applied" } });
        }),
      },
      DISCONNECT: { target: ".disconnected", actions: "disconnectRadio" },
    },
    states: {
      disconnected: {
        on: { CONNECT: "connecting" },
      },
      connecting: {
        entry: [
          "countAttempt",
          {
            type: "log",
            params: ({ context }) => ({
              level: "info",
              msg: `connecting to "${context.settings.ssid}" (attempt ${context.attempts})`,
            }),
          },
        ],
        invoke: {
          src: "connectWifi",
          input: ({ context }) => ({
            ssid: context.settings.ssid,
            password: context.settings.password,
          }),
        },
        after: {
          connectTimeout: {
            target: "backoff",
            actions: [
              assign({ lastError: "connect timeout" }),
              { type: "log", params: { level: "warn", msg: "connect timed out" } },
            ],
          },
        },
        on: {
          WIFI_CONNECTED: { target: "connected", actions: "openSpell" },
          WIFI_FAILED: [
            {
              guard: "noRadio",
              target: "disconnected",
              actions: [
                assign({ lastError: "no-radio" }),
                {
                  type: "log",
                  params: { level: "error", msg: "this board has no WiFi radio: staying offline" },
                },
              ],
            },
            {
              target: "backoff",
              actions: [
                assign({ lastError: ({ event }) => event.error }),
                {
                  type: "log",
                  params: ({ event }) => ({ level: "warn", msg: `connect failed: ${event.error}` }),
                },
              ],
            },
          ],
        },
      },
      connected: {
        tags: READY,
        entry: [
          "reportUp",
          {
            type: "log",
            params: ({ context }) => ({
              level: "info",
              msg: `connected after ${context.attempts} attempt(s)`,
            }),
          },
        ],
        exit: ["closeSpell", "reportDown"],
        invoke: { id: "link", src: "linkMonitor" },
        initial: "idle",
        states: {
          idle: {
            after: { probeInterval: "probing" },
          },
          probing: {
            entry: sendTo("link", ({ context }) => ({
              type: "PROBE" as const,
              timeoutMs: context.settings.probeTimeoutMs,
            })),
            on: {
              PROBE_OK: { target: "idle", actions: assign({ probeFailures: 0 }) },
              PROBE_FAILED: [
                {
                  guard: "probeLimitReached",
                  target: "#network.backoff",
                  actions: [
                    "disconnectRadio",
                    assign({ lastError: ({ event }) => `link dead: ${event.reason}` }),
                    {
                      type: "log",
                      params: ({ event }) => ({
                        level: "warn",
                        msg: `link dead (${event.reason}): reconnecting`,
                      }),
                    },
                  ],
                },
                {
                  target: "idle",
                  actions: assign({ probeFailures: ({ context }) => context.probeFailures + 1 }),
                },
              ],
            },
          },
        },
        on: {
          RECONNECT: {
            target: "connecting",
            actions: [
              "disconnectRadio",
              {
                type: "log",
                params: ({ event }) => ({ level: "warn", msg: `reconnecting: ${event.reason}` }),
              },
            ],
          },
          WIFI_LOST: {
            target: "backoff",
            actions: [
              assign({ lastError: ({ event }) => `link lost: ${event.reason}` }),
              {
                type: "log",
                params: ({ event }) => ({ level: "warn", msg: `link lost: ${event.reason}` }),
              },
            ],
          },
        },
      },
      backoff: {
        entry: [
          "chooseBackoff",
          {
            type: "log",
            params: ({ context }) => ({
              level: "info",
              msg: `retrying in ${context.backoffMs} ms (retry ${context.retry})`,
            }),
          },
        ],
        after: { backoffDelay: "connecting" },
        on: { CONNECT: "connecting" },
      },
    },
  });
}

export type NetworkMachine = ReturnType<typeof createNetworkMachine>;
