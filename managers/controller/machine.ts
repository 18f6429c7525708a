/**
 * Controller: the root supervisor, the one place that knows the whole device.
 *
 * It runs the managers listed in a table (`ManagerSpec`): each is spawned in dependency order
 * with the system id of its name, and a new manager joins by one more entry, not new logic.
 *
 * Restart strategy (one-for-one, as OTP supervisors): a manager that fails (XState's
 * `xstate.error.actor.<id>`) is restarted alone after a backoff (base·2^n for its n-th restart
 * within the window, capped); the others are not touched. The new instance is handed its section
 * of the configuration in force and the latest report of each type it subscribes to (the token,
 * say), so it resumes where its predecessor was rather than from its defaults. Every restart
 * counts against the intensity limit for `windowMs` (default 5 restarts in 60 s, across all
 * managers): one more escalates. The reason is logged and persisted, the device is reset once with
 * `supervisor-escalation`, and the controller stops supervising.
 *
 * Liveness: every `pingIntervalMs` the controller pings each manager; one that has not answered
 * by the next ping is named as unresponsive until it answers again. The controller answers
 * a `PING` from its host with an emitted `PONG`, so a host can tell a live controller from a
 * wedged one; the PONG carries the readiness too. Readiness is read off the managers' `ready` tags
 * (`readiness()` below).
 *
 * Hardware watchdog: enabled at start with `watchdog.hardwareTimeoutMs` (default 60 s), and kicked
 * only on a ping round that finds every manager live, never while escalated. So a wedged event
 * loop, a stuck controller or a manager that stops answering gets the device reset. The timeout
 * must exceed the ping interval: a configuration that breaks this is refused whole (the
 * supervisor's settings and the timeout in force stay).
 *
 * Reports a manager sends its parent (`NETWORK_UP`, `TOKEN`...) are routed to the managers whose
 * table entry subscribes to them; a new configuration (`CONFIG_UPDATED`) goes, section by section,
 * to the managers whose entry names that section (`configKey`), whole to those that subscribe to
 * it, and its `supervisor` section is the controller's own (validated by the configuration's
 * schema before it gets here), as is `hardwareTimeoutMs` of the `watchdog` section.
 */
import { type AnyActorRef, type AnyEventObject, assign, emit, enqueueActions, setup } from "xstate";
import { backoffCeiling } from "../../runtime/backoff.js";
import { mergeSettings, settingsDefaults } from "../../runtime/settings.js";
import {
  alarmEvent,
  logAction,
  type PongEvent,
  type SettingsRefusedReport,
} from "../supervision.js";
import { readiness } from "./health.js";
import { supervisorSettings } from "./settings.js";
import { type ManagerSpec, startOrder, takes } from "./spec.js";

/** The configuration manager's report that a new configuration is in force. */
export interface ConfigUpdated {
  type: "CONFIG_UPDATED";
  config: Record<string, unknown>;
  /** The top-level sections that changed. */
  changed: string[];
  version: number | null;
}

export interface SupervisorSettings {
  maxRestarts: number;
  windowMs: number;
  restartBaseMs: number;
  restartCapMs: number;
  /** Also the deadline: a manager that has not answered by the next ping is unresponsive. */
  pingIntervalMs: number;
}

export interface ControllerInput {
  supervisor?: Partial<SupervisorSettings>;
  /** What the board's hardware watchdog can hold (its profile's `watchdog`); any when absent. */
  watchdogLimits?: { maxMs: number; stepMs: number };
}

export interface ControllerContext {
  settings: SupervisorSettings;
  /** Restarts of each manager within the window: the n of its next backoff. */
  restarts: Record<string, number>;
  /** Restarts of each manager since the controller started (the device API's counter). */
  restartsTotal: Record<string, number>;
  restartsInWindow: number;
  /** Why each manager last failed. */
  failures: Record<string, string>;
  pingSeq: number;
  /** Managers that have not yet answered the ping with this sequence number. */
  awaiting: Record<string, number>;
  unresponsive: string[];
  escalation: string | null;
  /** The hardware watchdog's timeout in force. */
  hardwareTimeoutMs: number;
  watchdogLimits: { maxMs: number; stepMs: number };
  /** The configuration in force, from flash or the server: a restarted manager gets its section. */
  config: Record<string, unknown> | null;
  /** The latest routed report of each type, oldest first: replayed to a restarted subscriber. */
  retained: AnyEventObject[];
  /** Reports of a queued type held for a manager waiting for its restart, by manager id. */
  held: Record<string, AnyEventObject[]>;
}

export type ControllerEvent =
  | { type: "RESTART"; id: string }
  | { type: "RESTART_EXPIRED"; id: string }
  | { type: "PING"; seq: number }
  | PongEvent
  | AnyEventObject;

/** The controller's answer to its host's `PING`: liveness and readiness in one round trip. */
export interface HostPong {
  type: "PONG";
  seq: number;
  /** Managers that missed the last ping: the controller is live while none did. */
  unresponsive: string[];
  ready: boolean;
  /** Each required manager that is not ready, with why (see `readiness`). */
  failing: Record<string, string>;
}

export interface ControllerEffects {
  /** Keeps the escalation's reason where it survives the reset (flash). */
  persistEscalation: (reason: string) => void;
  reset: (reason: string) => void;
  /** Arms the hardware watchdog (again, with a new timeout). */
  enableWatchdog: (timeoutMs: number) => void;
  kickWatchdog: () => void;
}

export const SUPERVISOR_DEFAULTS: SupervisorSettings = settingsDefaults(supervisorSettings);

const settingsOrDefaults = (start: ReturnType<typeof startingSettings>) =>
  "error" in start ? SUPERVISOR_DEFAULTS : start.settings;

/** The supervisor settings the board's profile makes of the defaults, or why it is refused. */
function startingSettings(input: ControllerInput) {
  return input.supervisor === undefined
    ? { settings: SUPERVISOR_DEFAULTS }
    : mergeSettings(SUPERVISOR_DEFAULTS, input.supervisor, supervisorSettings);
}

/** Reports held for one manager waiting for its restart, at most (the oldest go first). */
export const MAX_HELD = 32;

const FAILURE_PREFIX = "xstate.error.actor.";

/** The section of the device configuration that holds the supervisor's own settings. */
export const SUPERVISOR_CONFIG_KEY = "supervisor";

/** The configuration section holding `hardwareTimeoutMs`, beside the WatchdogManager's settings. */
export const WATCHDOG_CONFIG_KEY = "watchdog";

export const HARDWARE_WATCHDOG_DEFAULT_MS = 60_000;

/** The ConfigManager's system id: told of every refused section. */
const CONFIG_ID = "config";

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createControllerMachine(specs: readonly ManagerSpec[], effects: ControllerEffects) {
  const ordered = startOrder(specs);
  const specOf = (id: string) => ordered.find((s) => s.id === id);
  // The table's machines are of many types; XState's typed spawn overloads cannot follow them.
  // A call, not a spread of the arguments: a spread costs the device build Babel's helpers for
  // iterables.
  const spawnManager = (
    enqueue: { spawnChild(logic: any, options: any): void },
    spec: ManagerSpec,
  ) => enqueue.spawnChild(spec.logic, { id: spec.id, systemId: spec.id, input: spec.input });

  return setup({
    types: {
      context: {} as ControllerContext,
      events: {} as ControllerEvent,
      input: {} as ControllerInput,
      emitted: {} as HostPong,
    },
    actions: {
      log: logAction("controller"),
      persistEscalation: ({ context }) => effects.persistEscalation(context.escalation ?? ""),
      reset: () => effects.reset("supervisor-escalation"),
      enableWatchdog: (_, params: { timeoutMs: number }) =>
        effects.enableWatchdog(params.timeoutMs),
      kickWatchdog: () => effects.kickWatchdog(),
    },
    guards: {
      beyondIntensity: ({ context }) => context.restartsInWindow + 1 > context.settings.maxRestarts,
    },
    delays: {
      pingInterval: ({ context }) => context.settings.pingIntervalMs,
    },
  }).createMachine({
    id: "controller",
    context: ({ input }) => ({
      // A profile's section the schema refuses leaves the defaults, and says so at entry.
      settings: settingsOrDefaults(startingSettings(input)),
      restarts: {},
      restartsTotal: {},
      restartsInWindow: 0,
      failures: {},
      pingSeq: 0,
      awaiting: {},
      unresponsive: [],
      escalation: null,
      // The default, cut to what the board's watchdog can count (8.3 s on an RP2040).
      hardwareTimeoutMs: Math.min(
        HARDWARE_WATCHDOG_DEFAULT_MS,
        input.watchdogLimits ? input.watchdogLimits.maxMs : HARDWARE_WATCHDOG_DEFAULT_MS,
      ),
      watchdogLimits: input.watchdogLimits || { maxMs: Number.MAX_VALUE, stepMs: 1 },
      config: null,
      retained: [],
      held: {},
    }),
    entry: enqueueActions(({ context, event, enqueue }) => {
      enqueue({ type: "enableWatchdog", params: { timeoutMs: context.hardwareTimeoutMs } });
      for (const spec of ordered) spawnManager(enqueue, spec);
      // Not SETTINGS_REFUSED: the profile is not a configuration version the ConfigManager holds.
      const start = startingSettings((event as unknown as { input: ControllerInput }).input);
      if ("error" in start) {
        const error = `board profile: ${start.error}; the defaults run`;
        enqueue({ type: "log", params: { level: "error", msg: `settings refused: ${error}` } });
        // Delayed, so that it is routed once the controller has started (its first step is over).
        enqueue.raise(
          alarmEvent("settings-refused", "warning", "controller", {
            section: SUPERVISOR_CONFIG_KEY,
            error,
          }),
          { delay: 0 },
        );
      }
    }),
    initial: "supervising",
    on: {
      PING: {
        actions: emit(({ context, event, self }) => {
          const health = readiness(self.getSnapshot(), ordered);
          return {
            type: "PONG" as const,
            seq: (event as { seq: number }).seq,
            unresponsive: context.unresponsive,
            ready: health.ready,
            failing: health.failing,
          };
        }),
      },
      CONFIG_UPDATED: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const update = event as ConfigUpdated;
          for (const spec of ordered) {
            const key = spec.configKey;
            if (key && update.changed.indexOf(key) >= 0 && update.config[key] !== undefined) {
              enqueue.sendTo(spec.id, { type: "CONFIGURE", settings: update.config[key] });
            }
            if (spec.subscribes?.includes("CONFIG_UPDATED")) enqueue.sendTo(spec.id, update);
          }
          const supervisor = update.config[SUPERVISOR_CONFIG_KEY];
          const merged =
            update.changed.indexOf(SUPERVISOR_CONFIG_KEY) >= 0 && supervisor
              ? mergeSettings(context.settings, supervisor, supervisorSettings)
              : { settings: context.settings };
          if ("error" in merged) {
            enqueue({
              type: "log",
              params: { level: "error", msg: `settings refused: ${merged.error}` },
            });
            enqueue.raise({
              type: "SETTINGS_REFUSED",
              manager: "controller",
              section: SUPERVISOR_CONFIG_KEY,
              error: merged.error,
            });
          }
          const settings = "error" in merged ? context.settings : merged.settings;
          const watchdog = update.config[WATCHDOG_CONFIG_KEY] as
            | { hardwareTimeoutMs?: number }
            | undefined;
          const timeoutMs =
            update.changed.indexOf(WATCHDOG_CONFIG_KEY) >= 0 && watchdog?.hardwareTimeoutMs
              ? watchdog.hardwareTimeoutMs
              : context.hardwareTimeoutMs;
          const limits = context.watchdogLimits;
          // A timeout the chip cannot count would be clamped or rounded by it, silently; one not
          // above the ping interval would bite a healthy device kicked once a round.
          const refused =
            timeoutMs > limits.maxMs || timeoutMs % limits.stepMs !== 0
              ? `watchdog.hardwareTimeoutMs (${timeoutMs} ms) is more than this board's watchdog holds (${limits.maxMs} ms) or not a multiple of ${limits.stepMs} ms`
              : timeoutMs <= settings.pingIntervalMs
                ? `watchdog.hardwareTimeoutMs (${timeoutMs} ms) must exceed supervisor.pingIntervalMs (${settings.pingIntervalMs} ms)`
                : null;
          if (refused !== null) {
            enqueue({
              type: "log",
              params: { level: "error", msg: `settings refused: ${refused}` },
            });
            enqueue.raise({
              type: "SETTINGS_REFUSED",
              manager: "controller",
              section: WATCHDOG_CONFIG_KEY,
              error: refused,
            });
          } else {
            enqueue.assign({ settings, hardwareTimeoutMs: timeoutMs });
            if (timeoutMs !== context.hardwareTimeoutMs) {
              enqueue({ type: "enableWatchdog", params: { timeoutMs } });
            }
          }
          // The built-in defaults are what a manager starts on anyway: only a kept version counts.
          if (update.version !== null) enqueue.assign({ config: update.config });
        }),
      },
      // A section its manager refused: an alarm, and the ConfigManager told, so the version is
      // not reported applied while a manager runs its old settings.
      SETTINGS_REFUSED: {
        actions: enqueueActions(({ event, self, enqueue }) => {
          const refusal = event as SettingsRefusedReport;
          const section = refusal.section ?? specOf(refusal.manager)?.configKey ?? refusal.manager;
          enqueue.raise(
            alarmEvent("settings-refused", "warning", refusal.manager, {
              section,
              error: refusal.error,
            }),
          );
          if (self.getSnapshot().children[CONFIG_ID]) {
            enqueue.sendTo(CONFIG_ID, { type: "SECTION_REFUSED", section, error: refusal.error });
          }
        }),
      },
      "*": {
        actions: enqueueActions(({ context, event, self, enqueue }) => {
          let subscribed = false;
          let held = context.held;
          const children = self.getSnapshot().children as Record<string, AnyActorRef>;
          for (const spec of ordered) {
            if (!takes(spec.subscribes, event.type)) continue;
            subscribed = true;
            if (children[spec.id]?.getSnapshot().status === "active") {
              enqueue.sendTo(spec.id, event);
            } else if (takes(spec.queues, event.type)) {
              // Waiting for its restart: held for it, newest kept.
              const mine = (held[spec.id] ?? []).concat(event).slice(-MAX_HELD);
              held = Object.assign({}, held, { [spec.id]: mine });
            }
            // Otherwise it gets the retained report when it is back.
          }
          if (subscribed) {
            enqueue.assign({
              retained: context.retained.filter((e) => e.type !== event.type).concat(event),
              held,
            });
          }
        }),
      },
    },
    states: {
      supervising: {
        after: {
          pingInterval: {
            target: "supervising",
            reenter: true,
            actions: enqueueActions(({ context, self, enqueue }) => {
              // Whoever has not answered the last round by now is unresponsive: the ping
              // interval is the deadline, which costs no timer of its own.
              const late = Object.keys(context.awaiting);
              const newlyLate = late.filter((id) => context.unresponsive.indexOf(id) < 0);
              if (newlyLate.length > 0) {
                enqueue({
                  type: "log",
                  params: { level: "error", msg: `not answering: ${newlyLate.join(", ")}` },
                });
              }
              const seq = context.pingSeq + 1;
              const awaiting: Record<string, number> = {};
              const children = self.getSnapshot().children as Record<string, AnyActorRef>;
              for (const spec of ordered) {
                // A failed manager waiting for its restart is restarting, not unresponsive.
                if (children[spec.id]?.getSnapshot().status !== "active") continue;
                awaiting[spec.id] = seq;
                enqueue.sendTo(spec.id, { type: "PING", seq });
              }
              const unresponsive = late.filter((id) => awaiting[id] !== undefined);
              enqueue.assign({ pingSeq: seq, awaiting, unresponsive });
              // The healthy tick: the only place the hardware watchdog is kicked.
              if (unresponsive.length === 0) enqueue("kickWatchdog");
            }),
          },
        },
        on: {
          PONG: {
            actions: assign(({ context, event }) => {
              const pong = event as PongEvent;
              if (context.awaiting[pong.manager] !== pong.seq) return {};
              // Copied without the key rather than copied and deleted from: on V8 a delete turns
              // the object into a slow dictionary, and this runs for every manager every round.
              const awaiting: Record<string, number> = {};
              const ids = Object.keys(context.awaiting);
              for (let i = 0; i < ids.length; i++) {
                if (ids[i] !== pong.manager) awaiting[ids[i]] = context.awaiting[ids[i]];
              }
              const unresponsive =
                context.unresponsive.indexOf(pong.manager) < 0
                  ? context.unresponsive
                  : context.unresponsive.filter((id) => id !== pong.manager);
              return { awaiting, unresponsive };
            }),
          },
          "xstate.error.actor.*": [
            {
              guard: "beyondIntensity",
              target: "escalated",
              actions: assign(({ context, event }) => ({
                escalation:
                  `${event.type.slice(FAILURE_PREFIX.length)} failed (${errorText((event as { error?: unknown }).error)}) ` +
                  `after ${context.restartsInWindow} restart(s) within ${context.settings.windowMs} ms`,
              })),
            },
            {
              actions: enqueueActions(({ context, event, enqueue }) => {
                const id = event.type.slice(FAILURE_PREFIX.length);
                const n = context.restarts[id] ?? 0;
                const delay = backoffCeiling(
                  n,
                  context.settings.restartBaseMs,
                  context.settings.restartCapMs,
                );
                enqueue.assign({
                  restarts: Object.assign({}, context.restarts, { [id]: n + 1 }),
                  restartsTotal: Object.assign({}, context.restartsTotal, {
                    [id]: (context.restartsTotal[id] ?? 0) + 1,
                  }),
                  restartsInWindow: context.restartsInWindow + 1,
                  failures: Object.assign({}, context.failures, {
                    [id]: errorText((event as { error?: unknown }).error),
                  }),
                });
                enqueue({
                  type: "log",
                  params: {
                    level: "error",
                    msg: `${id} failed: ${errorText((event as { error?: unknown }).error)}; restarting in ${delay} ms`,
                  },
                });
                // Routed like any report: the AlarmManager gets it, or, if it is the one that
                // failed, its new instance does (ALARM is queued for it while it restarts).
                enqueue.raise(
                  alarmEvent("manager-failed", "error", id, {
                    error: errorText((event as { error?: unknown }).error),
                  }),
                );
                enqueue.raise({ type: "RESTART", id }, { delay });
                enqueue.raise(
                  { type: "RESTART_EXPIRED", id },
                  { delay: context.settings.windowMs },
                );
              }),
            },
          ],
          RESTART: {
            actions: enqueueActions(({ context, event, enqueue }) => {
              const spec = specOf((event as { id: string }).id);
              if (!spec) return;
              enqueue.stopChild(spec.id);
              spawnManager(enqueue, spec);
              // A new instance knows nothing: give it what its predecessor had been told.
              const section =
                spec.configKey && context.config ? context.config[spec.configKey] : undefined;
              if (section !== undefined)
                enqueue.sendTo(spec.id, { type: "CONFIGURE", settings: section });
              for (const report of context.retained) {
                if (!takes(spec.subscribes, report.type)) continue;
                if (!takes(spec.queues, report.type)) enqueue.sendTo(spec.id, report);
              }
              const held = context.held[spec.id];
              if (held) {
                for (const report of held) enqueue.sendTo(spec.id, report);
                const rest = Object.assign({}, context.held);
                delete rest[spec.id];
                enqueue.assign({ held: rest });
              }
            }),
          },
          RESTART_EXPIRED: {
            actions: assign(({ context, event }) => {
              const id = (event as { id: string }).id;
              return {
                restarts: Object.assign({}, context.restarts, {
                  [id]: (context.restarts[id] ?? 1) - 1,
                }),
                restartsInWindow: context.restartsInWindow - 1,
              };
            }),
          },
        },
      },
      escalated: {
        entry: [
          {
            type: "log",
            params: ({ context }) => ({
              level: "error",
              msg: `supervisor escalation: ${context.escalation}; resetting the device`,
            }),
          },
          "persistEscalation",
          enqueueActions(({ self, enqueue }) => {
            for (const id of Object.keys(self.getSnapshot().children)) enqueue.stopChild(id);
          }),
          "reset",
        ],
      },
    },
  });
}

export type ControllerMachine = ReturnType<typeof createControllerMachine>;
