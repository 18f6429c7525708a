/**
 * The compatibility gate: every feature Espruino lacks is found at the node that uses it, and
 * code Espruino runs (or that only probes for a missing built-in) passes clean.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { providedBy } from "../../../scripts/espruino/builtins.js";
import { checkBundle, formatViolations, type Violation } from "../../../scripts/espruino/gate.js";
import { renameEspruinoKeywords } from "../../../scripts/espruino/renameKeywords.js";

interface Case {
  code: string;
  feature: string;
  /** Text that starts at the offending node: its first occurrence in `code` is the offset. */
  at: string;
  provided?: string[];
}

const check = (code: string, provided: string[] = []) => checkBundle(code, { provided });
const found = (v: Violation[]) => v.map(({ offset, feature }) => ({ offset, feature }));

function expectFound({ code, feature, at, provided }: Case): void {
  const offset = code.indexOf(at);
  expect(offset, `"${at}" must occur in the snippet`).toBeGreaterThanOrEqual(0);
  expect(found(check(code, provided))).toContainEqual({ offset, feature });
}

const syntax: Case[] = [
  { code: "var {a} = o;", feature: "destructuring", at: "{a}" },
  { code: "var x, [a] = o;", feature: "destructuring", at: "[a]" },
  { code: "function f(x, { a }) {}", feature: "destructuring", at: "{ a }" },
  { code: "for (var [k, v] of xs);", feature: "destructuring", at: "[k, v]" },
  { code: "function f(x, a = 1) {}", feature: "default parameter", at: "a = 1" },
  { code: "var [x, a = 1] = o;", feature: "destructuring default", at: "a = 1" },
  { code: "var f = (x, ...args) => args;", feature: "rest parameter", at: "...args" },
  { code: "var [a, ...b] = o;", feature: "rest element", at: "...b" },
  { code: "f(1, ...xs);", feature: "spread", at: "...xs" },
  { code: "var a = [0, ...xs];", feature: "spread", at: "...xs" },
  { code: "var a = { b: 1, ...o };", feature: "spread", at: "...o" },
  { code: "var o = { a: 1, [k]: 1 };", feature: "computed key", at: "[k]" },
  { code: "class A { m() {} [k]() {} }", feature: "computed key", at: "[k]" },
  {
    code: "var o = { a: 1, get 'a-b'() { return 1; } };",
    feature: "string-keyed accessor",
    at: "get",
  },
  { code: "var v = o && o.a?.b;", feature: "optional chaining", at: "o.a?.b" },
  { code: "x = f?.();", feature: "optional chaining", at: "f?.()" },
  { code: "var v = 1 + a ** 2;", feature: "exponentiation (**)", at: "a ** 2" },
  { code: "x; a **= 2;", feature: "exponentiation assignment (**=)", at: "a **=" },
  { code: "x; a ??= 1;", feature: "logical assignment (??=)", at: "a ??=" },
  { code: "x; a ||= 1;", feature: "logical assignment (||=)", at: "a ||=" },
  { code: "x; a &&= 1;", feature: "logical assignment (&&=)", at: "a &&=" },
  { code: "x; outer: for (;;) { break outer; }", feature: "label", at: "outer:" },
  { code: "x; outer: for (;;) { break outer; }", feature: "labelled break", at: "break" },
  { code: "x; outer: for (;;) { continue outer; }", feature: "labelled continue", at: "continue" },
  { code: "x; async function f() {}", feature: "async function", at: "async" },
  {
    code: "var of = 1;",
    feature: "identifier named of (a keyword to Espruino's lexer)",
    at: "of",
  },
  {
    code: "function f(of) { return g(of); }",
    feature: "identifier named of (a keyword to Espruino's lexer)",
    at: "of)",
  },
  { code: 'var s = "a\\u{1F600}";', feature: "code point escape (\\u{...})", at: '"a' },
  {
    code: "o.f = function () { return [1].map((a) => this.x + g((b) => b)); };",
    feature: "arrow losing this (expression body holding an arrow)",
    at: "(a) =>",
  },
  { code: "var f = async () => 1;", feature: "async function", at: "async" },
  { code: "async function f() { await g(); }", feature: "await", at: "await" },
  { code: "x; function* g() {}", feature: "generator", at: "function*" },
  { code: "function* g() { yield 1; }", feature: "yield", at: "yield" },
  { code: "async function f() { for await (var x of xs); }", feature: "for await", at: "for" },
  { code: "class A { m() {} x = 1; }", feature: "class field", at: "x = 1" },
  { code: "class A { static x = 1; }", feature: "class field", at: "static" },
  { code: "class A { m() {} static { init(); } }", feature: "class static block", at: "static" },
  { code: "class A { #x() {} }", feature: "private name (#x)", at: "#x" },
  { code: "class A { #x() {} m() { this.#x(); } }", feature: "private name (#x)", at: "#x();" },
  { code: "class A { #x; m(o) { return #x in o; } }", feature: "private name (#x)", at: "#x in" },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the code under test is a tagged template
  { code: "var s = tag`x${1}`;", feature: "tagged template", at: "tag`" },
  { code: "function F() { return new.target; }", feature: "new.target", at: "new.target" },
  { code: "var u = import.meta.url;", feature: "import.meta", at: "import.meta" },
  {
    code: "var o = { m() { return super.m(); } };",
    feature: "super in object-literal method",
    at: "super",
  },
  { code: "var r = /(?<year>\\d{4})/;", feature: "regex named group", at: "/(?<" },
  { code: "var r = /^\\d{1,6}$/;", feature: "regex counted quantifier", at: "/^" },
  { code: "var r = /^a{2}$/;", feature: "regex counted quantifier", at: "/^" },
  { code: "var r = /a/u;", feature: "regex flag u", at: "/a/u" },
  { code: "var r = /a/gy;", feature: "regex flag y", at: "/a/gy" },
  { code: "var r = /[a]/v;", feature: "regex flag v", at: "/[a]/v" },
  { code: "x; let a = 1;", feature: "block-scoped declaration (let)", at: "let" },
  { code: "for (const x of xs) f(x);", feature: "block-scoped declaration (const)", at: "const" },
  { code: "var n = 10n;", feature: "BigInt literal", at: "10n" },
  { code: "var m = import('x');", feature: "dynamic import()", at: "import" },
  { code: "x; export var y = 1;", feature: "module syntax (import/export)", at: "export" },
];

/** The missing prototype methods whose bare name is flagged, with the path reported. */
const prototypeMethods: [name: string, path: string][] = [
  ["flat", "Array.prototype.flat"],
  ["flatMap", "Array.prototype.flatMap"],
  ["findLast", "Array.prototype.findLast"],
  ["findLastIndex", "Array.prototype.findLastIndex"],
  ["copyWithin", "Array.prototype.copyWithin"],
  ["reduceRight", "Array.prototype.reduceRight"],
  ["trimStart", "String.prototype.trimStart"],
  ["trimEnd", "String.prototype.trimEnd"],
  ["codePointAt", "String.prototype.codePointAt"],
  ["matchAll", "String.prototype.matchAll"],
  ["localeCompare", "String.prototype.localeCompare"],
  ["toPrecision", "Number.prototype.toPrecision"],
  ["finally", "Promise.prototype.finally"],
  ["isPrototypeOf", "Object.prototype.isPrototypeOf"],
  ["propertyIsEnumerable", "Object.prototype.propertyIsEnumerable"],
];

const builtins: Case[] = [
  { code: "var m = new Map();", feature: "missing global: Map", at: "Map" },
  { code: "var it = o[Symbol.iterator];", feature: "missing global: Symbol", at: "Symbol" },
  { code: "queueMicrotask(f);", feature: "missing global: queueMicrotask", at: "queueMicrotask" },
  { code: "throw new RangeError('x');", feature: "missing global: RangeError", at: "RangeError" },
  { code: "var o = { Set };", feature: "missing global: Set", at: "Set" },
  { code: "var m = new Map();", feature: "missing global: Map", at: "Map", provided: ["Set"] },
  {
    code: "function a() { var Map = 1; } function b() { return Map; }",
    feature: "missing global: Map",
    at: "Map; }",
  },
  { code: "{ class Map {} } new Map();", feature: "missing global: Map", at: "Map();" },
  {
    code: "try { setTimeout(function () { new Map(); }); } catch (e) {}",
    feature: "missing global: Map",
    at: "Map()",
  },
  { code: "try { new Map(); } finally {}", feature: "missing global: Map", at: "Map" },
  {
    code: "if (typeof Map == 'undefined') new Map();",
    feature: "missing global: Map",
    at: "Map()",
  },
  { code: "typeof Map > 'u' && new Map();", feature: "missing global: Map", at: "Map()" },
  {
    code: "function probe() { try { Map; } catch (e) {} } probe() && Reflect.construct(A, []);",
    feature: "missing global: Reflect",
    at: "Reflect",
  },
  { code: "var a = Array.from(xs);", feature: "missing method: Array.from", at: "Array.from" },
  { code: "var a = Array['from'](xs);", feature: "missing method: Array.from", at: "Array[" },
  { code: "Object.freeze(o);", feature: "missing method: Object.freeze", at: "Object" },
  { code: "if (Number.isNaN(x)) f();", feature: "missing method: Number.isNaN", at: "Number" },
  { code: "var e = Number.EPSILON;", feature: "missing method: Number.EPSILON", at: "Number" },
  { code: "var t = Math.trunc(x);", feature: "missing method: Math.trunc", at: "Math" },
  { code: "Promise.race(ps);", feature: "missing method: Promise.race", at: "Promise" },
  { code: "var d = Date.UTC(2020, 0);", feature: "missing method: Date.UTC", at: "Date" },
  { code: "var s = String.raw;", feature: "missing method: String.raw", at: "String" },
  {
    code: "var f = Array.prototype.at;",
    feature: "missing method: Array.prototype.at",
    at: "Array",
  },
  ...prototypeMethods.map(([name, path]) => ({
    code: `var v = 1; v = x.${name}(y);`,
    feature: `missing method: ${path}`,
    at: `x.${name}`,
  })),
];

describe("checkBundle finds", () => {
  it.each(syntax)("$feature in $code", expectFound);
  it.each(builtins)("$feature in $code", expectFound);

  it("a missing prototype method named through its prototype once, not twice", () => {
    expect(found(check("Array.prototype.flat.call(xs);"))).toEqual([
      { offset: 0, feature: "missing method: Array.prototype.flat" },
    ]);
  });

  it("every violation in offset order, with 1-based line and column", () => {
    const violations = check("var a = 1;\n  let b = new Map();\n");
    expect(violations.map(({ line, column, feature }) => ({ line, column, feature }))).toEqual([
      { line: 2, column: 3, feature: "block-scoped declaration (let)" },
      { line: 2, column: 15, feature: "missing global: Map" },
    ]);
    expect(violations.map((v) => v.offset)).toEqual([13, 25]);
  });

  it("a parse error as a single violation at the parser's position", () => {
    const violations = check("var a = 1;\nvar = 2;");
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      offset: 15,
      line: 2,
      column: 5,
      feature: "parse error: Unexpected token",
    });
  });
});

const clean: [name: string, code: string, provided?: string[]][] = [
  ["a property named of", "var o = { of: 1 }; o.of = 2;"],
  [
    "arrows that keep this: a block body, or no nested arrow",
    "o.f = function () { return [1].map((a) => { var g = (b) => b; return this.x + g(0); }); }; o.h = function () { return [1].map((a) => this.x); };",
  ],
  [
    "ES5 code",
    `var counter = (function () {
      var count = 0, names = { a: 1, "b-c": 2 };
      function next(step) { count += step || 1; return count; }
      for (var key in names) if (names.hasOwnProperty(key)) next(names[key]);
      switch (count) { case 3: break; default: count = 0; }
      try { JSON.parse("{"); } catch (e) { count = -1; } finally { count++; }
      do { count--; } while (count > 0);
      var o = { get size() { return count; }, set size(v) { count = v; } };
      return { next: next, o: o, re: /a+(b|c)\\d/gi, list: [1, 2].map(function (x) { return x * 2; }) };
    })();`,
  ],
  [
    "arrow functions",
    "var add = (a, b) => a + b; xs.map((x) => x * 2); var f = () => { return this; };",
  ],
  [
    "classes without fields",
    `class A extends B {
      constructor(x) { super(x); this.x = x; }
      get y() { return this.x; }
      static make() { return new A(1); }
      m() { return super.m() + 1; }
    }`,
  ],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the code under test is a template literal
  ["an untagged template literal", "var s = `a ${b + `c ${d}`} e`;"],
  ["nullish coalescing", "var v = a ?? b;"],
  ["for…of over an array", "for (var x of [1, 2, 3]) f(x);"],
  [
    "var in loops",
    "for (var i = 0; i < 3; i++) { var j = i; fns.push(function () { return j; }); }",
  ],
  ["a typeof probe of a missing global", "if (typeof Map === 'undefined') polyfill();"],
  ["a typeof probe of a missing method", "var ok = typeof Array.from === 'function';"],
  ["a free Map when the prelude provides it", "var m = new Map();", ["Map"]],
  ["Array.from when the prelude provides it", "var a = Array.from(xs);", ["Array.from"]],
  ["obj.flat when the prelude provides it", "var a = obj.flat();", ["Array.prototype.flat"]],
  ["a parameter named Map", "function f(Map) { return new Map(); }"],
  ["a var named Symbol, used before it is declared", "Symbol.iterator; var Symbol = {};"],
  ["a catch parameter named Map", "try { f(); } catch (Map) { Map.stack; }"],
  [
    "a function expression and class named after globals",
    "(function Set() { return Set; }); new (class WeakMap { m() { return WeakMap; } })();",
  ],
  ["a hoisted function declaration named Reflect", "Reflect(); function Reflect() {}"],
  ["a destructured name is still a declaration", "function f() { return Map; var Map = 1; }"],
  [
    "keys, member names and labels named like missing globals",
    "o.Map; var p = { Map: 1, Set() {} }; p.Set();",
  ],
  [
    "Reflect.construct inside a try with a catch",
    "try { Reflect.construct(Boolean, [], function () {}); } catch (e) {}",
  ],
  ["a shim defining a missing member", "Array.prototype.flat = function () { return []; };"],
  [
    "ambiguous method names",
    "m.keys(); m.values(); m.entries(); s.lastIndexOf('a'); a.at(0); u.search; v.normalize();",
  ],
  [
    "regex lookbehind and escaped or bracketed (?<",
    "var r = [/(?<=a)b/, /(?<!a)b/, /[(?<x>]/, /\\(?<x>/, /a/gim];",
  ],
  [
    "Babel's typeof guards, including esbuild's minified `typeof x<\"u\"`",
    `var t = "undefined" != typeof Symbol && r[Symbol.iterator] || r["@@iterator"];
     var w = "function" == typeof Map ? new Map() : void 0;
     var g = "undefined" != typeof Reflect && Reflect.get ? Reflect.get.bind() : h;
     var s = typeof Symbol<"u"&&d[Symbol.iterator];
     var n = typeof WeakMap>"u"?null:new WeakMap;
     function f() { if (typeof Set === "undefined") return; new Set(); }
     typeof Proxy == "undefined" || new Proxy(o, {});
     var v = typeof x.flat == "function" ? x.flat() : x;`,
  ],
  ["regex braces escaped or in a class", "var r = /^a\\{2\\}[{}]$/; var s = /[{]+/;"],
  [
    "Babel's _isNativeReflectConstruct probe guarding Reflect",
    `var _isNativeReflectConstruct;
     function _isNativeReflectConstruct() { try { var t = !Boolean.prototype.valueOf.call(Reflect.construct(Boolean, [], function () {})); } catch (t) {} return (_isNativeReflectConstruct = function () { return !!t; })(); }
     function _callSuper(t, o, e) { return _isNativeReflectConstruct() ? Reflect.construct(o, e || []) : o.apply(t, e); }
     function _construct(t, e) { if (_isNativeReflectConstruct()) return Reflect.construct.apply(null, arguments); return null; }`,
  ],
];

describe("checkBundle passes", () => {
  it.each(clean)("%s", (_name, code, provided) => {
    expect(found(check(code, provided))).toEqual([]);
  });
});

describe("formatViolations", () => {
  it("names the file, line, column, offset and feature, one line each", () => {
    const code = "var a = 1;\nlet b = new Map();";
    expect(formatViolations("dist/espruino.js", check(code))).toBe(
      [
        "dist/espruino.js:2:1 (offset 11): block-scoped declaration (let) — var a = 1; let b = new Map();",
        "dist/espruino.js:2:13 (offset 23): missing global: Map — …a = 1; let b = new Map();",
      ].join("\n"),
    );
  });

  it("cuts the snippet of a long line around the offset", () => {
    const code = `${"a;".repeat(50)}new Map();${"b;".repeat(50)}`;
    const [line] = formatViolations("x.js", check(code)).split("\n");
    expect(line).toBe(
      `x.js:1:105 (offset 104): missing global: Map — …${"a;".repeat(8)}new Map();${"b;".repeat(17)}…`,
    );
  });
});

describe("the provided list", () => {
  it("counts what the prelude adds, not the Number constants a vm context cannot delete", () => {
    const provided = providedBy(
      "globalThis.Map = function () {}; Array.prototype.flat = function () {};",
    );
    expect(provided.sort()).toEqual(["Array.prototype.flat", "Map"]);
  });
});

describe("check-espruino CLI", () => {
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const run = (cwd: string, args: string[]) =>
    spawnSync(
      join(root, "node_modules/.bin/tsx"),
      [join(root, "scripts/check-espruino.ts"), ...args],
      {
        cwd,
        encoding: "utf8",
      },
    );
  const workspace = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "gate-"));
    mkdirSync(join(dir, "dist"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it("passes clean bundles and fails on any violation, allowing what the prelude defines", () => {
    const dir = workspace({
      "dist/prelude.js": "globalThis.Map = function () {};",
      "dist/ok.js": "var m = new Map();",
      "dist/bad.js": "var s = new Set();",
    });
    const ok = run(dir, ["dist/ok.js"]);
    expect(ok.stdout).toBe("gate: dist/ok.js: ok (18 bytes)\n");
    expect(ok.status).toBe(0);
    const bad = run(dir, ["dist/ok.js", "dist/bad.js"]);
    expect(bad.stdout).toContain("dist/bad.js:1:13 (offset 12): missing global: Set");
    expect(bad.stdout).toContain("gate: dist/ok.js: ok");
    expect(bad.status).toBe(1);
  });

  it("asks for a build when the prelude is missing", () => {
    const dir = workspace({ "dist/ok.js": "var a = 1;" });
    const result = run(dir, ["dist/ok.js"]);
    expect(result.stderr).toContain("run npm run build first");
    expect(result.status).toBe(1);
  });
});

describe("renameEspruinoKeywords", () => {
  it("renames every binding named of, with its references, and leaves properties alone", () => {
    const code =
      "var of=1;function f(of){return of+o.of}var o={of:of};out.push(f(2),of,o.of,[of].length);";
    const renamed = renameEspruinoKeywords(code, false);
    expect(check(renamed)).toEqual([]);
    const run = (c: string) => new Function(`var out = []; ${c}; return out;`)();
    expect(run(renamed)).toEqual(run(code));
    expect(renamed).toContain("o.of");
  });

  it("returns the very same code when nothing is named of", () => {
    const code = "var a=1;function f(b){return b}";
    expect(renameEspruinoKeywords(code, false)).toBe(code);
  });
});
