/**
 * The gate's syntax check: every construct the Espruino interpreter (2v29) cannot parse or runs
 * wrongly, found on one node at a time.
 *
 * Guarantees: `syntaxFindings` reports each listed feature on the node that uses it (its children
 * are visited on their own), with a short name such as `destructuring` or `regex flag u`; it never
 * looks at what a name refers to (that is `scopes.ts`) or at built-ins (`builtins.ts`).
 */
import type { AnyNode, Node } from "acorn";
import type { Finding } from "../gate.js";
import { ESPRUINO_ONLY_KEYWORDS } from "../renameKeywords.js";
import { isFunction } from "./scopes.js";

const UNSUPPORTED_REGEX_FLAGS = ["u", "y", "v"];
const LOGICAL_ASSIGNMENTS = new Set(["??=", "||=", "&&="]);

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

/** The forbidden syntax `node` itself uses (its children are visited on their own). */
export function syntaxFindings(node: AnyNode, ancestors: AnyNode[]): Finding[] {
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
