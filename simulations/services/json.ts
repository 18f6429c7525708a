/**
 * The JSON conventions every simulated service keeps, in one place so they cannot drift apart:
 * bodies are JSON with `content-type: application/json`, errors are `{"error": "..."}` (from
 * `jsonError`), and a route is matched on the path without its query string.
 */
import type { ServiceRequest, ServiceResponse } from "../../board/sim/simulatedNetwork.js";

import { jsonError } from "../../board/sim/simulatedNetwork.js";
import { pathOf } from "../../runtime/url.js";

export { jsonError };

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** The body as a JSON object, or undefined when it is not one (the caller answers 400). */
export function jsonObject(req: ServiceRequest): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch (_error) {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The path without query string or trailing slash: what routes are matched on. */
export function routeOf(req: ServiceRequest): string {
  const path = pathOf(req.path);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** 405 naming the methods the route does accept, as HTTP asks. */
export function methodNotAllowed(allowed: string): ServiceResponse {
  const res = jsonError(405, "method not allowed");
  res.headers.allow = allowed;
  return res;
}
