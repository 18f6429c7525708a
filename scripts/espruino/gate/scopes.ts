/**
 * The gate's scope analysis: which names each function, block and the program declare, so that
 * a reference can be told from a free global.
 *
 * Guarantees: `collectScopes` records every declared name (var, let, const, functions with their
 * parameters, classes, catch parameters, imports) on the node whose subtree it covers; `resolve`
 * gives the declaring node for a name at a place, or undefined when the name is free there. It
 * over-approximates only where strict mode would hide a reference nobody writes (Annex B).
 */
import type { AnyNode, Node } from "acorn";
import { fullAncestor } from "acorn-walk";

/** Declared names and their declaring node, per scope-creating node (function, block, program…). */
export type Scopes = Map<Node, Map<string, AnyNode>>;

const BLOCK_SCOPES = new Set(["BlockStatement", "StaticBlock", "SwitchStatement", "Program"]);
const FUNCTION_TYPES = new Set([
  "FunctionDeclaration",
  "FunctionExpression",
  "ArrowFunctionExpression",
]);
const LOOP_HEADS = new Set(["ForStatement", "ForInStatement", "ForOfStatement"]);

export function isFunction(
  node: AnyNode,
): node is Extract<
  AnyNode,
  { type: "FunctionDeclaration" | "FunctionExpression" | "ArrowFunctionExpression" }
> {
  return FUNCTION_TYPES.has(node.type);
}

/**
 * Every name each scope declares, with the node that declares it. A reference resolves to the
 * innermost ancestor that declares its name; scopes are keyed by the node whose subtree they
 * cover, so the ancestor list of a reference is its scope chain.
 */
export function collectScopes(program: Node): Scopes {
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
export function resolve(name: string, ancestors: AnyNode[], scopes: Scopes): AnyNode | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const binding = scopes.get(ancestors[i])?.get(name);
    if (binding) return binding;
  }
  return undefined;
}
