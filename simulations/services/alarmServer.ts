/**
 * The service devices report their alarms to, in batches, each alarm under an idempotency key.
 *
 *   POST /v1/alarms   authorization: Bearer <token from discovery>   idempotency-key: <batch key>
 *     body {alarms: [{key, type, severity, source, count, firstSeen, lastSeen, details?}]}
 *     200 {acknowledged: [key, ...]}   every key of the batch, new or already held
 *     400 not that shape (the first problem named)    401 no, forged or expired token
 *     422 the batch key was used before for another set of alarm keys
 *
 * Delivery is at least once on the wire and exactly once here: an alarm key already held (a
 * retry after a lost answer, a device that rebooted before it heard back) is acknowledged again
 * but not counted again, and what was first received under it stays. Keys belong to the device
 * the token names, so two devices cannot collide. The batch key is checked as payment APIs check
 * theirs: the same key must always name the same alarms. Everything received is kept (`alarms()`)
 * for tests and scenarios to read. Faults sit in front of all (`faults`); `loseNext(n)` adds the
 * one they lack: the batch is applied and its answer never sent, which only the device's timeout
 * ends. Tokens are checked as the ConfigurationServer checks them, synchronously, on this
 * server's clock.
 */
import type {
  HttpHandler,
  ServiceRequest,
  ServiceResponse,
} from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { ALARM_SEVERITIES, type AlarmSeverity } from "../../managers/supervision.js";
import { Faults, withFaults } from "./faults.js";
import { json, jsonError, jsonObject, methodNotAllowed, routeOf } from "./json.js";
import { checkBearer } from "./tokens.js";

/** The most alarms one request may carry. */
export const MAX_BATCH = 100;

const MAX_NAME = 64;
const MAX_BATCH_KEY = 128;

export interface AlarmServerOptions {
  clock: Clock;
  /** The key a device's tokens are signed with; undefined for a device nobody knows. */
  keyOf: (deviceId: string) => string | undefined;
}

/** One alarm as a device sends it. */
export interface ReportedAlarm {
  key: string;
  type: string;
  severity: AlarmSeverity;
  source: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  details?: unknown;
}

/** An alarm as this server keeps it: the first copy received under its key. */
export interface ReceivedAlarm extends ReportedAlarm {
  deviceId: string;
  tenant: string;
  ns: string;
  /** Clock time of the first arrival. */
  receivedAt: number;
  /** How many times the key arrived: more than 1 means retries, each acknowledged. */
  receipts: number;
}

export interface AlarmServerStats {
  /** Requests that passed every check and were applied. */
  batches: number;
  /** Alarms kept the first time their key arrived. */
  accepted: number;
  /** Alarms acknowledged again under a key already held. */
  duplicates: number;
  /** 401 answers. */
  refused: number;
  /** 400 answers. */
  invalid: number;
  /** 422 answers. */
  conflicts: number;
  /** Batches applied whose answer was dropped (`loseNext`). */
  lost: number;
}

export class AlarmServer {
  readonly handler: HttpHandler;
  readonly faults = new Faults();
  readonly stats: AlarmServerStats = {
    batches: 0,
    accepted: 0,
    duplicates: 0,
    refused: 0,
    invalid: 0,
    conflicts: 0,
    lost: 0,
  };
  private readonly clock: Clock;
  private readonly keyOf: (deviceId: string) => string | undefined;
  private readonly received = new Map<string, ReceivedAlarm>();
  /** Batch key (per device) → the alarm keys it named, sorted and joined. */
  private readonly batches = new Map<string, string>();
  private losing = 0;

  constructor(options: AlarmServerOptions) {
    this.clock = options.clock;
    this.keyOf = options.keyOf;
    this.handler = withFaults(
      (req, respond) => {
        const res = this.handle(req);
        if (res.status === 200 && this.losing > 0) {
          this.losing--;
          this.stats.lost++;
          return;
        }
        respond(res);
      },
      this.faults,
      this.clock,
    );
  }

  /** The next `n` batches that would be answered 200 are applied, and their answer dropped. */
  loseNext(n: number): void {
    this.losing = n;
  }

  /** Everything received, oldest first; only one device's when `deviceId` is given. */
  alarms(deviceId?: string): ReceivedAlarm[] {
    const all = Array.from(this.received.values());
    return deviceId === undefined ? all : all.filter((a) => a.deviceId === deviceId);
  }

  private handle(req: ServiceRequest): ServiceResponse {
    if (routeOf(req) !== "/v1/alarms") return jsonError(404, "not found");
    if (req.method !== "POST") return methodNotAllowed("POST");
    const checked = checkBearer(req, this.keyOf, this.clock.now());
    if (!checked.ok) {
      this.stats.refused++;
      return checked.refusal;
    }
    const batchKey = req.headers["idempotency-key"];
    if (batchKey === undefined || batchKey === "" || batchKey.length > MAX_BATCH_KEY) {
      return this.invalid(`idempotency-key header: 1 to ${MAX_BATCH_KEY} characters required`);
    }
    const body = jsonObject(req);
    if (body === undefined) return this.invalid("expected a JSON object {alarms: [...]}");
    const alarms = body.alarms;
    if (!Array.isArray(alarms) || alarms.length === 0 || alarms.length > MAX_BATCH) {
      return this.invalid(`alarms: an array of 1 to ${MAX_BATCH} alarms required`);
    }
    const keys: string[] = [];
    for (let i = 0; i < alarms.length; i++) {
      const problem = problemOf(alarms[i]);
      if (problem !== null) return this.invalid(`alarms[${i}]${problem}`);
      const key = (alarms[i] as ReportedAlarm).key;
      if (keys.indexOf(key) >= 0) return this.invalid(`alarms[${i}].key: repeated in the batch`);
      keys.push(key);
    }
    const { sub, tenant, ns } = checked.claims;
    const named = keys.slice().sort().join("\n");
    const batchId = JSON.stringify([sub, batchKey]);
    const before = this.batches.get(batchId);
    if (before !== undefined && before !== named) {
      this.stats.conflicts++;
      return jsonError(422, "idempotency-key already used for another batch");
    }
    this.batches.set(batchId, named);
    this.stats.batches++;
    for (const alarm of alarms as ReportedAlarm[]) {
      const id = JSON.stringify([sub, alarm.key]);
      const held = this.received.get(id);
      if (held !== undefined) {
        held.receipts++;
        this.stats.duplicates++;
        continue;
      }
      this.stats.accepted++;
      this.received.set(id, {
        key: alarm.key,
        type: alarm.type,
        severity: alarm.severity,
        source: alarm.source,
        count: alarm.count,
        firstSeen: alarm.firstSeen,
        lastSeen: alarm.lastSeen,
        details: alarm.details,
        deviceId: sub,
        tenant,
        ns,
        receivedAt: this.clock.now(),
        receipts: 1,
      });
    }
    return json(200, { acknowledged: keys });
  }

  private invalid(reason: string): ServiceResponse {
    this.stats.invalid++;
    return jsonError(400, reason);
  }
}

/** What is wrong with one reported alarm, as `.field: reason`, or null. */
function problemOf(alarm: unknown): string | null {
  if (typeof alarm !== "object" || alarm === null || Array.isArray(alarm)) {
    return ": must be an object";
  }
  const a = alarm as Record<string, unknown>;
  for (const field of ["key", "type", "source"]) {
    const value = a[field];
    if (typeof value !== "string" || value === "" || value.length > MAX_NAME) {
      return `.${field}: a string of 1 to ${MAX_NAME} characters required`;
    }
  }
  if (ALARM_SEVERITIES.indexOf(a.severity as AlarmSeverity) < 0) {
    return `.severity: one of ${ALARM_SEVERITIES.join(", ")} required`;
  }
  if (typeof a.count !== "number" || !Number.isInteger(a.count) || a.count < 1) {
    return ".count: a positive integer required";
  }
  if (typeof a.firstSeen !== "number" || typeof a.lastSeen !== "number") {
    return ".firstSeen, .lastSeen: numbers required";
  }
  if (a.lastSeen < a.firstSeen) return ".lastSeen: must not be before firstSeen";
  return null;
}
