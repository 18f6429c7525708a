/**
 * ConfigManager: the device's configuration, from the ConfigurationServer, validated on the
 * device and applied by hot reload.
 *
 * At boot it applies the last known good configuration kept in flash, or, without one, the
 * schema's defaults: the device always runs on a configuration that passed validation. With a
 * token (from the AuthManager, routed by the controller) it polls the server every
 * `config.pollIntervalMs` (the interval is itself configuration) with the ETag it holds, so an
 * unchanged document costs a 304. A new document is validated against `deviceConfigSchema()`
 * with its defaults filled in; if valid it is applied (the controller gets `CONFIG_UPDATED`
 * naming the sections that changed, and hands each to its manager), then kept in flash as the
 * last known good. An invalid one changes nothing: its error paths are logged and an `ALARM`
 * goes to the parent, once per document.
 *
 * A 401 sends `TOKEN_REJECTED` to the AuthManager (through the controller) and the fetch is
 * retried once with the token that comes back; a configuration is never applied twice, since
 * only a new version or ETag is applied. Ready once a configuration is applied.
 */
import { assign, type CallbackActorLogic, type EventObject, enqueueActions, setup } from "xstate";
import { jsonEqual } from "../../runtime/jsonEqual.js";
import type { LogEntry } from "../../runtime/log.js";
import { applyDefaults, defaultsOf, type Schema, validate } from "../../runtime/schema.js";
import { settingsDefaults } from "../../runtime/settings.js";
import type { ConfigUpdated } from "../controller/machine.js";
import {
  answerPing,
  logAction,
  logTo,
  type PingEvent,
  READY,
  reportTokenRejected,
} from "../supervision.js";
import { deviceConfigSchema } from "./deviceSchema.js";
import { type ConfigSettings, configSettings } from "./settings.js";

export type DeviceConfig = Record<string, unknown>;

/** A configuration document as the server sends it and flash keeps it. */
export interface ConfigDocument {
  version: number;
  etag: string;
  config: unknown;
}

export type ConfigEvent =
  /** `problem`: flash held a last known good that could not be read (kept as `config.bad`). */
  | { type: "LKG_LOADED"; stored: ConfigDocument | null; problem: string | null }
  | ({ type: "CONFIG_RECEIVED" } & ConfigDocument)
  | { type: "CONFIG_NOT_MODIFIED" }
  | { type: "CONFIG_FETCH_FAILED"; error: string; status?: number }
  | { type: "TOKEN"; token: string; sub: string; tenant: string; ns: string }
  | { type: "TOKEN_LOST" }
  /** From the controller: a manager refused its section of the configuration handed out. */
  | { type: "SECTION_REFUSED"; section: string; error: string }
  | PingEvent;

/** A configuration not wholly taken: its version, and each refused section with why. */
export interface ConfigRefusal {
  version: number | null;
  sections: Record<string, string>;
}

export interface ConfigInput {
  deviceId: string;
  configUrl: string;
  requestTimeoutMs?: number;
}

export interface ConfigContext {
  deviceId: string;
  configUrl: string;
  requestTimeoutMs: number;
  config: DeviceConfig;
  /** The version in force: applied, and every section of it taken by its manager. */
  version: number | null;
  /** The version before the last one handed out: still in force if a section is refused. */
  previousVersion: number | null;
  /** The last configuration handed out, if a manager refused a section of it. */
  refused: ConfigRefusal | null;
  etag: string | null;
  source: "defaults" | "flash" | "server";
  token: string | null;
  tenant: string | null;
  ns: string | null;
  /** Whether the fetch under way already follows a refused token. */
  retried: boolean;
  /** The ETag of the last document refused as invalid: not refused (and alarmed) twice. */
  rejectedEtag: string | null;
  lastError: string | null;
}

export interface FetchInput {
  url: string;
  token: string;
  etag: string | null;
  timeoutMs: number;
}

export interface ConfigEffects {
  /** Reads the last known good document from flash: sends `LKG_LOADED`. */
  loadLastKnownGood: CallbackActorLogic<EventObject, { deviceId: string }>;
  /** Sends `CONFIG_RECEIVED`, `CONFIG_NOT_MODIFIED` or `CONFIG_FETCH_FAILED`. */
  fetchConfig: CallbackActorLogic<EventObject, FetchInput>;
  /** False when the flash refused it. */
  persistLastKnownGood: (document: ConfigDocument & { config: DeviceConfig }) => boolean;
}

/** A document made whole with its defaults, or the reasons it is refused. */
export function checkConfig(
  config: unknown,
  schema: Schema = deviceConfigSchema(),
): { config: DeviceConfig } | { errors: string[] } {
  const result = validate(schema, config);
  if (!result.valid) return { errors: result.errors };
  return { config: applyDefaults(schema, config) as DeviceConfig };
}

/** The top-level sections whose values differ. */
export function changedSections(before: DeviceConfig, after: DeviceConfig): string[] {
  const keys = Object.keys(after).concat(Object.keys(before).filter((k) => !(k in after)));
  return keys.filter((key) => !jsonEqual(before[key], after[key]));
}

export function createConfigMachine(effects: ConfigEffects) {
  return setup({
    types: {
      context: {} as ConfigContext,
      events: {} as ConfigEvent,
      input: {} as ConfigInput,
    },
    actors: { loadLastKnownGood: effects.loadLastKnownGood, fetchConfig: effects.fetchConfig },
    actions: {
      log: logAction("config"),
      keepToken: assign(({ event }) => {
        const e = event as Extract<ConfigEvent, { type: "TOKEN" }>;
        return { token: e.token, tenant: e.tenant, ns: e.ns };
      }),
      /**
       * Takes a document from the server or from flash, checking it once: a valid one is applied
       * (the parent hands each changed section to its manager), an invalid one is refused with
       * its error paths and an alarm; refused in flash, the device runs on the defaults.
       */
      take: enqueueActions(({ context, event, enqueue, system }) => {
        const e = event as Extract<ConfigEvent, { type: "CONFIG_RECEIVED" | "LKG_LOADED" }>;
        const fromServer = e.type === "CONFIG_RECEIVED";
        const document = fromServer ? e : e.stored;
        const checked = document ? checkConfig(document.config) : null;
        const log = (entry: LogEntry) => enqueue(() => logTo(system, "config", entry));
        if (e.type === "LKG_LOADED" && e.problem !== null) {
          log({ level: "error", msg: `${e.problem}: kept aside as config.bad, on the defaults` });
          enqueue.sendParent({
            type: "ALARM",
            alarm: {
              type: "config-lost",
              severity: "error",
              source: "config",
              details: { problem: e.problem },
            },
          });
        }
        if (document && checked && "errors" in checked) {
          const where = fromServer ? "" : " in flash";
          log({
            level: "error",
            msg: `configuration version ${document.version}${where} refused, keeping ${fromServer ? "the last known good" : "the defaults"}`,
            fields: { errors: checked.errors },
          });
          enqueue.sendParent({
            type: "ALARM",
            alarm: {
              type: "config-invalid",
              severity: "warning",
              source: "config",
              details: {
                version: document.version,
                where: fromServer ? "server" : "flash",
                errors: checked.errors,
              },
            },
          });
          if (fromServer) {
            enqueue.assign({
              rejectedEtag: document.etag,
              lastError: `version ${document.version} refused: ${checked.errors[0]}`,
            });
            return;
          }
        }
        const valid = document !== null && checked !== null && "config" in checked;
        const config = valid ? checked.config : (defaultsOf(deviceConfigSchema()) as DeviceConfig);
        const update: ConfigUpdated = {
          type: "CONFIG_UPDATED",
          config,
          // The managers start on their built-in defaults: a boot on the defaults changes nothing,
          // a boot on the last known good hands every section out.
          changed: fromServer
            ? changedSections(context.config, config)
            : valid
              ? Object.keys(config)
              : [],
          version: valid ? document.version : null,
        };
        enqueue.assign({
          config,
          version: update.version,
          previousVersion: context.version,
          refused: null,
          etag: valid ? document.etag : null,
          source: valid ? (fromServer ? "server" : "flash") : "defaults",
          lastError: null,
        });
        if (fromServer && valid) {
          const kept = { version: document.version, etag: document.etag, config };
          enqueue(() => {
            if (effects.persistLastKnownGood(kept)) return;
            logTo(system, "config", {
              level: "warn",
              msg: `flash full: version ${kept.version} is in force but not kept for the next boot`,
            });
          });
        }
        enqueue.sendParent(update);
        log({
          level: "info",
          msg: valid
            ? `configuration version ${document.version} applied from ${fromServer ? "the server" : "flash"}`
            : "no configuration kept: running on the defaults",
          fields: { sections: update.changed },
        });
      }),
    },
    guards: {
      alreadyHeld: ({ context, event }) =>
        event.type === "CONFIG_RECEIVED" &&
        ((event.version === context.version && event.etag === context.etag) ||
          (context.refused !== null &&
            event.version === context.refused.version &&
            event.etag === context.etag) ||
          event.etag === context.rejectedEtag),
      refusedToken: ({ context, event }) =>
        event.type === "CONFIG_FETCH_FAILED" && event.status === 401 && !context.retried,
      noDocument: ({ event }) => event.type === "CONFIG_FETCH_FAILED" && event.status === 404,
      hasToken: ({ context }) => context.token !== null,
    },
    delays: {
      pollInterval: ({ context }) =>
        (context.config.config as Partial<ConfigSettings> | undefined)?.pollIntervalMs ??
        settingsDefaults(configSettings).pollIntervalMs,
      tokenWait: ({ context }) => context.requestTimeoutMs * 3,
    },
  }).createMachine({
    id: "config",
    context: ({ input }) => ({
      deviceId: input.deviceId,
      configUrl: input.configUrl,
      requestTimeoutMs: input.requestTimeoutMs ?? 10_000,
      config: {},
      version: null,
      previousVersion: null,
      refused: null,
      etag: null,
      source: "defaults",
      token: null,
      tenant: null,
      ns: null,
      retried: false,
      rejectedEtag: null,
      lastError: null,
    }),
    initial: "loading",
    on: {
      PING: { actions: answerPing },
      TOKEN: { actions: "keepToken" },
      TOKEN_LOST: { actions: assign({ token: null }) },
      // Reported applied only when every section was taken: the version before stays in force,
      // the refusal is kept for the summary and `/config` (the controller raised the alarm).
      SECTION_REFUSED: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const version = context.refused ? context.refused.version : context.version;
          const inForce = context.refused ? context.version : context.previousVersion;
          const sections = Object.assign({}, context.refused?.sections, {
            [event.section]: event.error,
          });
          enqueue.assign({
            refused: { version, sections },
            version: inForce,
            lastError: `version ${version} not in force: ${event.section} refused: ${event.error}`,
          });
          enqueue({
            type: "log",
            params: {
              level: "error",
              msg: `configuration version ${version} not wholly applied: section ${event.section} refused (${event.error}); version ${inForce} stays reported`,
            },
          });
        }),
      },
    },
    states: {
      loading: {
        invoke: {
          src: "loadLastKnownGood",
          input: ({ context }) => ({ deviceId: context.deviceId }),
        },
        on: {
          LKG_LOADED: [
            { guard: "hasToken", target: "fetching", actions: "take" },
            { target: "waitingForToken", actions: "take" },
          ],
        },
      },
      waitingForToken: {
        tags: READY,
        on: { TOKEN: { target: "fetching", actions: "keepToken" } },
      },
      fetching: {
        tags: READY,
        invoke: {
          src: "fetchConfig",
          input: ({ context }) => ({
            url: `${context.configUrl}/v1/config/${context.tenant}/${context.ns}/${context.deviceId}`,
            token: context.token ?? "",
            etag: context.etag,
            timeoutMs: context.requestTimeoutMs,
          }),
        },
        on: {
          CONFIG_RECEIVED: [
            { guard: "alreadyHeld", target: "idle", actions: assign({ lastError: null }) },
            { target: "idle", actions: "take" },
          ],
          CONFIG_NOT_MODIFIED: { target: "idle", actions: assign({ lastError: null }) },
          CONFIG_FETCH_FAILED: [
            {
              guard: "refusedToken",
              target: "awaitingToken",
              actions: [assign({ retried: true }), reportTokenRejected],
            },
            {
              guard: "noDocument",
              target: "idle",
              actions: {
                type: "log",
                params: { level: "info", msg: "the server holds no configuration for this device" },
              },
            },
            {
              target: "idle",
              actions: [
                assign({
                  lastError: ({ event }) =>
                    event.status ? `${event.error} (HTTP ${event.status})` : event.error,
                }),
                {
                  type: "log",
                  params: ({ event }) => ({
                    level: "warn",
                    msg: `configuration fetch failed: ${event.error}${event.status ? ` (HTTP ${event.status})` : ""}`,
                  }),
                },
              ],
            },
          ],
        },
      },
      awaitingToken: {
        tags: READY,
        on: { TOKEN: { target: "fetching", actions: "keepToken" } },
        after: { tokenWait: "idle" },
      },
      idle: {
        tags: READY,
        entry: assign({ retried: false }),
        after: {
          pollInterval: [{ guard: "hasToken", target: "fetching" }, { target: "waitingForToken" }],
        },
      },
    },
  });
}

export type ConfigMachine = ReturnType<typeof createConfigMachine>;
