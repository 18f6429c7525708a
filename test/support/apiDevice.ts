/**
 * A device with its API for tests: the whole device and its services on a `VirtualClock` and an
 * in-memory network, with the API served either on that network (`http://device.sim`, answers
 * within `advance()`) or on a real loopback socket (port 0), while the managers stay on the
 * virtual clock. Fake watchdog, alarm, state and OTA managers of the shapes the API reads can be
 * added. Tokens are signed with the device's provisioned API key.
 */
import { type AnyActorRef, assign, createMachine, sendParent } from "xstate";
import { loopbackHttp } from "../../board/node/loopbackHttp.js";
import { SimulatedNetwork } from "../../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type { HttpResponse } from "../../board/types.js";
import type { ApiContext, ApiSettings } from "../../managers/api/machine.js";
import type { ManagerSpec } from "../../managers/controller/spec.js";
import { pongFor, READY } from "../../managers/supervision.js";
import { signJwt } from "../../runtime/jwt.js";
import { SIMULATED_API_KEY, SIMULATED_DEVICE, simulateDevice } from "../../simulations/device.js";
import {
  CONFIG_ORIGIN,
  DISCOVERY_ORIGIN,
  startServices,
} from "../../simulations/services/index.js";

export const { tenant } = SIMULATED_DEVICE;

/**
 * A manager that holds `context` and keeps the keys it is sent in `ACKNOWLEDGE`; it answers
 * pings unless `silent`, and is ready unless `notReady` names why (it is then required).
 */
export function fakeManager(
  id: string,
  context: Record<string, unknown>,
  options: { silent?: boolean; notReady?: string } = {},
): ManagerSpec {
  const silent = options.silent === true;
  return {
    id,
    logic: createMachine({
      id,
      context: Object.assign(
        { acknowledged: [] as string[], lastError: options.notReady ?? null },
        context,
      ),
      on: {
        PING: {
          actions: silent ? [] : sendParent(({ self, event }) => pongFor(self, event as never)),
        },
        ACKNOWLEDGE: {
          actions: assign({
            acknowledged: ({ context, event }) =>
              (context.acknowledged as string[]).concat(
                (event as unknown as { keys: string[] }).keys,
              ),
          }),
        },
      },
      initial: "running",
      states: { running: { tags: options.notReady === undefined ? READY : [] } },
    }),
    dependsOn: [],
    requiredForReadiness: options.notReady !== undefined,
  };
}

export const FAKE_ALARMS = {
  buffer: [{ key: "sensor-hot:probe", severity: "warning", count: 2 }],
  counters: { raised: 7, deduplicated: 3, delivered: 4, dropped: 1, pending: 2 },
};

export interface ApiDeviceOptions {
  loopback?: boolean;
  api?: Partial<ApiSettings>;
  extra?: ManagerSpec[];
  /** Leaves `api.key` out of flash: the device is not provisioned for its API. */
  noApiKey?: boolean;
  before?: (net: SimulatedNetwork) => void;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
}

export function apiDevice(options: ApiDeviceOptions = {}) {
  const clock = new VirtualClock();
  const net = new SimulatedNetwork(clock, { latencyMs: 1 });
  startServices({
    clock,
    network: net,
    devices: [{ ...SIMULATED_DEVICE, roles: ["device"] }],
    tokenLifetimeMs: 3_600_000,
  });
  const audit: Array<Record<string, unknown>> = [];
  /** The audit trail's minute summaries of refused requests (`refused.*`). */
  const refused: Array<Record<string, unknown>> = [];
  const logs: Array<Record<string, unknown>> = [];
  options.before?.(net);
  const device = simulateDevice({
    clock,
    seed: 3,
    // Port 0 is `http://device.sim` itself on the in-memory network, any free port on loopback.
    api: Object.assign({ port: 0 }, options.api),
    // A fake takes the place of the real manager of its id.
    specs: (_board, table) => {
      const extra = options.extra ?? [];
      return table.filter((s) => !extra.some((e) => e.id === s.id)).concat(extra);
    },
    services: {
      discoveryUrl: DISCOVERY_ORIGIN,
      configUrl: CONFIG_ORIGIN,
      http: (up) =>
        options.loopback
          ? { request: net.client(up).request, serve: loopbackHttp(up).serve }
          : net.client(up),
    },
    observeLog: (notice) => {
      if (notice.kind !== "written") return;
      const lines = notice.trail === "audit" ? audit : notice.trail === "refused" ? refused : logs;
      lines.push(JSON.parse(notice.line));
    },
  });
  if (options.noApiKey) device.board.storage.erase("api.key");
  const api = () =>
    (device.child("api") as AnyActorRef).getSnapshot() as {
      value: unknown;
      context: ApiContext;
    };
  const contextOf = (id: string) => (device.child(id) as AnyActorRef).getSnapshot().context;

  /** A token signed with the device's API key, valid for an hour from now unless told. */
  const token = (claims: Record<string, unknown> = {}, key = SIMULATED_API_KEY) => {
    const now = Math.floor(clock.now() / 1000);
    return signJwt(
      Object.assign(
        {
          sub: "person-1",
          tenant,
          ns: "sim-ns",
          roles: ["viewer"],
          iat: now,
          nbf: now,
          exp: now + 3600,
        },
        claims,
      ) as never,
      key,
    );
  };

  /** One request on the in-memory network from `from`, answered within the clock's advance. */
  const call = (
    method: string,
    path: string,
    init: { token?: string; body?: string; headers?: Record<string, string>; from?: string } = {},
  ): ApiAnswer => {
    const headers = Object.assign({}, init.headers);
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let answer: HttpResponse | undefined;
    let failure: string | null = null;
    net
      .client(() => true, init.from ?? "10.0.0.9")
      .request(
        { method, url: `http://device.sim${path}`, headers, body: init.body, timeoutMs: 5_000 },
        (error, res) => {
          failure = error;
          answer = res;
        },
      );
    clock.advance(2);
    if (!answer) throw new Error(`no answer to ${method} ${path}: ${failure}`);
    return parseAnswer(answer);
  };

  /** Waits (real time) until the API has opened its port: loopback ports open off the clock. */
  const started = async () => {
    device.actor.start();
    clock.advance(5_000);
    for (let i = 0; i < 200 && api().context.port === null; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (api().context.port === null) throw new Error("the API never opened its port");
    return api().context.port as number;
  };

  return { clock, net, audit, refused, logs, api, contextOf, token, call, started, ...device };
}

export function parseAnswer(res: {
  status: number;
  headers: Record<string, string>;
  body: string;
}): ApiAnswer {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch (_) {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: res.body, json };
}
