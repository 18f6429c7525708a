/**
 * Plays a `Scenario` on one virtual clock: one device, or a fleet of `devices` sharing one world
 * (the same services on the same in-memory network, each device with its own identity, seed,
 * radio and flash). Actions run at their time on every device; power cuts and reboots build the
 * device again on the flash it had. At the end every expectation is checked on every device and
 * each one that fails is named, with the device and what was found instead.
 *
 * The figures a fleet operator sees are read at the services, not inside the devices (so
 * watching costs the devices nothing): when each device registered, how long after each
 * configuration was published each device fetched it, alarms delivered, restarts and resets.
 *
 * With `record`, the first device's run is recorded at its board seam (`recording/`), every boot.
 */
import { FlashStorage } from "../board/sim/flashStorage.js";
import type { SimulatedBoard } from "../board/sim/simulatedBoard.js";
import type { HttpHandler } from "../board/sim/simulatedNetwork.js";
import { VirtualClock } from "../board/sim/virtualClock.js";
import type { Clock } from "../board/types.js";
import type { AlarmContext } from "../managers/alarms/machine.js";
import type { ControllerContext } from "../managers/controller/machine.js";
import type { StateContext } from "../managers/state/machine.js";
import type { TimeSyncContext } from "../managers/timesync/machine.js";
import { seededRandom } from "../runtime/random.js";
import { stateName } from "../runtime/stateName.js";
import { SIMULATED_DEVICE, type SimulatedDeviceOptions } from "./device.js";
import { createRecorder, type Recorder } from "./recording/recorder.js";
import type { Expectation, Scenario, ServiceName, TimedAction, WorldAction } from "./scenario.js";
import { ALARM_ORIGIN, CONFIG_ORIGIN, DISCOVERY_ORIGIN, STATE_ORIGIN } from "./services/index.js";
import { createWorld, simulateWorld, type WorldDevice, worldTimesync } from "./world.js";

export interface RunOptions {
  /** Devices sharing the world (1 by default). */
  devices?: number;
  /** Sees each line of the first device's recording. */
  record?: (line: string) => void;
  /** The runtime the machines run on (XState's `createActor` by default). */
  createActor?: SimulatedDeviceOptions["createActor"];
  /** The virtual clock to run on (a new `VirtualClock` by default; the bench passes others). */
  clock?: RunClock;
}

export type RunClock = Clock & { runUntil(end: number): void };

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  devices: number;
  /** Wall time of the run, in milliseconds. */
  wallMs: number;
  /** Expectations that did not hold, each naming the device and what was found. */
  failures: string[];
  /** State changes of every actor of every device. */
  transitions: number;
  /** The first device at the end: each actor's state, and readiness. */
  states: Record<string, string>;
  ready: boolean;
  fleet: {
    /** Milliseconds from start to each device's first registration. */
    registrationMs: Percentiles;
    /** Milliseconds from each configuration's publication to each device fetching it. */
    configConvergenceMs: Percentiles;
    alarmsDelivered: Percentiles;
    /** Manager restarts by the supervisor plus board resets, per device. */
    restarts: Percentiles;
    unregistered: number;
  };
}

export function percentiles(values: number[]): Percentiles {
  const sorted = values.slice().sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** One device of the run, across its boots. */
interface Unit {
  known: WorldDevice;
  seed: number;
  storage: FlashStorage;
  boots: number;
  world: ReturnType<typeof simulateWorld> | null;
  /** States entered, per actor, in order (only when an expectation reads them). */
  entered: Record<string, string[]>;
  resets: string[];
  restarts: number;
  /** Alarm reports the scenario raised, by `type|source`. */
  raised: Record<string, number>;
  transitions: number;
  recorder: Recorder | null;
}

const ORIGINS: Record<ServiceName, string> = {
  discovery: DISCOVERY_ORIGIN,
  config: CONFIG_ORIGIN,
  state: STATE_ORIGIN,
  alarms: ALARM_ORIGIN,
};

/** A device of a fleet: the simulated device first, then `sim-0002`... */
function fleetDevice(i: number): WorldDevice {
  if (i === 0) return SIMULATED_DEVICE;
  const n = String(i + 1).padStart(4, "0");
  return {
    deviceId: `sim-${n}`,
    key: `sim-device-key-${n}`,
    tenant: SIMULATED_DEVICE.tenant,
    ns: SIMULATED_DEVICE.ns,
  };
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): ScenarioResult {
  const count = options.devices ?? 1;
  if (!(Number.isInteger(count) && count >= 1))
    throw new Error(`devices: a whole number from 1 required, not ${count}`);
  const clock = options.clock ?? new VirtualClock();
  const known: WorldDevice[] = [];
  for (let i = 0; i < count; i++) known.push(fleetDevice(i));
  const shared = createWorld({
    clock,
    seed: scenario.seed,
    latencyMs: scenario.latencyMs,
    tokenLifetimeMs: scenario.tokenLifetimeMs,
    devices: known,
  });
  const { services, net } = shared;

  // What the operator sees at the services.
  const registeredAt: Record<string, number> = {};
  const published: Array<{ at: number; etag: string }> = [];
  const converged: Record<string, number> = {};
  const convergence: number[] = [];
  const observe =
    (name: ServiceName, handler: HttpHandler): HttpHandler =>
    (req, respond) =>
      handler(req, (res) => {
        if (name === "discovery" && req.path === "/v1/register" && res.status === 200) {
          const id = (JSON.parse(req.body) as { deviceId: string }).deviceId;
          if (registeredAt[id] === undefined) registeredAt[id] = clock.now();
        } else if (name === "config" && res.status === 200 && published.length > 0) {
          const id = req.path.slice(req.path.lastIndexOf("/") + 1);
          const latest = published.length - 1;
          if (converged[id] !== latest && res.headers.etag === published[latest].etag) {
            converged[id] = latest;
            convergence.push(clock.now() - published[latest].at);
          }
        }
        respond(res);
      });
  for (const name of Object.keys(ORIGINS) as ServiceName[]) {
    net.listen(ORIGINS[name], observe(name, services[name].handler));
  }

  const watchStates = scenario.expect.some((e) => e.expect === "reached" || e.expect === "never");
  const units: Unit[] = known.map((k, i) => ({
    known: k,
    seed: scenario.seed + i,
    storage: new FlashStorage(),
    boots: 0,
    world: null,
    entered: {},
    resets: [],
    restarts: 0,
    raised: {},
    transitions: 0,
    recorder: i === 0 && options.record ? createRecorder(clock, options.record) : null,
  }));

  const boot = (unit: Unit) => {
    const seed = unit.seed + 1_000 * unit.boots;
    const device = {
      network: scenario.device?.network,
      supervisor: scenario.device?.supervisor,
      timesync: scenario.device?.timesync,
      managers: scenario.device?.managers,
    };
    const recorder = unit.recorder;
    if (recorder) {
      recorder.boot(
        seed,
        {
          deviceId: unit.known.deviceId,
          deviceKey: unit.known.key,
          device: Object.assign({}, device, {
            services: {
              discoveryUrl: DISCOVERY_ORIGIN,
              configUrl: CONFIG_ORIGIN,
              alarmsUrl: ALARM_ORIGIN,
              stateUrl: STATE_ORIGIN,
            },
            timesync: worldTimesync(device.timesync),
          }),
        },
        unit,
      );
    }
    const entropy = seededRandom(seed ^ 0x5eed);
    const onTransition =
      watchStates || recorder
        ? (t: { actor: string; state: string }) => {
            unit.transitions++;
            if (!watchStates) return;
            const list = unit.entered[t.actor] ?? [];
            list.push(t.state);
            unit.entered[t.actor] = list;
          }
        : undefined;
    unit.world = simulateWorld(
      Object.assign({}, device, {
        clock,
        seed,
        world: shared,
        device: unit.known,
        storage: unit.storage,
        // Free memory as a board reports it, fixed: the host's heap is not reproducible.
        freeMemory: () => 8_000,
        entropy,
        createActor: options.createActor,
        adaptBoard: (built: SimulatedBoard) => {
          const board = recorder ? recorder.adaptBoard(built) : built;
          // A reset restarts the device, as on a board: at once, on the flash it has.
          return Object.assign({}, board, {
            reset(reason: string) {
              board.reset(reason);
              const world = unit.world;
              clock.setTimeout(() => {
                if (unit.world !== world) return;
                shutDown(unit);
                boot(unit);
              }, 0);
            },
          });
        },
        inspect: recorder ? recorder.inspect : undefined,
        onTransition,
      }),
    );
    unit.boots++;
    recorder?.start();
    unit.world.actor.start();
  };

  const shutDown = (unit: Unit) => {
    const world = unit.world;
    if (world === null) return;
    const context = world.actor.getSnapshot().context as ControllerContext;
    for (const id of Object.keys(context.restartsTotal)) unit.restarts += context.restartsTotal[id];
    for (const reason of world.board.resets) unit.resets.push(reason);
    unit.recorder?.stop();
    world.actor.stop();
    unit.world = null;
  };

  const apply = (action: WorldAction) => {
    const { tenant, ns } = SIMULATED_DEVICE;
    switch (action.do) {
      case "config": {
        let etag = "";
        for (const k of known)
          etag = services.config.setDocument(k.tenant, k.ns, k.deviceId, action.config).etag;
        published.push({ at: clock.now(), etag });
        return;
      }
      case "desired":
        for (const k of known) services.state.setDesired(tenant, ns, k.deviceId, action.desired);
        return;
      case "service-fail":
        services[action.service].faults.failNext(action.n, action.status);
        return;
      case "service-hang":
        services[action.service].faults.hangNext(action.n);
        return;
      case "service-malform":
        services[action.service].faults.malformNext(action.n);
        return;
      case "service-latency":
        services[action.service].faults.latencyMs = action.ms;
        return;
      case "service-down":
        services[action.service].faults.failNext(Number.MAX_SAFE_INTEGER, 503);
        return;
      case "service-up":
        services[action.service].faults.reset();
        return;
      case "clock-jump":
        services.ntp.offsetMs += action.ms;
        return;
    }
    for (let i = 0; i < units.length; i++) applyToDevice(units[i], action, i);
  };

  const applyToDevice = (unit: Unit, action: WorldAction, index: number) => {
    const world = unit.world;
    if (world !== null && action.do === "reboot") {
      world.board.reset("scenario-reboot");
      return;
    }
    if (world !== null && action.do === "power-cut") {
      shutDown(unit);
      clock.setTimeout(() => boot(unit), action.offMs);
      return;
    }
    // A device without power sees nothing of what happens meanwhile.
    if (world === null) return;
    const radio = world.board.radio;
    switch (action.do) {
      case "radio-drop":
        radio.drop();
        return;
      case "radio-outage":
        radio.outageFor(action.ms);
        return;
      case "radio-flap":
        radio.flap({
          seed: scenario.seed * 31 + index,
          upMs: action.upMs,
          downMs: action.downMs,
          until: action.untilMs,
        });
        return;
      case "radio-stall":
        radio.stall(action.ms);
        return;
      case "radio-fail-joins":
        radio.failNextConnects(action.n, "auth-failed");
        return;
      case "radio-hang-joins":
        radio.hangNextConnects(action.n);
        return;
      case "alarms": {
        const sources = action.sources ?? 1;
        for (let i = 0; i < action.count; i++) {
          const source = `sensor-${i % sources}`;
          const event = {
            type: "ALARM",
            alarm: {
              type: action.type,
              severity: action.severity,
              source,
              details: { reading: i },
            },
          };
          unit.recorder?.send(event);
          world.actor.send(event);
          const key = `${action.type}|${source}`;
          unit.raised[key] = (unit.raised[key] ?? 0) + 1;
        }
        return;
      }
    }
  };

  const began = performance.now();
  for (const unit of units) boot(unit);
  const timeline: TimedAction[] = scenario.timeline.slice().sort((a, b) => a.at - b.at);
  for (const step of timeline) {
    clock.runUntil(step.at);
    apply(step.action);
  }
  clock.runUntil(scenario.durationMs);
  const wallMs = performance.now() - began;

  const failures: string[] = [];
  const first = units[0];
  const states: Record<string, string> = {};
  let ready = false;
  for (const unit of units) {
    const problems =
      unit.world === null ? ["the device is off at the end"] : check(unit, scenario.expect);
    for (const problem of problems)
      failures.push(count > 1 ? `${unit.known.deviceId}: ${problem}` : problem);
    if (unit === first && unit.world !== null) {
      ready = unit.world.readiness().ready;
      const children = unit.world.actor.getSnapshot().children as Record<
        string,
        { getSnapshot(): { value: unknown } } | undefined
      >;
      for (const id of Object.keys(children)) {
        const child = children[id];
        if (child) states[id] = stateName(child.getSnapshot().value);
      }
    }
  }
  const delivered: number[] = [];
  const restarts: number[] = [];
  const registration: number[] = [];
  let transitions = 0;
  for (const unit of units) {
    transitions += unit.transitions;
    delivered.push(services.alarms.alarms(unit.known.deviceId).length);
    if (registeredAt[unit.known.deviceId] !== undefined)
      registration.push(registeredAt[unit.known.deviceId]);
    shutDown(unit);
    restarts.push(unit.restarts + unit.resets.length);
  }
  return {
    scenario,
    devices: count,
    wallMs,
    failures,
    transitions,
    states,
    ready,
    fleet: {
      registrationMs: percentiles(registration),
      configConvergenceMs: percentiles(convergence),
      alarmsDelivered: percentiles(delivered),
      restarts: percentiles(restarts),
      unregistered: count - registration.length,
    },
  };

  function check(unit: Unit, expectations: Expectation[]): string[] {
    const world = unit.world as NonNullable<Unit["world"]>;
    const problems: string[] = [];
    const context = <T>(id: string) => world.child(id)?.getSnapshot().context as T | undefined;
    const stateOf = (id: string) => {
      const ref = world.child(id);
      return ref ? stateName(ref.getSnapshot().value) : "(not running)";
    };
    for (const e of expectations) {
      switch (e.expect) {
        case "ready": {
          const r = world.readiness();
          if (!r.ready)
            problems.push(
              `not ready: ${Object.keys(r.failing)
                .map((id) => `${id} (${r.failing[id]})`)
                .join(", ")}`,
            );
          break;
        }
        case "state":
          if (!stateOf(e.actor).startsWith(e.state))
            problems.push(`${e.actor} is ${stateOf(e.actor)}, not ${e.state}`);
          break;
        case "reached": {
          const times = entries(unit.entered[e.actor] ?? [], e.state);
          if (times < (e.times ?? 1))
            problems.push(
              `${e.actor} entered ${e.state} ${times} time(s), not at least ${e.times ?? 1}`,
            );
          break;
        }
        case "never": {
          const times = entries(unit.entered[e.actor] ?? [], e.state);
          if (times > 0) problems.push(`${e.actor} entered ${e.state} ${times} time(s)`);
          break;
        }
        case "alarms-delivered": {
          const n = services.alarms.alarms(unit.known.deviceId).length;
          if (n < e.count) problems.push(`${n} alarm(s) delivered, not at least ${e.count}`);
          break;
        }
        case "nothing-lost": {
          const held: Record<string, number> = {};
          for (const a of services.alarms.alarms(unit.known.deviceId)) {
            const key = `${a.type}|${a.source}`;
            held[key] = (held[key] ?? 0) + a.count;
          }
          for (const key of Object.keys(unit.raised)) {
            if (held[key] !== unit.raised[key])
              problems.push(
                `alarm ${key}: ${unit.raised[key]} raised, the server counts ${held[key] ?? 0}`,
              );
          }
          const counters = context<AlarmContext>("alarms")?.counters;
          if (counters && (counters.pending > 0 || counters.dropped > 0)) {
            problems.push(`alarms: ${counters.pending} pending, ${counters.dropped} dropped`);
          }
          break;
        }
        case "config-version": {
          const version = (context<{ version: number | null }>("config") ?? { version: null })
            .version;
          if (version !== e.version)
            problems.push(`configuration version ${version}, not ${e.version}`);
          break;
        }
        case "desired": {
          const desired = context<StateContext>("state")?.desired ?? {};
          for (const key of Object.keys(e.desired)) {
            if (JSON.stringify(desired[key]) !== JSON.stringify(e.desired[key])) {
              problems.push(
                `desired ${key} is ${JSON.stringify(desired[key])}, not ${JSON.stringify(e.desired[key])}`,
              );
            }
          }
          break;
        }
        case "clock-corrected": {
          const offset = context<TimeSyncContext>("timesync")?.offsetMs ?? null;
          if (offset === null || Math.abs(offset - e.ms) > e.within)
            problems.push(`the last clock correction was ${offset} ms, not ${e.ms} ± ${e.within}`);
          break;
        }
        case "resets": {
          const reasons = unit.resets.concat(world.board.resets);
          if (reasons.join(",") !== e.reasons.join(","))
            problems.push(`resets [${reasons.join(", ")}], not [${e.reasons.join(", ")}]`);
          break;
        }
        case "restarts": {
          const total = Object.values(
            (world.actor.getSnapshot().context as ControllerContext).restartsTotal,
          ).reduce((a, b) => a + b, unit.restarts);
          if (total < e.min || total > e.max)
            problems.push(`${total} manager restart(s), not ${e.min} to ${e.max}`);
          break;
        }
      }
    }
    return problems;
  }
}

/** How many times a run of states entered one starting with `prefix` (not staying in it). */
function entries(states: string[], prefix: string): number {
  let n = 0;
  let inside = false;
  for (const s of states) {
    const now = s.startsWith(prefix);
    if (now && !inside) n++;
    inside = now;
  }
  return n;
}
