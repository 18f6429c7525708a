/**
 * The one URL parser (`runtime/url.ts`), held against the WHATWG `URL` and `URLSearchParams` of
 * Node on the URLs both must read alike, generated at random, and on what it must refuse.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authorityOf, originOf, parseUrl, pathOf, queryOf } from "../../runtime/url.js";

// Names begin with a letter: WHATWG reads an all-digit last label as an IPv4 address to rewrite.
const label = fc.stringMatching(/^[a-zA-Z]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join(".")),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((n) => n.join(".")),
);
// Segments WHATWG leaves as they are: no dot segments, nothing it would percent-encode.
const segment = fc.stringMatching(/^[a-zA-Z0-9_~-]{1,8}$/);
const word = fc.stringMatching(/^[a-zA-Z0-9_~-]{0,6}$/);
const url = fc.record({
  scheme: fc.constantFrom("http", "https", "HTTP", "Https"),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  segments: fc.array(segment, { maxLength: 4 }),
  slash: fc.boolean(),
  // A lone `?` is kept in the target (it is what was sent); WHATWG's `search` drops it.
  query: fc.option(fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 3 }), {
    nil: undefined,
  }),
  fragment: fc.option(word, { nil: undefined }),
});

function written(u: typeof url extends fc.Arbitrary<infer T> ? T : never): string {
  const path = u.segments.length > 0 || u.slash ? `/${u.segments.join("/")}` : "";
  const query = u.query ? `?${u.query.map(([k, v]) => `${k}=${v}`).join("&")}` : "";
  return `${u.scheme}://${u.host}${u.port === undefined ? "" : `:${u.port}`}${path}${query}${
    u.fragment === undefined ? "" : `#${u.fragment}`
  }`;
}

describe("parseUrl", () => {
  it("reads host, port, target, authority and origin as WHATWG URL does", () => {
    fc.assert(
      fc.property(url, (u) => {
        const text = written(u);
        const ours = parseUrl(text);
        const theirs = new URL(text);
        expect(ours).not.toBeNull();
        expect(ours!.scheme).toBe(theirs.protocol.slice(0, -1));
        expect(ours!.host).toBe(theirs.hostname);
        expect(ours!.port).toBe(Number(theirs.port || (theirs.protocol === "http:" ? 80 : 443)));
        expect(ours!.path).toBe(theirs.pathname + theirs.search);
        expect(authorityOf(ours!)).toBe(theirs.host);
        expect(originOf(ours!)).toBe(theirs.origin);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses what is not an absolute http(s) URL with a host and a port it can use", () => {
    for (const bad of [
      "ftp://svc.sim/x",
      "svc.sim/x",
      "http:///x",
      "http://:80/",
      "http://a.b:/",
      "http://a.b:0/",
      "http://a.b:65536/",
      "http://a.b:8o/",
      "http://a.b:80.5/",
      "",
    ]) {
      expect(parseUrl(bad), bad).toBeNull();
    }
  });

  it("keeps a query with no path under /, and drops the fragment", () => {
    expect(parseUrl("http://a.b:8080?q")).toEqual({
      scheme: "http",
      host: "a.b",
      port: 8080,
      path: "/?q",
    });
    expect(parseUrl("http://a.b/?")?.path).toBe("/?");
    expect(parseUrl("https://A.b:443#top")).toEqual({
      scheme: "https",
      host: "a.b",
      port: 443,
      path: "/",
    });
  });
});

describe("pathOf and queryOf", () => {
  // `__proto__` is no own key of a plain object, and no route reads it.
  const name = fc.string({ minLength: 1 }).filter((k) => k !== "__proto__");
  const pairs = fc.array(fc.tuple(name, fc.string()), { maxLength: 4 });

  it("split a target as URL and URLSearchParams do", () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 3 }), pairs, (segments, query) => {
        const path = `/${segments.join("/")}`;
        const search = query
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join("&");
        const target = search === "" ? path : `${path}?${search}`;
        expect(pathOf(target)).toBe(path);
        const expected = Object.fromEntries(new URLSearchParams(search));
        expect(queryOf(target)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves out a parameter that does not decode, and takes one with no value as empty", () => {
    expect(queryOf("/state?bad=%E0%A4%A&since=4&flag")).toEqual({ since: "4", flag: "" });
    expect(queryOf("/state")).toEqual({});
    expect(pathOf("/state?x=1?y")).toBe("/state");
  });
});
