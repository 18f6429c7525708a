/**
 * The StateServer: one document per device, `{version, reported, desired}`, with one version for
 * the whole document, bumped by every change of either part. The device owns `reported`, an
 * operator owns `desired`; the version is what makes concurrent writers safe.
 *
 *   GET /v1/state/{tenant}/{ns}/{deviceId}                  authorization: Bearer <token>
 *     200 {version, reported, desired}   a device never written to has version 0, empty parts
 *   PUT /v1/state/{tenant}/{ns}/{deviceId}/reported         body {reported, version?}
 *     the expected version in `if-match: "<version>"` or in the body's `version` (not both)
 *     200 {version}       409 {error, version} when the document has moved on
 *     428 without an expected version                        400 bad JSON or shape
 *   GET /v1/state/{tenant}/{ns}/{deviceId}/changes?after=<version>[&wait=<ms>]
 *     200 {version, desired} at once when desired changed after `after`, else at the next change;
 *     204 when `wait` (default and cap `maxWaitMs`) passes first: a long poll, which the
 *     device's plain HTTP client can keep.
 *   PUT /v1/admin/state/{tenant}/{ns}/{deviceId}/desired    x-admin-key: <adminKey>, body {desired}
 *     200 {version}                                          401 without the admin key
 *   401 no, forged or expired token; 403 a token for another tenant, namespace or device;
 *   404 unknown route; 405 wrong method.
 *
 * A notification carries the document's version at the moment it is sent with the desired part
 * in force then: a pair that was true, so a device may apply any notification newer than what it
 * holds and ignore the rest. Beyond the common `faults` (latency, errors, hangs, malformed
 * bodies, in front of every route), `stateFaults` injects what a device must be robust to from
 * this protocol in particular: duplicated notifications, stale ones (an older true pair, as a
 * reordering proxy would deliver), and lost answers (an update applied whose answer never comes).
 */
import type {
  HttpHandler,
  ServiceRequest,
  ServiceResponse,
} from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { queryOf } from "../../runtime/url.js";
import { Faults, withFaults } from "./faults.js";
import { json, jsonError, jsonObject, methodNotAllowed, routeOf } from "./json.js";
import { adminRefusal, checkBearer, coversDocument } from "./tokens.js";

export interface StateServerOptions {
  clock: Clock;
  /** The key a device's tokens are signed with; undefined for a device nobody knows. */
  keyOf: (deviceId: string) => string | undefined;
  /** Default "sim-admin". */
  adminKey?: string;
  /** The longest a change poll is held, and its default. Default 30 s. */
  maxWaitMs?: number;
}

export type StatePart = Record<string, unknown>;

export interface StateDocument {
  version: number;
  reported: StatePart;
  desired: StatePart;
}

export interface StateStats {
  fetched: number;
  /** Reported updates applied (lost answers included). */
  updates: number;
  conflicts: number;
  desiredEdits: number;
  /** Change polls answered with a notification. */
  notified: number;
  /** Change polls answered 204 when their wait ran out. */
  expired: number;
  /** 401 answers, device and admin. */
  refused: number;
  forbidden: number;
}

export interface StateFaultCounters {
  duplicated: number;
  stale: number;
  lost: number;
}

/** The faults of this protocol; each request takes at most one, when it arrives. */
export class StateFaults {
  readonly injected: StateFaultCounters = { duplicated: 0, stale: 0, lost: 0 };
  private duplicating = 0;
  private staling = 0;
  private losing = 0;

  /** The next `n` change polls are answered at once with the latest notification, whatever `after`. */
  duplicateNext(n: number): void {
    this.duplicating = n;
  }

  /** The next `n` change polls are answered at once with the notification before the latest. */
  staleNext(n: number): void {
    this.staling = n;
  }

  /** The next `n` reported updates are applied, and their answers never sent. */
  loseNext(n: number): void {
    this.losing = n;
  }

  reset(): void {
    this.duplicating = 0;
    this.staling = 0;
    this.losing = 0;
    this.injected.duplicated = 0;
    this.injected.stale = 0;
    this.injected.lost = 0;
  }

  takeNotificationFault(): "duplicate" | "stale" | undefined {
    if (this.duplicating > 0) {
      this.duplicating--;
      this.injected.duplicated++;
      return "duplicate";
    }
    if (this.staling > 0) {
      this.staling--;
      this.injected.stale++;
      return "stale";
    }
    return undefined;
  }

  takeLostAnswer(): boolean {
    if (this.losing === 0) return false;
    this.losing--;
    this.injected.lost++;
    return true;
  }
}

/** One device's document, its desired history (for stale notifications) and its held polls. */
interface Entry {
  doc: StateDocument;
  /** The version at which desired last changed: a poll with an older `after` is answered. */
  desiredVersion: number;
  /** Every desired part with the version it was set at, oldest first (bounded). */
  history: Array<{ version: number; desired: StatePart }>;
  waiting: Waiter[];
}

interface Waiter {
  after: number;
  respond: (res: ServiceResponse) => void;
  timer: unknown;
}

/** Enough past notifications to serve a stale one; older are forgotten. */
const HISTORY = 8;

export class StateServer {
  readonly handler: HttpHandler;
  readonly faults = new Faults();
  readonly stateFaults = new StateFaults();
  readonly stats: StateStats = {
    fetched: 0,
    updates: 0,
    conflicts: 0,
    desiredEdits: 0,
    notified: 0,
    expired: 0,
    refused: 0,
    forbidden: 0,
  };
  private readonly clock: Clock;
  private readonly keyOf: (deviceId: string) => string | undefined;
  private readonly adminKey: string;
  private readonly maxWaitMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: StateServerOptions) {
    this.clock = options.clock;
    this.keyOf = options.keyOf;
    this.adminKey = options.adminKey ?? "sim-admin";
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.handler = withFaults(
      (req, respond) => {
        const answer = this.route(req, respond);
        if (answer !== undefined) respond(answer);
      },
      this.faults,
      this.clock,
    );
  }

  /** The document as stored (version 0 and empty parts for a device never written to). */
  document(tenant: string, ns: string, deviceId: string): StateDocument {
    return this.entry(tenant, ns, deviceId).doc;
  }

  /**
   * An operator's edit: replaces desired (a JSON copy), bumps the version, and answers every poll
   * held for this device.
   */
  setDesired(tenant: string, ns: string, deviceId: string, desired: StatePart): number {
    const entry = this.entry(tenant, ns, deviceId);
    const copy = JSON.parse(JSON.stringify(desired)) as StatePart;
    entry.doc = { version: entry.doc.version + 1, reported: entry.doc.reported, desired: copy };
    entry.desiredVersion = entry.doc.version;
    entry.history.push({ version: entry.doc.version, desired: copy });
    if (entry.history.length > HISTORY) entry.history.shift();
    this.stats.desiredEdits++;
    const waiting = entry.waiting;
    entry.waiting = [];
    for (const waiter of waiting) {
      this.clock.clearTimeout(waiter.timer);
      this.notify(waiter.respond, entry.doc.version, copy);
    }
    return entry.doc.version;
  }

  /** Answers every held poll 503 and forgets its timer: nothing of this server outlives it. */
  releaseWaiting(): void {
    for (const entry of this.entries.values()) {
      const waiting = entry.waiting;
      entry.waiting = [];
      for (const waiter of waiting) {
        this.clock.clearTimeout(waiter.timer);
        waiter.respond(jsonError(503, "server shutting down"));
      }
    }
  }

  private entry(tenant: string, ns: string, deviceId: string): Entry {
    const id = JSON.stringify([tenant, ns, deviceId]);
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = {
        doc: { version: 0, reported: {}, desired: {} },
        desiredVersion: 0,
        history: [{ version: 0, desired: {} }],
        waiting: [],
      };
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** The answer, or undefined when there is none yet: held, answered already, or lost. */
  private route(
    req: ServiceRequest,
    respond: (res: ServiceResponse) => void,
  ): ServiceResponse | undefined {
    let path: string[];
    try {
      path = routeOf(req)
        .split("/")
        .map((s) => decodeURIComponent(s));
    } catch (_error) {
      return jsonError(400, "bad path encoding");
    }
    const isState = path[1] === "v1" && path[2] === "state";
    if (isState && path.length === 6) {
      if (req.method !== "GET") return methodNotAllowed("GET");
      return this.asDevice(req, path, (entry) => this.read(entry));
    }
    if (isState && path.length === 7 && path[6] === "reported") {
      if (req.method !== "PUT") return methodNotAllowed("PUT");
      const answer = this.asDevice(req, path, (entry) => this.update(req, entry));
      if (answer?.status === 200 && this.stateFaults.takeLostAnswer()) return undefined;
      return answer;
    }
    if (isState && path.length === 7 && path[6] === "changes") {
      if (req.method !== "GET") return methodNotAllowed("GET");
      return this.asDevice(req, path, (entry) => this.watch(req, entry, respond));
    }
    if (path.length === 8 && path[1] === "v1" && path[2] === "admin" && path[3] === "state") {
      if (path[7] !== "desired") return jsonError(404, "not found");
      if (req.method !== "PUT") return methodNotAllowed("PUT");
      return this.adminEdit(req, path[4], path[5], path[6]);
    }
    return jsonError(404, "not found");
  }

  /**
   * Who, then whether allowed, then what: a device without a valid token learns nothing. The
   * refusal, or what `serve` answers (undefined when it answers `respond` itself, later or now).
   */
  private asDevice(
    req: ServiceRequest,
    path: string[],
    serve: (entry: Entry) => ServiceResponse | undefined,
  ): ServiceResponse | undefined {
    const checked = checkBearer(req, this.keyOf, this.clock.now());
    if (!checked.ok) {
      this.stats.refused++;
      return checked.refusal;
    }
    const [tenant, ns, deviceId] = [path[3], path[4], path[5]];
    const claims = checked.claims;
    if (!coversDocument(claims, tenant, ns, deviceId)) {
      this.stats.forbidden++;
      return jsonError(403, "token does not cover this document");
    }
    return serve(this.entry(tenant, ns, deviceId));
  }

  private read(entry: Entry): ServiceResponse {
    this.stats.fetched++;
    return json(200, entry.doc);
  }

  private update(req: ServiceRequest, entry: Entry): ServiceResponse {
    const body = jsonObject(req);
    if (body === undefined) return jsonError(400, "expected a JSON object {reported, version?}");
    const reported = body.reported;
    if (typeof reported !== "object" || reported === null || Array.isArray(reported)) {
      return jsonError(400, "reported: must be an object");
    }
    const header = req.headers["if-match"];
    const fromHeader = header === undefined ? undefined : versionOf(header);
    if (header !== undefined && fromHeader === undefined) {
      return jsonError(400, 'if-match: expected "<version>"');
    }
    if (body.version !== undefined && !isVersion(body.version)) {
      return jsonError(400, "version: must be a non-negative integer");
    }
    if (fromHeader !== undefined && body.version !== undefined && fromHeader !== body.version) {
      return jsonError(400, "if-match and version disagree");
    }
    const expected = fromHeader ?? (body.version as number | undefined);
    if (expected === undefined) return jsonError(428, "the expected version is required");
    if (expected !== entry.doc.version) {
      this.stats.conflicts++;
      return json(409, { error: "version mismatch", version: entry.doc.version });
    }
    entry.doc = {
      version: entry.doc.version + 1,
      reported: reported as StatePart,
      desired: entry.doc.desired,
    };
    this.stats.updates++;
    return json(200, { version: entry.doc.version });
  }

  /** Answers at once when there is something newer (or a fault says so), else holds `respond`. */
  private watch(
    req: ServiceRequest,
    entry: Entry,
    respond: (res: ServiceResponse) => void,
  ): ServiceResponse | undefined {
    const query = queryOf(req.path);
    const after = query.after === undefined ? undefined : Number(query.after);
    if (after === undefined || !isVersion(after)) {
      return jsonError(400, "after: must be a non-negative integer");
    }
    const wait = query.wait === undefined ? this.maxWaitMs : Number(query.wait);
    if (!isVersion(wait)) return jsonError(400, "wait: must be a non-negative integer");
    const fault = this.stateFaults.takeNotificationFault();
    if (fault === "duplicate") {
      this.notify(respond, entry.doc.version, entry.doc.desired);
      return undefined;
    }
    if (fault === "stale") {
      const past = entry.history.length > 1 ? entry.history[entry.history.length - 2] : undefined;
      const stale = past ?? entry.history[0];
      this.notify(respond, stale.version, stale.desired);
      return undefined;
    }
    if (entry.desiredVersion > after) {
      this.notify(respond, entry.doc.version, entry.doc.desired);
      return undefined;
    }
    const waiter: Waiter = { after, respond, timer: undefined };
    waiter.timer = this.clock.setTimeout(
      () => {
        const i = entry.waiting.indexOf(waiter);
        if (i >= 0) entry.waiting.splice(i, 1);
        this.stats.expired++;
        respond({ status: 204, headers: {}, body: "" });
      },
      Math.min(wait, this.maxWaitMs),
    );
    entry.waiting.push(waiter);
    return undefined;
  }

  private notify(
    respond: (res: ServiceResponse) => void,
    version: number,
    desired: StatePart,
  ): void {
    this.stats.notified++;
    respond(json(200, { version, desired }));
  }

  private adminEdit(
    req: ServiceRequest,
    tenant: string,
    ns: string,
    deviceId: string,
  ): ServiceResponse {
    const refusal = adminRefusal(req, this.adminKey);
    if (refusal !== null) {
      this.stats.refused++;
      return refusal;
    }
    const body = jsonObject(req);
    const desired = body?.desired;
    if (typeof desired !== "object" || desired === null || Array.isArray(desired)) {
      return jsonError(400, "expected {desired: {...}}");
    }
    return json(200, { version: this.setDesired(tenant, ns, deviceId, desired as StatePart) });
  }
}

function isVersion(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** `"7"` (a strong ETag) or `W/"7"`: the version a client expects. */
function versionOf(header: string): number | undefined {
  const tag = header.trim().replace(/^W\//, "");
  if (!/^"\d{1,15}"$/.test(tag)) return undefined;
  return Number(tag.slice(1, -1));
}
