/**
 * The service a device registers with: it proves it holds its key without sending it, and gets
 * a short-lived token the other services accept.
 *
 *   POST /v1/register/challenge {deviceId}            → 200 {nonce}            404 unknown device
 *   POST /v1/register {deviceId, nonce, proof}        → 200 {token, expiresIn} 401 refused
 *   POST /v1/token/refresh   (authorization: Bearer)  → 200 {token, expiresIn} 401: register again
 *   POST /v1/heartbeat {...} (authorization: Bearer)  → 200 {ok: true}
 *
 * `proof = base64url(HMAC-SHA256(key, deviceId + "." + nonce))`, unpadded, the key taken as its
 * UTF-8 bytes. A nonce is good once, for one device, for `nonceLifetimeMs` (60 s) of the clock:
 * it is spent by any attempt, right or wrong, so a proof cannot be guessed at leisure. Tokens
 * are HS256 JWTs signed with the device's current key (`tokens.ts`), `expiresIn` in seconds;
 * rotating a key (`setKey`) voids every token signed with the old one. Answers are synchronous
 * (no promise between request and `respond`), so a simulation on a virtual clock stays
 * synchronous. Malformed bodies get 400, wrong methods 405, unknown paths 404, all as
 * `{"error": "..."}`; faults (`faults.ts`) sit in front of everything.
 */
import { randomBytes } from "node:crypto";
import type {
  HttpHandler,
  ServiceRequest,
  ServiceResponse,
} from "../../board/sim/simulatedNetwork.js";
import type { Clock } from "../../board/types.js";
import { seededRandom } from "../../runtime/random.js";
import { Faults, withFaults } from "./faults.js";
import { json, jsonError, jsonObject, methodNotAllowed, routeOf } from "./json.js";
import { checkBearer, type DeviceClaims, mac, sameSecret, signToken } from "./tokens.js";

export interface DeviceRecord {
  deviceId: string;
  /** The device's secret, shared with the server: it signs the proofs and the tokens. */
  key: string;
  tenant: string;
  ns: string;
  roles: string[];
}

export interface DiscoveryOptions {
  clock: Clock;
  devices: DeviceRecord[];
  /** Default one hour. */
  tokenLifetimeMs?: number;
  /** Default 60 s. */
  nonceLifetimeMs?: number;
  /** Makes nonces reproducible in a seeded run; 16 random bytes, base64url, when absent. */
  nonce?: () => string;
}

/**
 * Nonces drawn from a seeded sequence (16 bytes, base64url, as the unseeded ones): a simulation
 * given a seed answers the same challenges every run, so its recording is the same byte for
 * byte. The sequence is predictable: for simulations, never for a service that faces devices.
 */
export function seededNonces(seed: number): () => string {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(16);
  return () => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    return bytes.toString("base64url");
  };
}

export interface DiscoveryStats {
  challenges: number;
  registrations: number;
  refreshes: number;
  heartbeats: number;
  /** Answers 401: bad proofs, spent or stale nonces, bad tokens. */
  refused: number;
}

export interface Heartbeat {
  /** Clock time it arrived. */
  at: number;
  body: unknown;
}

export const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
export const DEFAULT_NONCE_LIFETIME_MS = 60 * 1000;

export class ServiceDiscovery {
  readonly handler: HttpHandler;
  readonly faults = new Faults();
  readonly stats: DiscoveryStats = {
    challenges: 0,
    registrations: 0,
    refreshes: 0,
    heartbeats: 0,
    refused: 0,
  };
  readonly tokenLifetimeMs: number;
  readonly nonceLifetimeMs: number;
  private readonly clock: Clock;
  private readonly newNonce: () => string;
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly nonces = new Map<string, { deviceId: string; expiresAt: number }>();
  private readonly heartbeats = new Map<string, Heartbeat>();

  constructor(options: DiscoveryOptions) {
    this.clock = options.clock;
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
    this.nonceLifetimeMs = options.nonceLifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS;
    this.newNonce = options.nonce ?? (() => randomBytes(16).toString("base64url"));
    for (const device of options.devices) {
      this.devices.set(device.deviceId, { ...device, roles: device.roles.slice() });
    }
    this.handler = withFaults((req, respond) => respond(this.handle(req)), this.faults, this.clock);
  }

  /** Rotates a device's key: proofs and tokens made with the old one are refused from now on. */
  setKey(deviceId: string, key: string): void {
    const device = this.devices.get(deviceId);
    if (device === undefined) throw new Error(`unknown device ${deviceId}`);
    device.key = key;
  }

  keyOf(deviceId: string): string | undefined {
    return this.devices.get(deviceId)?.key;
  }

  lastHeartbeat(deviceId: string): Heartbeat | undefined {
    return this.heartbeats.get(deviceId);
  }

  /**
   * A token as registration would issue it, with other roles or lifetime (negative: already
   * expired), and any claim replaced by `claimsOverride`. A promise for callers written against
   * an async signer; it is settled already.
   */
  issueToken(
    deviceId: string,
    roles: string[],
    lifetimeMs: number,
    claimsOverride: object = {},
  ): Promise<string> {
    const device = this.devices.get(deviceId);
    if (device === undefined) return Promise.reject(new Error(`unknown device ${deviceId}`));
    return Promise.resolve(this.sign(device, roles, lifetimeMs, claimsOverride).token);
  }

  private handle(req: ServiceRequest): ServiceResponse {
    let endpoint: (req: ServiceRequest) => ServiceResponse;
    switch (routeOf(req)) {
      case "/v1/register/challenge":
        endpoint = (r) => this.challenge(r);
        break;
      case "/v1/register":
        endpoint = (r) => this.register(r);
        break;
      case "/v1/token/refresh":
        endpoint = (r) => this.refresh(r);
        break;
      case "/v1/heartbeat":
        endpoint = (r) => this.heartbeat(r);
        break;
      default:
        return jsonError(404, "not found");
    }
    if (req.method !== "POST") return methodNotAllowed("POST");
    return endpoint(req);
  }

  private challenge(req: ServiceRequest): ServiceResponse {
    const body = jsonObject(req);
    if (body === undefined || typeof body.deviceId !== "string") {
      return jsonError(400, "expected {deviceId}");
    }
    if (!this.devices.has(body.deviceId)) return jsonError(404, "unknown device");
    this.forgetStaleNonces();
    const nonce = this.newNonce();
    this.nonces.set(nonce, {
      deviceId: body.deviceId,
      expiresAt: this.clock.now() + this.nonceLifetimeMs,
    });
    this.stats.challenges++;
    return json(200, { nonce });
  }

  private register(req: ServiceRequest): ServiceResponse {
    const body = jsonObject(req);
    if (
      body === undefined ||
      typeof body.deviceId !== "string" ||
      typeof body.nonce !== "string" ||
      typeof body.proof !== "string"
    ) {
      return jsonError(400, "expected {deviceId, nonce, proof}");
    }
    const issued = this.nonces.get(body.nonce);
    // Spent by this attempt whatever its outcome: one guess per challenge.
    this.nonces.delete(body.nonce);
    const device = this.devices.get(body.deviceId);
    if (issued === undefined || issued.deviceId !== body.deviceId || device === undefined) {
      return this.refuse("unknown or used nonce");
    }
    if (this.clock.now() >= issued.expiresAt) return this.refuse("nonce expired");
    if (!sameSecret(body.proof, mac(device.key, `${device.deviceId}.${body.nonce}`))) {
      return this.refuse("bad proof");
    }
    this.stats.registrations++;
    return json(200, this.sign(device, device.roles, this.tokenLifetimeMs, {}));
  }

  private refresh(req: ServiceRequest): ServiceResponse {
    const checked = this.authenticate(req);
    if (!checked.ok) return checked.refusal;
    this.stats.refreshes++;
    // Roles and tenant come from the record, not the old token: a refresh picks up changes.
    return json(200, this.sign(checked.device, checked.device.roles, this.tokenLifetimeMs, {}));
  }

  private heartbeat(req: ServiceRequest): ServiceResponse {
    const checked = this.authenticate(req);
    if (!checked.ok) return checked.refusal;
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch (_error) {
      return jsonError(400, "expected a JSON body");
    }
    this.heartbeats.set(checked.device.deviceId, { at: this.clock.now(), body });
    this.stats.heartbeats++;
    return json(200, { ok: true });
  }

  private authenticate(
    req: ServiceRequest,
  ):
    | { ok: true; device: DeviceRecord; claims: DeviceClaims }
    | { ok: false; refusal: ServiceResponse } {
    const checked = checkBearer(req, (id) => this.keyOf(id), this.clock.now());
    if (!checked.ok) {
      this.stats.refused++;
      return checked;
    }
    return { ok: true, device: this.devices.get(checked.claims.sub)!, claims: checked.claims };
  }

  private sign(
    device: DeviceRecord,
    roles: string[],
    lifetimeMs: number,
    claimsOverride: object,
  ): { token: string; expiresIn: number } {
    const iat = Math.floor(this.clock.now() / 1000);
    const expiresIn = Math.floor(lifetimeMs / 1000);
    const claims = {
      sub: device.deviceId,
      tenant: device.tenant,
      ns: device.ns,
      roles: roles.slice(),
      iat,
      nbf: iat,
      exp: iat + expiresIn,
      ...claimsOverride,
    };
    return { token: signToken(claims, device.key), expiresIn };
  }

  private refuse(reason: string): ServiceResponse {
    this.stats.refused++;
    return jsonError(401, reason);
  }

  private forgetStaleNonces(): void {
    const now = this.clock.now();
    for (const [nonce, issued] of this.nonces) {
      if (now >= issued.expiresAt) this.nonces.delete(nonce);
    }
  }
}
