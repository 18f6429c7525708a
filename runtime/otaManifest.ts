/**
 * A firmware release as the update service offers it, and the device's judgement of it.
 *
 * The service sends `{manifest, sig}`: `manifest` is the release's JSON as text, `sig` the
 * base64url HMAC-SHA256 of that text with the device's own key, so only a service that holds
 * the key can offer the device anything, and the text signed is the text parsed (no
 * re-serialisation to disagree on). `openManifest` checks the signature first, in constant time,
 * and only then reads a field; every field is checked, and the first wrong one is named.
 *
 * `judgeRelease` then decides whether to take a valid release: not one asking for a newer boot
 * stub than the device has (`minBoot`), not the version running, not an older one unless the
 * manifest says `downgrade: true` (which the service signs only for an admin), never one the
 * device rolled back from. Versions are dotted numbers (`1.12.0`), compared field by field.
 */
import { base64urlDecode } from "./base64url.js";
import { type HashFunction, hmacSha256, timingSafeEqual } from "./hmac.js";
import { sha256 } from "./sha256.js";

export interface Manifest {
  version: string;
  /** Bytes of the image. */
  size: number;
  /** Hex SHA-256 of the image. */
  sha256: string;
  /** Bytes per Range request, and per progress mark in flash. */
  chunkSize: number;
  /** The oldest boot stub (`BOOT_STUB_VERSION`) that can load it. */
  minBoot: number;
  /** Where the image is, a path on the update service. */
  path: string;
  /** Older than the running version on purpose: an admin marked it so. */
  downgrade?: boolean;
}

export const MIN_CHUNK = 64;
export const MAX_CHUNK = 4096;

// Counted quantifiers (`\d{1,6}`) never match on Espruino 2v29 (the gate refuses them), nor do
// quantified groups: lengths and parts are counted here instead.

/** One to four dot-separated numbers of one to six digits each. */
function isVersion(text: string): boolean {
  const parts = text.split(".");
  if (parts.length > 4) return false;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].length > 6 || !/^\d+$/.test(parts[i])) return false;
  }
  return true;
}

function isHex64(text: string): boolean {
  return text.length === 64 && /^[0-9a-f]+$/.test(text);
}

/** The manifest, or why it is refused. */
export function openManifest(
  body: unknown,
  key: string,
  maxImageBytes: number,
  hash: HashFunction = sha256,
): Manifest | string {
  const signed = body as { manifest?: unknown; sig?: unknown } | null;
  if (!signed || typeof signed.manifest !== "string" || typeof signed.sig !== "string") {
    return "not a signed manifest ({manifest, sig})";
  }
  const sig = base64urlDecode(signed.sig);
  if (!sig || !timingSafeEqual(sig, hmacSha256(key, signed.manifest, hash))) {
    return "bad signature";
  }
  let m: Manifest;
  try {
    m = JSON.parse(signed.manifest);
  } catch (_) {
    return "manifest is not JSON";
  }
  if (!m || typeof m !== "object") return "manifest is not an object";
  if (typeof m.version !== "string" || !isVersion(m.version)) return "version: not a version";
  if (!isInteger(m.size) || m.size < 1 || m.size > maxImageBytes) {
    return `size: must be 1 to ${maxImageBytes} bytes`;
  }
  if (typeof m.sha256 !== "string" || !isHex64(m.sha256)) return "sha256: not 64 hex digits";
  if (!isInteger(m.chunkSize) || m.chunkSize < MIN_CHUNK || m.chunkSize > MAX_CHUNK) {
    return `chunkSize: must be ${MIN_CHUNK} to ${MAX_CHUNK}`;
  }
  if (!isInteger(m.minBoot) || m.minBoot < 0) return "minBoot: not a count";
  if (typeof m.path !== "string" || m.path.charAt(0) !== "/") return "path: must start with /";
  if (m.downgrade !== undefined && typeof m.downgrade !== "boolean")
    return "downgrade: not a boolean";
  return m;
}

function isInteger(v: unknown): v is number {
  return typeof v === "number" && v % 1 === 0;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = Number(x[i] || 0) - Number(y[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Null to take the release, or why not; `undefined` reasons never happen. */
export function judgeRelease(
  m: Manifest,
  running: string,
  rolledBack: readonly string[],
  bootVersion: number,
): string | null {
  if (m.minBoot > bootVersion) return `needs boot stub ${m.minBoot}, this one is ${bootVersion}`;
  if (rolledBack.indexOf(m.version) >= 0) return `${m.version} was rolled back on this device`;
  const order = compareVersions(m.version, running);
  if (order === 0) return null;
  if (order < 0 && !m.downgrade)
    return `${m.version} is older than ${running} (not a marked downgrade)`;
  return null;
}

/** Lower-case hex of a digest. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}
