/**
 * Splits an `http://host:port/path?query` URL, which is all a device's service URLs are.
 * Espruino has no `URL`; this parses without regular expressions (its regex engine has quirks).
 */
export interface HttpUrl {
  host: string;
  port: number;
  /** The path with its query, `/` at least. */
  path: string;
}

/** The parts of an absolute `http:` URL; null for anything else (https, no host, bad port). */
export function parseHttpUrl(url: string): HttpUrl | null {
  const scheme = "http://";
  if (url.slice(0, scheme.length).toLowerCase() !== scheme) return null;
  const rest = url.slice(scheme.length);
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charAt(i);
    if (c === "/" || c === "?" || c === "#") {
      end = i;
      break;
    }
  }
  const authority = rest.slice(0, end);
  let path = rest.slice(end);
  const hash = path.split("#")[0];
  path = hash === "" ? "/" : hash.charAt(0) === "?" ? `/${hash}` : hash;
  const colon = authority.lastIndexOf(":");
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const portText = colon < 0 ? "80" : authority.slice(colon + 1);
  const port = Number(portText);
  if (host === "" || portText === "" || !(port > 0 && port < 65536) || Math.floor(port) !== port) {
    return null;
  }
  return { host, port, path };
}
