/**
 * The gate's built-in check: reads of globals and methods the Espruino interpreter (2v29) lacks
 * (`../builtins.ts`) and the shim prelude does not provide, unless the code has made sure of them.
 *
 * Guarantees: a free reference to a missing global, a read of a missing static member
 * (`Array.from`) and a read of a distinctive missing prototype method (`x.flat`) are reported,
 * except the operand of `typeof`, a read inside a `try` block that has a `catch`, and a read
 * guarded by a `typeof` test or by a call to such a `try` probe (the shapes Babel's and esbuild's
 * helpers use). Defining a missing member (as a shim does) is not a read.
 */
import type { AnyNode } from "acorn";
import { missingGlobals, missingMethods } from "../builtins.js";
import { isFunction, resolve, type Scopes } from "./scopes.js";

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

export interface MissingLookup {
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

export function missingLookup(provided: ReadonlySet<string>): MissingLookup {
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
export function builtinCollector(scopes: Scopes, lacks: MissingLookup) {
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
