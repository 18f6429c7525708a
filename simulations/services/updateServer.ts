/**
 * The update service: firmware releases per tenant, namespace and device group, each offered
 * to a device as a manifest signed with that device's own key, and its image served in HTTP
 * Range chunks.
 *
 *   GET /v1/releases/{deviceId}?running=v[&version=w]   authorization: Bearer <token>
 *     200 {manifest, sig}: the newest release of the device's group (or release `w`)
 *     204 the device runs the newest     404 no release `w`     401/403 as the other services
 *   GET /v1/images/{tenant}/{ns}/{group}/{version}      authorization: Bearer, range: bytes=a-b
 *     206 the bytes a..b, content-range      200 the whole image without a range
 *     416 a range outside the image           404 no such image, or not the token's tenant/ns
 *
 * `manifest` is the release's JSON as text and `sig` base64url(HMAC-SHA256(device key, text)):
 * the device checks it with its own code. Images are binary strings (one byte a character) and
 * travel as such; `publish` refuses characters above 0xFF, which no byte is. Only `publish`
 * with `downgrade: true` (an admin's act) makes an older version an offer. Faults sit in front
 * of all; `tamper` and `cutShort` damage what the images route sends, `refuseCheckIns`
 * answers 503 to a device running a given version (a firmware that cannot reach the service).
 */
import { createHash } from "node:crypto";
import type {
  HttpHandler,
  ServiceRequest,
  ServiceResponse,
} from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { compareVersions, type Manifest } from "../../runtime/otaManifest.js";
import { Faults, withFaults } from "./faults.js";
import { json, jsonError, routeOf } from "./json.js";
import { checkBearer, mac } from "./tokens.js";

export interface Release {
  version: string;
  image: string;
  chunkSize?: number;
  minBoot?: number;
  downgrade?: boolean;
}

export interface UpdateOptions {
  clock: Clock;
  keyOf: (deviceId: string) => string | undefined;
}

export interface UpdateStats {
  checks: number;
  offers: number;
  rangeRequests: number;
  bytesServed: number;
  refused: number;
}

export const DEFAULT_GROUP = "default";

export class UpdateServer {
  readonly handler: HttpHandler;
  readonly faults = new Faults();
  readonly stats: UpdateStats = {
    checks: 0,
    offers: 0,
    rangeRequests: 0,
    bytesServed: 0,
    refused: 0,
  };
  private readonly clock: Clock;
  private readonly keyOf: (deviceId: string) => string | undefined;
  private readonly releases = new Map<string, Release[]>();
  private readonly groups = new Map<string, string>();
  private tampered = false;
  private shortBy = 0;
  private refusedVersion: string | null = null;

  constructor(options: UpdateOptions) {
    this.clock = options.clock;
    this.keyOf = options.keyOf;
    this.handler = withFaults((req, respond) => respond(this.handle(req)), this.faults, this.clock);
  }

  setGroup(deviceId: string, group: string): void {
    this.groups.set(deviceId, group);
  }

  /** Adds a release for a group (`DEFAULT_GROUP` unless told). */
  publish(tenant: string, ns: string, release: Release, group = DEFAULT_GROUP): void {
    for (let i = 0; i < release.image.length; i++) {
      if (release.image.charCodeAt(i) > 0xff)
        throw new Error("an image is bytes: a character above 0xFF");
    }
    const id = groupId(tenant, ns, group);
    const list = (this.releases.get(id) ?? []).filter((r) => r.version !== release.version);
    list.push(Object.assign({}, release));
    this.releases.set(id, list);
  }

  /** Serves every image with its first byte changed from now on (or not). */
  tamper(on: boolean): void {
    this.tampered = on;
  }

  /** Cuts `bytes` off the end of every image answer from now on. */
  cutShort(bytes: number): void {
    this.shortBy = bytes;
  }

  /** Answers 503 to checks from devices running `version` (null: none). */
  refuseCheckIns(version: string | null): void {
    this.refusedVersion = version;
  }

  private handle(req: ServiceRequest): ServiceResponse {
    const path = routeOf(req).split("/");
    if (req.method !== "GET") return jsonError(405, "method not allowed");
    const checked = checkBearer(req, this.keyOf, this.clock.now());
    if (!checked.ok) {
      this.stats.refused++;
      return checked.refusal;
    }
    const claims = checked.claims;
    if (path.length === 4 && path[1] === "v1" && path[2] === "releases") {
      if (claims.sub !== path[3]) return jsonError(403, "token does not cover this device");
      return this.offer(req, claims.tenant, claims.ns, path[3]);
    }
    if (path.length === 7 && path[1] === "v1" && path[2] === "images") {
      if (claims.tenant !== path[3] || claims.ns !== path[4])
        return jsonError(404, "no such image");
      return this.image(req, path[3], path[4], path[5], decodeURIComponent(path[6]));
    }
    return jsonError(404, "not found");
  }

  private offer(
    req: ServiceRequest,
    tenant: string,
    ns: string,
    deviceId: string,
  ): ServiceResponse {
    this.stats.checks++;
    const query = new URLSearchParams(req.path.slice(req.path.indexOf("?") + 1));
    const running = query.get("running") ?? "";
    if (this.refusedVersion !== null && running === this.refusedVersion) {
      return jsonError(503, "service unavailable");
    }
    const group = this.groups.get(deviceId) ?? DEFAULT_GROUP;
    const list = this.releases.get(groupId(tenant, ns, group)) ?? [];
    const wanted = query.get("version");
    let release: Release | undefined;
    if (wanted !== null) {
      release = list.find((r) => r.version === wanted);
      if (!release) return jsonError(404, `no release ${wanted}`);
    } else {
      release = list.slice().sort((a, b) => compareVersions(b.version, a.version))[0];
      if (!release || release.version === running) return { status: 204, headers: {}, body: "" };
    }
    const key = this.keyOf(deviceId) as string;
    const manifest: Manifest = {
      version: release.version,
      size: release.image.length,
      sha256: createHash("sha256").update(Buffer.from(release.image, "latin1")).digest("hex"),
      chunkSize: release.chunkSize ?? 1024,
      minBoot: release.minBoot ?? 1,
      path: `/v1/images/${tenant}/${ns}/${group}/${encodeURIComponent(release.version)}`,
    };
    if (release.downgrade) manifest.downgrade = true;
    const text = JSON.stringify(manifest);
    this.stats.offers++;
    return json(200, { manifest: text, sig: mac(key, text) });
  }

  private image(
    req: ServiceRequest,
    tenant: string,
    ns: string,
    group: string,
    version: string,
  ): ServiceResponse {
    const release = (this.releases.get(groupId(tenant, ns, group)) ?? []).find(
      (r) => r.version === version,
    );
    if (!release) return jsonError(404, "no such image");
    let image = release.image;
    if (this.tampered) image = String.fromCharCode(image.charCodeAt(0) ^ 1) + image.slice(1);
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
    let status = 200;
    let headers: Record<string, string> = {};
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), image.length - 1);
      if (start > end) {
        return { status: 416, headers: { "content-range": `bytes */${image.length}` }, body: "" };
      }
      status = 206;
      headers = { "content-range": `bytes ${start}-${end}/${image.length}` };
      image = image.slice(start, end + 1);
      this.stats.rangeRequests++;
    }
    if (this.shortBy > 0) image = image.slice(0, Math.max(0, image.length - this.shortBy));
    this.stats.bytesServed += image.length;
    return {
      status,
      headers: Object.assign({ "content-type": "application/octet-stream" }, headers),
      body: image,
    };
  }
}

function groupId(tenant: string, ns: string, group: string): string {
  return JSON.stringify([tenant, ns, group]);
}
