/**
 * The Espruino compatibility gate: parses a finished bundle (plain JS, already lowered and
 * minified, shim prelude included) and lists every construct the Espruino interpreter cannot run
 * (`/work/shared/espruino/LANGUAGE.md`).
 *
 * Guarantees:
 * - a bundle that does not parse as an ES script yields exactly one violation, `parse error: …`;
 * - every listed syntax feature is reported at the offset of the node that uses it;
 * - a free reference to a global in `missingGlobals` (after real scope analysis), a read of a
 *   static member in `missingMethods` (`Array.from`) and a read of a distinctive missing prototype
 *   method (`x.flat`) are reported unless the prelude provides them (`options.provided`);
 * - except where the code only probes for them or has checked for them first: the operand of
 *   `typeof`, a read inside a `try` block that has a `catch`, and a read guarded by a `typeof`
 *   test or a call to such a `try` probe (the shapes Babel's and esbuild's helpers use);
 * - violations come back sorted by offset; an empty list means the gate passes.
 *
 * What it cannot see: behaviour that differs at run time (`for…of` over a non-array iterable,
 * `RegExp` built from strings, a method called on an object that merely has that name).
 */
import { type AnyNode, type Node, type Position, parse } from "acorn";
import { fullAncestor } from "acorn-walk";
import { missingGlobals, missingMethods } from "./builtins.js";
import { ESPRUINO_ONLY_KEYWORDS } from "./renameKeywords.js";

export interface Violation {
  /** Index into the bundle string (UTF-16 code units) where the offending node starts. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column, as `file:line:column` links in editors and terminals count it. */
  column: number;
  /** Short human name, e.g. `destructuring`, `missing global: Map`. */
  feature: string;
  /** The source around `offset`, whitespace collapsed, on one line. */
  snippet: string;
}

export interface GateOptions {
  /** Missing globals and dotted method paths the shim prelude defines (see `providedBy`). */
  provided: readonly string[];
}

/**
 * Missing prototype methods whose bare name is NOT flagged on an arbitrary `x.NAME`: without types
 * the receiver is unknown, and these names are legitimately defined by something else the bundle
 * uses, so flagging them would fail correct bundles.
 */
const AMBIGUOUS_METHOD_NAMES: ReadonlySet<string> = new Set([
  // entries/keys/values: the Map and Set shims define them (xstate iterates maps with them), and
  // `Object.entries/keys/values` are static calls Espruino has.
  "entries",
  "keys",
  "values",
  // A generic name for application methods (a schedule's `at(time)`), missing on both Array and
  // String here, so a hit would rarely be a built-in call.
  "at",
  // `location.search`, a search query, a router's `search` field: property names first.
  "search",
  // Vectors, paths and URLs normalize themselves; String.prototype.normalize is rare in firmware.
  "normalize",
  // Missing on Array but present on String (probe: String.prototype.lastIndexOf is a function).
  "lastIndexOf",
  // A builder's `with(...)`, an immutable record's `with`: far more often not Array's.
  "with",
  // Not here on purpose: localeCompare. Only String has it and Espruino lacks it, so
  // `x.localeCompare(y)` can only be a call that throws on the board.
]);

const BLOCK_SCOPES = new Set(["BlockStatement", "StaticBlock", "SwitchStatement", "Program"]);
const FUNCTION_TYPES = new Set([
  "FunctionDeclaration",
  "FunctionExpression",
  "ArrowFunctionExpression",
]);
const LOOP_HEADS = new Set(["ForStatement", "ForInStatement", "ForOfStatement"]);
const UNSUPPORTED_REGEX_FLAGS = ["u", "y", "v"];
const LOGICAL_ASSIGNMENTS = new Set(["??=", "||=", "&&="]);
const STRING_COMPARISONS: Readonly<Record<string, (a: string, b: string) => boolean>> = {
  "==": (a, b) => a === b,
  "===": (a, b) => a === b,
  "!=": (a, b) => a !== b,
  "!==": (a, b) => a !== b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};
const SNIPPET_BEFORE = 20;
const SNIPPET_AFTER = 40;

/** A node and the forbidden thing it does, before it is turned into a positioned Violation. */
interface Finding {
  node: Node;
  feature: string;
}
/** Declared names and their declaring node, per scope-creating node (function, block, program…). */
type Scopes = Map<Node, Map<string, AnyNode>>;

export function checkBundle(code: string, options: GateOptions): Violation[] {
  let program: Node;
  try {
    program = parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      locations: true,
      // Lets `import.meta` and import/export statements parse, so they are reported by name at
      // their own node rather than as an opaque parse error; they are violations either way.
      allowImportExportEverywhere: true,
    });
  } catch (error) {
    return [parseErrorViolation(code, error)];
  }
  const findings: Finding[] = [];
  const builtins = builtinCollector(
    collectScopes(program),
    missingLookup(new Set(options.provided)),
  );
  fullAncestor(program, (node, _state, ancestors, type) => {
    findings.push(...syntaxFindings(node, ancestors));
    builtins.visit(node, ancestors, type);
  });
  findings.push(...builtins.unguarded());
  return findings
    .map(({ node, feature }) => violationAt(code, node.start, node.loc!.start, feature))
    .sort((a, b) => a.offset - b.offset);
}

export function formatViolations(file: string, violations: Violation[]): string {
  return violations
    .map((v) => `${file}:${v.line}:${v.column} (offset ${v.offset}): ${v.feature} — ${v.snippet}`)
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Positions

function parseErrorViolation(code: string, error: unknown): Violation {
  const { message, pos, loc } = error as { message?: string; pos?: number; loc?: Position };
  // acorn appends "(line:column)"; the violation carries both already.
  const reason = String(message ?? error).replace(/ \(\d+:\d+\)$/, "");
  return violationAt(code, pos ?? 0, loc ?? { line: 1, column: 0 }, `parse error: ${reason}`);
}

function violationAt(code: string, offset: number, at: Position, feature: string): Violation {
  return {
    offset,
    line: at.line,
    column: at.column + 1,
    feature,
    snippet: snippetAt(code, offset),
  };
}

function snippetAt(code: string, offset: number): string {
  const start = Math.max(0, offset - SNIPPET_BEFORE);
  const end = Math.min(code.length, offset + SNIPPET_AFTER);
  const text = code.slice(start, end).replace(/\s+/g, " ").trim();
  return `${start > 0 ? "…" : ""}${text}${end < code.length ? "…" : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Syntax

/** The forbidden syntax `node` itself uses (its children are visited on their own). */
/** `a.of` and `{ of: 1 }` name a property, which Espruino reads fine; a variable it cannot. */
function isPropertyName(node: AnyNode, parent: AnyNode | undefined): boolean {
  if (parent?.type === "MemberExpression") return parent.property === node && !parent.computed;
  if (parent?.type === "Property" || parent?.type === "MethodDefinition") {
    return (
      parent.key === node && !parent.computed && !(parent.type === "Property" && parent.shorthand)
    );
  }
  return false;
}

function syntaxFindings(node: AnyNode, ancestors: AnyNode[]): Finding[] {
  const parent = ancestors[ancestors.length - 2];
  const at = (feature: string, where: Node = node): Finding[] => [{ node: where, feature }];
  switch (node.type) {
    case "ObjectPattern":
    case "ArrayPattern":
      return at("destructuring");
    case "AssignmentPattern":
      return at(isParamOf(parent, node) ? "default parameter" : "destructuring default");
    case "RestElement":
      return at(isParamOf(parent, node) ? "rest parameter" : "rest element");
    case "SpreadElement":
      return at("spread");
    case "Property":
    case "MethodDefinition":
    case "PropertyDefinition":
      return memberFindings(node);
    case "StaticBlock":
      return at("class static block");
    case "ChainExpression":
      return at("optional chaining");
    case "BinaryExpression":
      return [
        ...(node.operator === "**" ? at("exponentiation (**)") : []),
        ...(node.left.type === "PrivateIdentifier" ? at("private name (#x)", node.left) : []),
      ];
    case "AssignmentExpression":
      if (node.operator === "**=") return at("exponentiation assignment (**=)");
      if (LOGICAL_ASSIGNMENTS.has(node.operator))
        return at(`logical assignment (${node.operator})`);
      return [];
    case "MemberExpression":
      return node.property.type === "PrivateIdentifier"
        ? at("private name (#x)", node.property)
        : [];
    case "LabeledStatement":
      return at("label");
    case "BreakStatement":
      return node.label ? at("labelled break") : [];
    case "ContinueStatement":
      return node.label ? at("labelled continue") : [];
    case "FunctionDeclaration":
    case "FunctionExpression":
      return [
        ...(node.async ? at("async function") : []),
        ...(node.generator ? at("generator") : []),
      ];
    case "ArrowFunctionExpression":
      return [
        ...(node.async ? at("async function") : []),
        ...(losesThis(node) ? at("arrow losing this (expression body holding an arrow)") : []),
      ];
    case "AwaitExpression":
      return at("await");
    case "YieldExpression":
      return at("yield");
    case "ForOfStatement":
      return node.await ? at("for await") : [];
    case "TaggedTemplateExpression":
      return at("tagged template");
    case "MetaProperty":
      return at(`${node.meta.name}.${node.property.name}`);
    case "Super":
      return isInObjectLiteralMethod(ancestors) ? at("super in object-literal method") : [];
    case "Literal":
      return literalFeatures(node).flatMap((feature) => at(feature));
    case "VariableDeclaration":
      // Espruino parses let/const but makes them function-scoped: loop closures then share one
      // binding and silently compute the wrong answer.
      return node.kind === "var" ? [] : at(`block-scoped declaration (${node.kind})`);
    case "Identifier":
      return (ESPRUINO_ONLY_KEYWORDS as readonly string[]).includes(node.name) &&
        !isPropertyName(node, parent)
        ? at(`identifier named ${node.name} (a keyword to Espruino's lexer)`)
        : [];
    case "ImportExpression":
      return at("dynamic import()");
    case "ImportDeclaration":
    case "ExportNamedDeclaration":
    case "ExportDefaultDeclaration":
    case "ExportAllDeclaration":
      return at("module syntax (import/export)");
    default:
      return [];
  }
}

/**
 * Measured on 2v29: an arrow whose expression body holds another arrow reads `this` as
 * undefined (`(q) => this.x + g((b) => b)`); with a block body it works. The build lowers every
 * arrow, so this only fires if one slips through.
 */
function losesThis(arrow: Extract<AnyNode, { type: "ArrowFunctionExpression" }>): boolean {
  if (!arrow.expression) return false;
  let usesThis = false;
  let holdsArrow = false;
  const visit = (value: unknown, inArrow: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, inArrow);
      return;
    }
    if (value === null || typeof value !== "object" || !("type" in value)) return;
    const node = value as AnyNode;
    if (node.type === "FunctionExpression" || node.type === "FunctionDeclaration") return;
    if (node.type === "ThisExpression") usesThis = true;
    if (node.type === "ArrowFunctionExpression") holdsArrow = true;
    for (const key of Object.keys(node)) {
      if (key !== "loc" && key !== "start" && key !== "end") {
        visit((node as unknown as Record<string, unknown>)[key], inArrow);
      }
    }
  };
  visit(arrow.body, true);
  return usesThis && holdsArrow;
}

function memberFindings(
  node: Extract<AnyNode, { type: "Property" | "MethodDefinition" | "PropertyDefinition" }>,
): Finding[] {
  const findings: Finding[] = [];
  if (node.type === "PropertyDefinition") findings.push({ node, feature: "class field" });
  if (node.computed) findings.push({ node, feature: "computed key" });
  if (node.key.type === "PrivateIdentifier") {
    findings.push({ node: node.key, feature: "private name (#x)" });
  }
  const accessor =
    node.type !== "PropertyDefinition" && (node.kind === "get" || node.kind === "set");
  // Measured: `get 'a-b'() {}` is a syntax error on Espruino, like a computed key.
  if (accessor && !node.computed && node.key.type === "Literal") {
    findings.push({ node, feature: "string-keyed accessor" });
  }
  return findings;
}

function literalFeatures(node: Extract<AnyNode, { type: "Literal" }>): string[] {
  if (node.bigint !== undefined) return ["BigInt literal"];
  // Espruino's lexer refuses code point escapes ("Invalid escape sequence"), in strings too.
  if (typeof node.value === "string" && node.raw !== undefined && /\\u\{/.test(node.raw)) {
    return ["code point escape (\\u{...})"];
  }
  if (!node.regex) return [];
  const { flags, pattern } = node.regex;
  const features = UNSUPPORTED_REGEX_FLAGS.filter((f) => flags.includes(f)).map(
    (f) => `regex flag ${f}`,
  );
  return features.concat(patternFeatures(pattern));
}

/**
 * What Espruino's regex engine lacks in `pattern`, outside character classes and escapes: named
 * groups (`(?<name>`; `(?<=` and `(?<!` are lookbehinds) and counted quantifiers (`\d{1,6}`,
 * `a{2}`: measured on 2v29, such a regex silently never matches).
 */
function patternFeatures(pattern: string): string[] {
  const found: string[] = [];
  const add = (feature: string) => {
    if (!found.includes(feature)) found.push(feature);
  };
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") i++;
    else if (inClass) inClass = char !== "]";
    else if (char === "[") inClass = true;
    else if (pattern.startsWith("(?<", i) && !"=!".includes(pattern[i + 3] ?? "=")) {
      add("regex named group");
    } else if (char === "{" && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      add("regex counted quantifier");
    }
  }
  return found;
}

function isParamOf(parent: AnyNode | undefined, node: AnyNode): boolean {
  return parent !== undefined && isFunction(parent) && (parent.params as AnyNode[]).includes(node);
}

function isFunction(
  node: AnyNode,
): node is Extract<
  AnyNode,
  { type: "FunctionDeclaration" | "FunctionExpression" | "ArrowFunctionExpression" }
> {
  return FUNCTION_TYPES.has(node.type);
}

/** `super` binds to the nearest non-arrow function; in an object literal that is a Property. */
function isInObjectLiteralMethod(ancestors: AnyNode[]): boolean {
  for (let i = ancestors.length - 2; i > 0; i--) {
    const node = ancestors[i];
    if (node.type === "FunctionExpression" || node.type === "FunctionDeclaration") {
      return ancestors[i - 1].type === "Property";
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Scopes

/**
 * Every name each scope declares, with the node that declares it. A reference resolves to the
 * innermost ancestor that declares its name; scopes are keyed by the node whose subtree they
 * cover, so the ancestor list of a reference is its scope chain.
 */
function collectScopes(program: Node): Scopes {
  const scopes: Scopes = new Map();
  const declare = (scope: Node, names: string[], by: AnyNode) => {
    const bindings = scopes.get(scope) ?? new Map<string, AnyNode>();
    for (const name of names) {
      if (!bindings.has(name) || by.type === "FunctionDeclaration") bindings.set(name, by);
    }
    scopes.set(scope, bindings);
  };
  fullAncestor(program, (node, _state, ancestors) => {
    const outer = ancestors.slice(0, -1);
    switch (node.type) {
      case "VariableDeclaration": {
        const names = node.declarations.flatMap((d) => patternNames(d.id));
        const scope = node.kind === "var" ? nearestVarScope(outer) : nearestBlockScope(outer);
        declare(scope, names, node);
        return;
      }
      case "FunctionDeclaration":
        // Annex B hoists a function declared in a block to its function as well: declaring it
        // there over-approximates strict mode, which only hides a reference nobody writes.
        if (node.id) declare(nearestVarScope(outer), [node.id.name], node);
        declare(node, node.params.flatMap(patternNames), node);
        return;
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        declare(
          node,
          [...(node.id ? [node.id.name] : []), ...node.params.flatMap(patternNames)],
          node,
        );
        return;
      case "ClassDeclaration":
        if (node.id) declare(nearestBlockScope(outer), [node.id.name], node);
        return;
      case "ClassExpression":
        if (node.id) declare(node, [node.id.name], node);
        return;
      case "CatchClause":
        if (node.param) declare(node, patternNames(node.param), node);
        return;
      case "ImportDeclaration":
        declare(
          program,
          node.specifiers.map((s) => s.local.name),
          node,
        );
        return;
    }
  });
  return scopes;
}

function nearestVarScope(ancestors: AnyNode[]): Node {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const node = ancestors[i];
    if (isFunction(node) || node.type === "StaticBlock" || node.type === "Program") return node;
  }
  return ancestors[0];
}

function nearestBlockScope(ancestors: AnyNode[]): Node {
  const parent = ancestors[ancestors.length - 1];
  if (LOOP_HEADS.has(parent.type)) return parent;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    if (BLOCK_SCOPES.has(ancestors[i].type)) return ancestors[i];
  }
  return ancestors[0];
}

function patternNames(pattern: AnyNode): string[] {
  switch (pattern.type) {
    case "Identifier":
      return [pattern.name];
    case "ObjectPattern":
      return pattern.properties.flatMap((p) =>
        patternNames(p.type === "Property" ? p.value : p.argument),
      );
    case "ArrayPattern":
      return pattern.elements.flatMap((e) => (e ? patternNames(e) : []));
    case "AssignmentPattern":
      return patternNames(pattern.left);
    case "RestElement":
      return patternNames(pattern.argument);
    default:
      return [];
  }
}

/** The node declaring `name` for code at the end of `ancestors`, or undefined for a free name. */
function resolve(name: string, ancestors: AnyNode[], scopes: Scopes): AnyNode | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const binding = scopes.get(ancestors[i])?.get(name);
    if (binding) return binding;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Built-ins

interface MissingLookup {
  global(name: string): boolean;
  /** A dotted static path such as `Array.from` or `Array.prototype.flat`. */
  path(path: string): boolean;
  /** For a bare method name: the unprovided prototype path it stands for, if it is distinctive. */
  prototypeMethod(name: string): string | undefined;
}

/** A read of something Espruino lacks, not yet known to be guarded. */
interface Use {
  node: AnyNode;
  feature: string;
  /** What a guard must test for: `Map`, `Array.from`, `x.flat` (undefined: `f().flat`). */
  key: string | undefined;
  ancestors: AnyNode[];
}

/** Function declarations that probe for a built-in inside a `try`, with the keys they probe. */
type Probes = Map<AnyNode, Set<string>>;

function missingLookup(provided: ReadonlySet<string>): MissingLookup {
  const globals = new Set(missingGlobals.filter((name) => !provided.has(name)));
  const paths = new Set(missingMethods.filter((path) => !provided.has(path)));
  const byName = new Map<string, string>();
  for (const path of paths) {
    const match = /^\w+\.prototype\.(\w+)$/.exec(path);
    if (match && !AMBIGUOUS_METHOD_NAMES.has(match[1]) && !byName.has(match[1])) {
      byName.set(match[1], path);
    }
  }
  return {
    global: (name) => globals.has(name),
    path: (path) => paths.has(path),
    prototypeMethod: (name) => byName.get(name),
  };
}

/**
 * Collects the reads of missing built-ins. Reads that only probe (`typeof`, inside a `try`) are
 * dropped at once, and a `try` probe inside a function declaration marks that function as a
 * probe; whether the remaining reads are guarded is decided once every probe is known.
 */
function builtinCollector(scopes: Scopes, lacks: MissingLookup) {
  const uses: Use[] = [];
  const probes: Probes = new Map();
  const visit = (node: AnyNode, ancestors: AnyNode[], type: string) => {
    const found = missingRead(node, ancestors, type, scopes, lacks);
    if (!found || isTypeofOperand(ancestors)) return;
    if (isInsideTry(ancestors)) {
      const fn = enclosingFunction(ancestors);
      if (fn?.type === "FunctionDeclaration" && found.key !== undefined) {
        probes.set(fn, (probes.get(fn) ?? new Set()).add(found.key));
      }
      return;
    }
    uses.push({ node, ...found, ancestors: [...ancestors] });
  };
  const unguarded = () => uses.filter((use) => !isGuarded(use, scopes, probes));
  return { visit, unguarded };
}

function missingRead(
  node: AnyNode,
  ancestors: AnyNode[],
  type: string,
  scopes: Scopes,
  lacks: MissingLookup,
): { feature: string; key: string | undefined } | undefined {
  // acorn-walk visits an Identifier under its own type only as a read: binding names and
  // assignment targets arrive as "VariablePattern", and it never visits non-computed property
  // keys, member property names or labels.
  if (node.type === "Identifier" && type === "Identifier") {
    if (!lacks.global(node.name) || resolve(node.name, ancestors, scopes)) return undefined;
    return { feature: `missing global: ${node.name}`, key: node.name };
  }
  if (node.type !== "MemberExpression" || isAssignmentTarget(node, ancestors)) return undefined;
  const name = propertyName(node);
  if (name === undefined) return undefined;
  const path = globalPath(node, ancestors, scopes);
  const missing = path !== undefined && lacks.path(path) ? path : lacks.prototypeMethod(name);
  if (missing === undefined) return undefined;
  return { feature: `missing method: ${missing}`, key: staticKey(node) };
}

function propertyName(node: Extract<AnyNode, { type: "MemberExpression" }>): string | undefined {
  if (!node.computed && node.property.type === "Identifier") return node.property.name;
  // Minifiers turn `x["flat"]` into `x.flat`; treat the unminified form the same.
  if (node.property.type === "Literal" && typeof node.property.value === "string") {
    return node.property.value;
  }
  return undefined;
}

/** `a.b.c` for a chain of static names (roots `this` too), else undefined. */
function staticKey(node: AnyNode): string | undefined {
  if (node.type === "Identifier") return node.name;
  if (node.type === "ThisExpression") return "this";
  if (node.type !== "MemberExpression") return undefined;
  const name = propertyName(node);
  const object = staticKey(node.object);
  return name === undefined || object === undefined ? undefined : `${object}.${name}`;
}

/** `Array.prototype.flat` when the chain is all static names rooted at a free global. */
function globalPath(node: AnyNode, ancestors: AnyNode[], scopes: Scopes): string | undefined {
  let root: AnyNode = node;
  while (root.type === "MemberExpression") root = root.object;
  if (root.type !== "Identifier" || resolve(root.name, ancestors, scopes)) return undefined;
  return staticKey(node);
}

function isAssignmentTarget(node: AnyNode, ancestors: AnyNode[]): boolean {
  // Defining a missing member (`Array.prototype.flat = …`, as a shim does) does not need it.
  const parent = ancestors[ancestors.length - 2];
  return parent?.type === "AssignmentExpression" && parent.operator === "=" && parent.left === node;
}

/** `typeof Map` never throws, whatever Map is. */
function isTypeofOperand(ancestors: AnyNode[]): boolean {
  const node = ancestors[ancestors.length - 1];
  const parent = ancestors[ancestors.length - 2];
  return (
    parent?.type === "UnaryExpression" && parent.operator === "typeof" && parent.argument === node
  );
}

/**
 * A read directly inside a `try` block with a `catch` is feature detection whose failure is
 * handled: Babel's `_isNativeReflectConstruct` does `try { Reflect.construct(…) } catch (t) {}`.
 * A function boundary ends the protection, since a closure created there may run after the try.
 */
function isInsideTry(ancestors: AnyNode[]): boolean {
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const ancestor = ancestors[i];
    if (isFunction(ancestor)) return false;
    if (
      ancestor.type === "TryStatement" &&
      ancestor.handler &&
      ancestor.block === ancestors[i + 1]
    ) {
      return true;
    }
  }
  return false;
}

function enclosingFunction(ancestors: AnyNode[]): AnyNode | undefined {
  for (let i = ancestors.length - 2; i >= 0; i--) {
    if (isFunction(ancestors[i])) return ancestors[i];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Guards

/**
 * Whether a read only runs once the code has checked that the built-in exists. Babel's helpers
 * rely on this: `"undefined" != typeof Reflect && Reflect.get`, `"function" == typeof Map ? new
 * Map() : void 0`, `_isNativeReflectConstruct() ? Reflect.construct(…) : …` (a probe function,
 * above). Existence does not change over time, so unlike a `try` a guard also covers closures.
 */
function isGuarded(use: Use, scopes: Scopes, probes: Probes): boolean {
  const key = use.key;
  if (key === undefined) return false;
  const { ancestors } = use;
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const probedBy = (callee: string) => {
      const declaration = resolve(callee, ancestors.slice(0, i + 1), scopes);
      return declaration && probes.get(declaration);
    };
    const holds = (test: AnyNode, truth: boolean) => implies(test, truth, key, probedBy);
    const guard = guardOf(ancestors[i], ancestors[i + 1]);
    if (guard && holds(guard.test, guard.truth)) return true;
    if (exitedEarlyWithout(ancestors[i], ancestors[i + 1], holds)) return true;
  }
  return false;
}

/** The test that must have come out `truth` for `child` of `node` to run. */
function guardOf(node: AnyNode, child: AnyNode): { test: AnyNode; truth: boolean } | undefined {
  switch (node.type) {
    case "LogicalExpression":
      if (child !== node.right || node.operator === "??") return undefined;
      return { test: node.left, truth: node.operator === "&&" };
    case "ConditionalExpression":
    case "IfStatement":
      if (child === node.consequent) return { test: node.test, truth: true };
      if (child === node.alternate) return { test: node.test, truth: false };
      return undefined;
    default:
      return undefined;
  }
}

/** `if (typeof Map == "undefined") return; new Map()`: an earlier statement left when absent. */
function exitedEarlyWithout(
  node: AnyNode,
  child: AnyNode,
  holds: (test: AnyNode, truth: boolean) => boolean,
): boolean {
  if (node.type !== "BlockStatement" && node.type !== "Program") return false;
  const index = (node.body as AnyNode[]).indexOf(child);
  return (node.body as AnyNode[])
    .slice(0, Math.max(index, 0))
    .some(
      (s) =>
        s.type === "IfStatement" && !s.alternate && exits(s.consequent) && holds(s.test, false),
    );
}

function exits(statement: AnyNode): boolean {
  if (statement.type === "ReturnStatement" || statement.type === "ThrowStatement") return true;
  return (
    statement.type === "BlockStatement" &&
    statement.body.length > 0 &&
    exits(statement.body.at(-1)!)
  );
}

/** Whether `test` evaluating to `truth` proves that `key` exists. */
function implies(
  test: AnyNode,
  truth: boolean,
  key: string,
  probedBy: (callee: string) => Set<string> | undefined,
): boolean {
  switch (test.type) {
    case "UnaryExpression":
      return test.operator === "!" && implies(test.argument, !truth, key, probedBy);
    case "LogicalExpression":
      // `a && b` true means both hold; `a || b` false means neither does.
      if ((test.operator === "&&") !== truth || test.operator === "??") return false;
      return implies(test.left, truth, key, probedBy) || implies(test.right, truth, key, probedBy);
    case "BinaryExpression":
      return typeofComparisonImplies(test, truth, key);
    case "CallExpression":
      return truth && test.callee.type === "Identifier" && !!probedBy(test.callee.name)?.has(key);
    default:
      return false;
  }
}

/**
 * A comparison of `typeof key` with a string proves `key` exists when it came out the other way
 * from what it gives for an absent `key` (`typeof` is then "undefined"). This covers
 * `typeof Map == "function"`, `"undefined" != typeof Map` and the minifier's `typeof Map < "u"`.
 */
function typeofComparisonImplies(
  test: Extract<AnyNode, { type: "BinaryExpression" }>,
  truth: boolean,
  key: string,
): boolean {
  const compare = STRING_COMPARISONS[test.operator];
  if (!compare || test.left.type === "PrivateIdentifier") return false;
  const isTypeofKey = (side: AnyNode) =>
    side.type === "UnaryExpression" &&
    side.operator === "typeof" &&
    staticKey(side.argument) === key;
  const stringOf = (side: AnyNode) =>
    side.type === "Literal" && typeof side.value === "string" ? side.value : undefined;
  const right = stringOf(test.right);
  const left = stringOf(test.left);
  if (isTypeofKey(test.left) && right !== undefined) return truth !== compare("undefined", right);
  if (isTypeofKey(test.right) && left !== undefined) return truth !== compare(left, "undefined");
  return false;
}
