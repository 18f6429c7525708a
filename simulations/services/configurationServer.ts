/**
 * The service a device fetches its configuration from, one versioned document per device.
 *
 *   GET /v1/config/{tenant}/{ns}/{deviceId}   authorization: Bearer <token from discovery>
 *     200 {version, config}, header etag: "<hash>"    304 empty body: if-none-match matched
 *     401 no, forged or expired token                  403 the token is another device's
 *     404 no document for this device
 *   PUT /v1/admin/config/{tenant}/{ns}/{deviceId}  x-admin-key: <adminKey>, body {config}
 *     200 {version, etag}                              401 without the admin key
 *
 * Checks run in that order (who, then whether allowed, then what), so a device without a
 * valid token learns nothing about which documents exist. The ETag hashes the version with the
 * content, so a document set again to the same content still reads as changed: a device that
 * refused version n (the server stores whatever it is given; judging it is the device's job)
 * sees n+1 as new. Tokens are checked with the key of the device they name (`keyOf`, the
 * discovery service's), synchronously, on this server's clock. Faults sit in front of all.
 */
import { createHash } from "node:crypto";
import stableStringify from "fast-json-stable-stringify";
import type {
  HttpHandler,
  ServiceRequest,
  ServiceResponse,
} from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { Faults, withFaults } from "./faults.js";
import { json, jsonError, jsonObject, methodNotAllowed, routeOf } from "./json.js";
import { adminRefusal, checkBearer, coversDocument } from "./tokens.js";

export interface ConfigurationOptions {
  clock: Clock;
  /** The key a device's tokens are signed with; undefined for a device nobody knows. */
  keyOf: (deviceId: string) => string | undefined;
  /** Default "sim-admin". */
  adminKey?: string;
}

export interface ConfigDocument {
  /** 1 for the first document, one more for each replacement. */
  version: number;
  /** With its quotes, as sent in the header. */
  etag: string;
  config: unknown;
}

export interface ConfigStats {
  served: number;
  notModified: number;
  /** 401 answers, device and admin. */
  refused: number;
  /** 403 answers. */
  forbidden: number;
  updates: number;
}

export class ConfigurationServer {
  readonly handler: HttpHandler;
  readonly faults = new Faults();
  readonly stats: ConfigStats = { served: 0, notModified: 0, refused: 0, forbidden: 0, updates: 0 };
  private readonly clock: Clock;
  private readonly keyOf: (deviceId: string) => string | undefined;
  private readonly adminKey: string;
  private readonly documents = new Map<string, ConfigDocument>();

  constructor(options: ConfigurationOptions) {
    this.clock = options.clock;
    this.keyOf = options.keyOf;
    this.adminKey = options.adminKey ?? "sim-admin";
    this.handler = withFaults((req, respond) => respond(this.handle(req)), this.faults, this.clock);
  }

  /** Replaces the document, stored as a JSON copy: later changes to `config` do not leak in. */
  setDocument(
    tenant: string,
    ns: string,
    deviceId: string,
    config: unknown,
  ): { version: number; etag: string } {
    const id = documentId(tenant, ns, deviceId);
    const version = (this.documents.get(id)?.version ?? 0) + 1;
    const stored = config === undefined ? undefined : JSON.parse(JSON.stringify(config));
    const etag = etagOf(version, stored);
    this.documents.set(id, { version, etag, config: stored });
    this.stats.updates++;
    return { version, etag };
  }

  document(tenant: string, ns: string, deviceId: string): ConfigDocument | undefined {
    return this.documents.get(documentId(tenant, ns, deviceId));
  }

  private handle(req: ServiceRequest): ServiceResponse {
    const segments = routeOf(req).split("/");
    let path: string[];
    try {
      path = segments.map((s) => decodeURIComponent(s));
    } catch (_error) {
      return jsonError(400, "bad path encoding");
    }
    if (path.length === 6 && path[1] === "v1" && path[2] === "config") {
      if (req.method !== "GET") return methodNotAllowed("GET");
      return this.read(req, path[3], path[4], path[5]);
    }
    if (path.length === 7 && path[1] === "v1" && path[2] === "admin" && path[3] === "config") {
      if (req.method !== "PUT") return methodNotAllowed("PUT");
      return this.write(req, path[4], path[5], path[6]);
    }
    return jsonError(404, "not found");
  }

  private read(req: ServiceRequest, tenant: string, ns: string, deviceId: string): ServiceResponse {
    const checked = checkBearer(req, this.keyOf, this.clock.now());
    if (!checked.ok) {
      this.stats.refused++;
      return checked.refusal;
    }
    const claims = checked.claims;
    if (!coversDocument(claims, tenant, ns, deviceId)) {
      this.stats.forbidden++;
      return jsonError(403, "token does not cover this document");
    }
    const doc = this.documents.get(documentId(tenant, ns, deviceId));
    if (doc === undefined) return jsonError(404, "no configuration for this device");
    if (matches(req.headers["if-none-match"], doc.etag)) {
      this.stats.notModified++;
      return { status: 304, headers: { etag: doc.etag }, body: "" };
    }
    this.stats.served++;
    return json(200, { version: doc.version, config: doc.config }, { etag: doc.etag });
  }

  private write(
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
    if (body === undefined || !("config" in body)) return jsonError(400, "expected {config}");
    return json(200, this.setDocument(tenant, ns, deviceId, body.config));
  }
}

function documentId(tenant: string, ns: string, deviceId: string): string {
  return JSON.stringify([tenant, ns, deviceId]);
}

/** A strong ETag: the first 128 bits of SHA-256 over the version and the canonical content. */
function etagOf(version: number, config: unknown): string {
  const content = config === undefined ? "" : stableStringify(config);
  const hash = createHash("sha256").update(`${version}\n${content}`, "utf8").digest("hex");
  return `"${hash.slice(0, 32)}"`;
}

/** `if-none-match` may list several tags, weak ones included, or be `*`. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  for (const part of header.split(",")) {
    const tag = part.trim();
    if (tag === "*" || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}
