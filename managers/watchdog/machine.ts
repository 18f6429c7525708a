/**
 * WatchdogManager: proves to ServiceDiscovery, every `heartbeatIntervalMs`, that the device is
 * alive and reachable, with a summary of its state, and escalates when it cannot.
 *
 * `idle → (heartbeatInterval) beating → idle`. A heartbeat the server acknowledges sets the count
 * of consecutive misses back to zero. Anything else is a miss: a timeout, an error status, a body
 * that is not JSON, and a beat that falls due while the network is down or without a token (it
 * is not sent). At `reconnectAfterMisses` misses in a row it asks its parent for `RECONNECT` (the
 * network manager drops its link and joins again); at `resetAfterMisses` it resets the device.
 * Each escalation happens once per spell of misses; the first miss, each escalation and the
 * recovery are logged. A 401 sends `TOKEN_REJECTED`
 * once per token (the AuthManager refreshes); the next beat goes with the token that comes back.
 *
 * The hardware watchdog is not kicked here but by the controller's healthy tick: this manager
 * watches the path to the servers, the hardware one the event loop. It starts on the defaults;
 * settings come by `CONFIGURE` (the `watchdog` section); a reset threshold not above the reconnect one is
 * refused with the field named, and the settings in force stay. Never required for readiness.
 *
 * Context others read (the device API's metrics): `missed` (in a row), `missedTotal`,
 * `heartbeats` (acknowledged).
 */
import { assign, type CallbackActorLogic, type EventObject, enqueueActions, setup } from "xstate";
import { mergeSettings, type SettingsMerge, settingsDefaults } from "../../runtime/settings.js";
import {
  acceptSettings,
  answerPing,
  logAction,
  type PingEvent,
  READY,
  reportTokenRejected,
} from "../supervision.js";
import { watchdogSettings } from "./settings.js";

export interface WatchdogSettings {
  heartbeatIntervalMs: number;
  requestTimeoutMs: number;
  reconnectAfterMisses: number;
  resetAfterMisses: number;
}

/** The `watchdog` configuration section: these settings and the controller's hardware timeout. */
export type WatchdogSection = Partial<WatchdogSettings> & { hardwareTimeoutMs?: number };

export const WATCHDOG_DEFAULTS: WatchdogSettings = settingsDefaults(watchdogSettings);

/** The reason given to the board's reset when the heartbeats stay unanswered. */
export const WATCHDOG_RESET_REASON = "watchdog";

export type WatchdogEvent =
  | { type: "CONFIGURE"; settings: WatchdogSection }
  | { type: "TOKEN"; token: string }
  | { type: "TOKEN_LOST" }
  | { type: "NETWORK_UP" }
  | { type: "NETWORK_DOWN" }
  | { type: "HEARTBEAT_ACKED" }
  | { type: "HEARTBEAT_FAILED"; error: string; status?: number }
  | PingEvent;

/** What it asks of its parent: routed to the network manager. */
export interface ReconnectRequest {
  type: "RECONNECT";
  reason: string;
  /** Board time, so the network manager can close its connected spell. */
  at: number;
}

export interface WatchdogInput {
  deviceId: string;
  discoveryUrl: string;
  /** The managers the heartbeat's summary describes: the table's ids. */
  managers: readonly string[];
}

export interface WatchdogContext {
  deviceId: string;
  discoveryUrl: string;
  managers: readonly string[];
  settings: WatchdogSettings;
  token: string | null;
  networkUp: boolean;
  /** Whether `TOKEN_REJECTED` went out for the token held: sent once per token. */
  tokenRejected: boolean;
  missed: number;
  /**
   * How far this spell of misses has escalated (0 not yet, 1 reconnected, 2 reset): each step
   * once, and a threshold lowered by config below the count still takes its step.
   */
  escalated: number;
  missedTotal: number;
  heartbeats: number;
  lastError: string | null;
}

export interface HeartbeatInput {
  url: string;
  token: string;
  deviceId: string;
  managers: readonly string[];
  timeoutMs: number;
}

export interface WatchdogEffects {
  /** Sends one heartbeat with the device's summary: `HEARTBEAT_ACKED` or `HEARTBEAT_FAILED`. */
  sendHeartbeat: CallbackActorLogic<EventObject, HeartbeatInput>;
  resetDevice: (reason: string) => void;
  /** The board's time, stamped on `RECONNECT`. */
  now: () => number;
}

/**
 * Merges `changes` over `current` and checks the result as a whole. Returns the new settings, or
 * the first error naming its field. `hardwareTimeoutMs` belongs to the controller: passed over.
 */
export function mergeWatchdogSettings(
  current: WatchdogSettings,
  changes: WatchdogSection,
): SettingsMerge<WatchdogSettings> {
  return mergeSettings(current, changes, watchdogSettings);
}

export function createWatchdogMachine(effects: WatchdogEffects) {
  return setup({
    types: {
      context: {} as WatchdogContext,
      events: {} as WatchdogEvent,
      input: {} as WatchdogInput,
    },
    actors: { sendHeartbeat: effects.sendHeartbeat },
    actions: {
      log: logAction("watchdog"),
      /** Counts a miss and escalates when the count reaches a threshold. */
      miss: enqueueActions(({ context, event, enqueue }) => {
        const reason =
          event.type === "HEARTBEAT_FAILED"
            ? event.status
              ? `${event.error} (HTTP ${event.status})`
              : event.error
            : context.networkUp
              ? "no token"
              : "network down";
        const missed = context.missed + 1;
        const { reconnectAfterMisses, resetAfterMisses } = context.settings;
        enqueue.assign({
          missed,
          missedTotal: context.missedTotal + 1,
          lastError: reason,
        });
        // The first miss of a spell and its escalations are logged, not every miss: an outage
        // of hours would otherwise push older lines out of the flash.
        if (missed === 1) {
          enqueue({ type: "log", params: { level: "warn", msg: `heartbeat missed: ${reason}` } });
        }
        const why = `${missed} heartbeats missed`;
        if (missed >= reconnectAfterMisses && context.escalated < 1) {
          enqueue.assign({ escalated: 1 });
          enqueue({
            type: "log",
            params: { level: "error", msg: `${why} (last: ${reason}): reconnecting the network` },
          });
          enqueue.sendParent(() => ({ type: "RECONNECT", reason: why, at: effects.now() }));
        }
        if (missed >= resetAfterMisses && context.escalated < 2) {
          enqueue.assign({ escalated: 2 });
          enqueue({
            type: "log",
            params: { level: "error", msg: `${why} (last: ${reason}): resetting the device` },
          });
          enqueue(() => effects.resetDevice(WATCHDOG_RESET_REASON));
        }
      }),
      acknowledge: enqueueActions(({ context, enqueue }) => {
        if (context.missed > 0) {
          enqueue({
            type: "log",
            params: {
              level: "info",
              msg: `heartbeat acknowledged after ${context.missed} missed`,
            },
          });
        }
        enqueue.assign({
          missed: 0,
          escalated: 0,
          heartbeats: context.heartbeats + 1,
          lastError: null,
        });
      }),
    },
    guards: {
      canSend: ({ context }) => context.networkUp && context.token !== null,
      refusedToken: ({ context, event }) =>
        event.type === "HEARTBEAT_FAILED" && event.status === 401 && !context.tokenRejected,
    },
    delays: {
      heartbeatInterval: ({ context }) => context.settings.heartbeatIntervalMs,
    },
  }).createMachine({
    id: "watchdog",
    context: ({ input }) => ({
      deviceId: input.deviceId,
      discoveryUrl: input.discoveryUrl,
      managers: input.managers,
      settings: WATCHDOG_DEFAULTS,
      token: null,
      networkUp: false,
      tokenRejected: false,
      missed: 0,
      escalated: 0,
      missedTotal: 0,
      heartbeats: 0,
      lastError: null,
    }),
    initial: "idle",
    on: {
      PING: { actions: answerPing },
      CONFIGURE: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const settings = acceptSettings(
            mergeWatchdogSettings(context.settings, event.settings),
            enqueue,
            "watchdog",
          );
          if (settings === null) return;
          enqueue.assign({ settings });
        }),
      },
      TOKEN: { actions: assign({ token: ({ event }) => event.token, tokenRejected: false }) },
      TOKEN_LOST: { actions: assign({ token: null }) },
      NETWORK_UP: { actions: assign({ networkUp: true }) },
      NETWORK_DOWN: { actions: assign({ networkUp: false }) },
    },
    states: {
      idle: {
        tags: READY,
        after: {
          heartbeatInterval: [
            { guard: "canSend", target: "beating" },
            { target: "idle", reenter: true, actions: "miss" },
          ],
        },
      },
      beating: {
        tags: READY,
        invoke: {
          src: "sendHeartbeat",
          input: ({ context }) => ({
            url: `${context.discoveryUrl}/v1/heartbeat`,
            token: context.token ?? "",
            deviceId: context.deviceId,
            managers: context.managers,
            timeoutMs: context.settings.requestTimeoutMs,
          }),
        },
        on: {
          HEARTBEAT_ACKED: { target: "idle", actions: "acknowledge" },
          HEARTBEAT_FAILED: [
            {
              guard: "refusedToken",
              target: "idle",
              actions: [assign({ tokenRejected: true }), reportTokenRejected, "miss"],
            },
            { target: "idle", actions: "miss" },
          ],
        },
      },
    },
  });
}

export type WatchdogMachine = ReturnType<typeof createWatchdogMachine>;
