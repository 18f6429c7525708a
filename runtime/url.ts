/**
 * The project's one URL parser: the device's HTTP client, the simulated network and the
 * simulated services all split URLs and request targets here, so they agree on what a host, a
 * port, a route and a query are. Espruino has no `URL`, its regex classes end at the first `/`
 * and its `indexOf` misreports partial matches of longer needles: this compares slices and walks
 * characters one at a time.
 */
export interface HttpUrl {
  scheme: "http" | "https";
  /** Lower case (host names are not case-sensitive), without the port. */
  host: string;
  /** The scheme's default when the URL names none. */
  port: number;
  /** The request target: the path with its query, `/` at least, the fragment dropped. */
  path: string;
}

/** The parts of an absolute `http:` or `https:` URL; null for anything else (no host, bad port). */
export function parseUrl(url: string): HttpUrl | null {
  const head = url.slice(0, 8).toLowerCase();
  const scheme = head.slice(0, 7) === "http://" ? "http" : head === "https://" ? "https" : null;
  if (scheme === null) return null;
  const rest = url.slice(scheme.length + 3);
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charAt(i);
    if (c === "/" || c === "?" || c === "#") {
      end = i;
      break;
    }
  }
  const authority = rest.slice(0, end).toLowerCase();
  const target = rest.slice(end).split("#")[0];
  const colon = authority.lastIndexOf(":");
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const portText = colon < 0 ? String(defaultPort(scheme)) : authority.slice(colon + 1);
  const port = Number(portText);
  if (host === "" || portText === "" || !(port > 0 && port < 65536) || Math.floor(port) !== port) {
    return null;
  }
  const path = target === "" ? "/" : target.charAt(0) === "?" ? `/${target}` : target;
  return { scheme, host, port, path };
}

function defaultPort(scheme: HttpUrl["scheme"]): number {
  return scheme === "http" ? 80 : 443;
}

/** `host[:port]`, the port left out when it is the scheme's default: the `Host` header. */
export function authorityOf(url: HttpUrl): string {
  return url.port === defaultPort(url.scheme) ? url.host : `${url.host}:${url.port}`;
}

/** `scheme://host[:port]`: what a server is known by. */
export function originOf(url: HttpUrl): string {
  return `${url.scheme}://${authorityOf(url)}`;
}

/** A request target without its query string: what routes are matched on. */
export function pathOf(target: string): string {
  for (let i = 0; i < target.length; i++) {
    if (target.charAt(i) === "?") return target.slice(0, i);
  }
  return target;
}

/** A request target's query parameters, decoded; one that does not decode is left out. */
export function queryOf(target: string): Record<string, string> {
  const out: Record<string, string> = {};
  const path = pathOf(target);
  if (path.length === target.length) return out;
  const pairs = target.slice(path.length + 1).split("&");
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    try {
      out[decodeURIComponent(name)] = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    } catch (_error) {
      // Absent, so the route's own check of the parameter answers for it.
    }
  }
  return out;
}
