/**
 * What `/metrics` publishes: the device's figures as Prometheus metric families, read at the
 * moment of the request from the managers' snapshots in the actor system (and the controller's),
 * so the figures are exactly what the managers hold and nothing keeps a copy in step.
 *
 * A manager that does not run on this device contributes nothing: its families are left out,
 * not published as zeros, so a dashboard can tell "none happened" from "not measured". Managers
 * written elsewhere are read by the shape of their context: the watchdog's `missedTotal`, the
 * alarm manager's `counters` (`raised`, `deduplicated`, `delivered`, `dropped`, `pending`), an OTA
 * manager's `results` (a count per result). Free memory is in the board's unit: JsVars on
 * Espruino, bytes on Node.
 */
import type { ActorSystem, AnyActorRef } from "xstate";
import type { Board } from "../../board/types.js";
import type { MetricFamily, MetricSample } from "../../runtime/prometheus.js";
import { stateName } from "../../runtime/stateName.js";
import type { AlarmsView } from "../alarms/view.js";
import type { AuthView } from "../auth/view.js";
import type { ConfigView } from "../config/view.js";
import type { ControllerContext } from "../controller/machine.js";
import { loggerView } from "../logger/view.js";
import type { NetworkView } from "../network/view.js";
import type { OtaView } from "../ota/view.js";
import { viewOf } from "../view.js";
import type { WatchdogView } from "../watchdog/view.js";
import type { ApiView } from "./view.js";

export interface MetricsSource {
  system: ActorSystem<any>;
  controller: AnyActorRef | undefined;
  board: Pick<Board, "clock" | "info">;
  /** When the device started, on the board's clock. */
  bootAt: number;
}

const isCount = (v: unknown): v is number => typeof v === "number" && v >= 0 && v < Infinity;

function family(
  name: string,
  type: "counter" | "gauge",
  help: string,
  samples: MetricSample[],
): MetricFamily {
  return { name, type, help, samples };
}

export function deviceMetrics(source: MetricsSource): MetricFamily[] {
  const { system, board } = source;
  const out: MetricFamily[] = [];
  const controller = source.controller?.getSnapshot() as
    | { context: ControllerContext; children: Record<string, AnyActorRef | undefined> }
    | undefined;
  const ids = controller ? Object.keys(controller.children) : [];

  const states: MetricSample[] = [];
  const restarts: MetricSample[] = [];
  for (let i = 0; i < ids.length; i++) {
    const child = controller?.children[ids[i]];
    if (!child) continue;
    const value = (child.getSnapshot() as { value?: unknown }).value;
    if (value !== undefined) {
      states.push({ labels: { manager: ids[i], state: stateName(value) }, value: 1 });
    }
    restarts.push({
      labels: { manager: ids[i] },
      value: controller?.context.restartsTotal[ids[i]] ?? 0,
    });
  }
  out.push(family("device_manager_state", "gauge", "The state each manager is in (1).", states));
  out.push(
    family(
      "device_manager_restarts_total",
      "counter",
      "Restarts of each manager by the supervisor.",
      restarts,
    ),
  );

  const network = viewOf<NetworkView>(system, "network");
  if (network && isCount(network.connections) && isCount(network.attempts)) {
    out.push(
      family("device_network_connections_total", "counter", "WiFi connections made.", [
        { value: network.connections },
      ]),
      family("device_network_attempts_total", "counter", "WiFi connection attempts.", [
        { value: network.attempts },
      ]),
    );
  }

  const watchdog = viewOf<WatchdogView>(system, "watchdog");
  if (watchdog && isCount(watchdog.missedTotal)) {
    out.push(
      family(
        "device_watchdog_missed_heartbeats_total",
        "counter",
        "Heartbeats that got no answer.",
        [{ value: watchdog.missedTotal }],
      ),
    );
  }

  const counters = viewOf<AlarmsView>(system, "alarms")?.counters as
    | Record<string, unknown>
    | undefined;
  if (counters) {
    const outcomes = ["raised", "deduplicated", "delivered", "dropped"];
    const samples: MetricSample[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      const v = counters[outcomes[i]];
      if (isCount(v)) samples.push({ labels: { outcome: outcomes[i] }, value: v });
    }
    out.push(family("device_alarms_total", "counter", "Alarms by what became of them.", samples));
    if (isCount(counters.pending)) {
      out.push(
        family("device_alarms_pending", "gauge", "Alarms not yet acknowledged by the server.", [
          { value: counters.pending },
        ]),
      );
    }
  }

  const logger = loggerView(system);
  if (logger) {
    out.push(
      family("device_log_lines_dropped_total", "counter", "Log lines lost to a full flash.", [
        { value: logger.dropped },
      ]),
    );
  }

  const ota = viewOf<OtaView>(system, "ota");
  if (ota) {
    const results = (ota.results ?? {}) as Record<string, unknown>;
    const samples: MetricSample[] = [];
    const names = Object.keys(results);
    for (let i = 0; i < names.length; i++) {
      if (isCount(results[names[i]])) {
        samples.push({ labels: { result: names[i] }, value: results[names[i]] as number });
      }
    }
    out.push(family("device_ota_results_total", "counter", "OTA updates by result.", samples));
    if (typeof ota.running === "string" && ota.running !== "") {
      out.push(
        family("device_firmware_info", "gauge", "The firmware version running.", [
          { labels: { version: ota.running }, value: 1 },
        ]),
      );
    }
    if (ota.target && isCount(ota.written)) {
      out.push(
        family("device_ota_bytes_written", "gauge", "Bytes of the update under way in flash.", [
          { labels: { version: String(ota.target.version) }, value: ota.written },
        ]),
      );
    }
  }

  const api = viewOf<ApiView>(system, "api");
  if (api && isCount(api.rateLimited)) {
    out.push(
      family(
        "device_api_rate_limited_total",
        "counter",
        "API requests refused for exceeding their client's rate.",
        [{ value: api.rateLimited }],
      ),
    );
  }

  const config = viewOf<ConfigView>(system, "config");
  if (config && typeof config.version === "number") {
    out.push(
      family("device_config_version", "gauge", "The configuration version in force.", [
        { value: config.version },
      ]),
    );
  }

  const now = board.clock.now();
  out.push(
    family("device_uptime_seconds", "gauge", "Seconds since the device started.", [
      { value: (now - source.bootAt) / 1000 },
    ]),
    family("device_free_memory", "gauge", "Free heap: JsVars on Espruino, bytes on Node.", [
      { value: board.info.freeMemory() },
    ]),
  );

  const auth = viewOf<AuthView>(system, "auth");
  if (auth && typeof auth.expiresAt === "number") {
    out.push(
      family(
        "device_token_expiry_seconds",
        "gauge",
        "Seconds until the device's service token expires.",
        [{ value: (auth.expiresAt - now) / 1000 }],
      ),
    );
  }
  return out;
}
