/**
 * Keeps machine definitions out of the device's RAM. On the device a definition object is never
 * needed whole: the compiled chart carries its structure, and the runtime asks only for the leaf
 * it is about to run (an action, a guard, a delay, an invoke's source or input, the context) and
 * for an implementation by name. Built as objects, a machine's leaves and `setup`'s maps cost
 * hundreds of JsVars for as long as the device runs, and every closure among them keeps its scope.
 *
 * So the device build rewrites, in the source, each `setup({...}).createMachine({...})`:
 * - the definition becomes `{ id, leaves: (i) => { switch (i) { case 0: return <leaf 0>; ... } } }`,
 *   its leaves numbered in the order `runtime/chart/leaves.ts` walks them (the compiler's);
 * - `setup`'s argument becomes `(kind, name) => { switch (kind + ":" + name) { ... } }`, without
 *   `types`, which exist for TypeScript only.
 * A leaf or an implementation is then evaluated, from its own source and in its own scope, each
 * time it is used, and dropped after. So each must be an expression without state of its own
 * (`assign(...)`, an arrow function, a name): what machines are written with.
 *
 * The structure must be written out where the rewrite has to see it (the node objects, `states`,
 * `on`, `after`, `always`, transitions, invokes, the `entry` and `exit` lists, the maps of
 * `setup`): a name or a spread there fails the build, naming the file, the machine and the
 * place. `checkLeafCounts` then holds each rewritten machine against the one the compiler read.
 */
import { type NodePath, type PluginObj, types as t, transformSync } from "@babel/core";
import * as esbuild from "esbuild";

export interface LazyDefinition {
  id: string;
  leaves: number;
}

/** A definition the rewrite cannot see through. */
export class DefinitionNotWrittenOut extends Error {}

type Expr = t.Expression;

/** Which kinds of `setup`'s maps the runtime looks up; the rest of its argument is dropped. */
const KINDS = ["actions", "guards", "delays", "actors"];

function keyName(property: t.ObjectProperty | t.ObjectMethod): string | null {
  const key = property.key;
  if (property.computed) return t.isStringLiteral(key) ? key.value : null;
  if (t.isIdentifier(key)) return key.name;
  if (t.isStringLiteral(key)) return key.value;
  if (t.isNumericLiteral(key)) return String(key.value);
  return null;
}

/** The object's entries in `Object.keys` order: integer keys ascending, then as written. */
function entries(node: Expr | undefined, where: string): Array<[string, Expr]> {
  if (!t.isObjectExpression(node))
    throw new DefinitionNotWrittenOut(`${where} is not an object literal`);
  const out: Array<[string, Expr]> = [];
  for (const property of node.properties) {
    const name = t.isObjectProperty(property) ? keyName(property) : null;
    if (!t.isObjectProperty(property) || name === null || !t.isExpression(property.value)) {
      throw new DefinitionNotWrittenOut(`${where} has a member that is not a plain property`);
    }
    if (out.some(([known]) => known === name)) {
      throw new DefinitionNotWrittenOut(`${where} names "${name}" twice`);
    }
    out.push([name, property.value]);
  }
  const integer = (name: string) => /^(0|[1-9][0-9]*)$/.test(name);
  const numbered = out
    .filter(([name]) => integer(name))
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  return numbered.concat(out.filter(([name]) => !integer(name)));
}

function member(node: Expr, name: string, where: string): Expr | undefined {
  const found = entries(node, where).find(([key]) => key === name);
  return found?.[1];
}

/** `leaves.ts` on the syntax tree: the same walk, over the literal instead of the object. */
function collectLeaves(config: Expr, where: string): Expr[] {
  const leaves: Expr[] = [];
  const leaf = (node: Expr | undefined) => {
    if (node === undefined || t.isStringLiteral(node)) return;
    if (t.isTemplateLiteral(node) && node.expressions.length === 0) return;
    if (t.isIdentifier(node, { name: "undefined" })) return;
    leaves.push(node);
  };
  const each = (node: Expr | undefined, at: string) => {
    if (!t.isArrayExpression(node)) return leaf(node);
    for (const element of node.elements) {
      if (!t.isExpression(element))
        throw new DefinitionNotWrittenOut(`${at} has a spread or a hole`);
      leaf(element);
    }
  };
  const transitions = (node: Expr | undefined, at: string) => {
    if (node === undefined || t.isStringLiteral(node)) return;
    const list = t.isArrayExpression(node) ? node.elements : [node];
    for (const item of list) {
      if (t.isStringLiteral(item)) continue;
      if (!t.isObjectExpression(item)) {
        throw new DefinitionNotWrittenOut(`${at}: a transition is not written out`);
      }
      leaf(member(item, "guard", at));
      each(member(item, "actions", at), `${at}.actions`);
    }
  };
  const transitionMap = (node: Expr | undefined, at: string) => {
    if (node === undefined) return;
    for (const [name, value] of entries(node, at)) transitions(value, `${at}.${name}`);
  };
  const stateNode = (node: Expr, at: string) => {
    each(member(node, "entry", at), `${at}.entry`);
    each(member(node, "exit", at), `${at}.exit`);
    const invoke = member(node, "invoke", at);
    if (invoke !== undefined) {
      const invokes = t.isArrayExpression(invoke) ? invoke.elements : [invoke];
      for (const item of invokes) {
        if (!t.isExpression(item)) throw new DefinitionNotWrittenOut(`${at}.invoke has a spread`);
        leaf(member(item, "src", `${at}.invoke`));
        leaf(member(item, "input", `${at}.invoke`));
      }
    }
    transitionMap(member(node, "on", at), `${at}.on`);
    transitionMap(member(node, "after", at), `${at}.after`);
    transitions(member(node, "always", at), `${at}.always`);
    const states = member(node, "states", at);
    if (states !== undefined) {
      for (const [name, child] of entries(states, `${at}.states`))
        stateNode(child, `${at}.${name}`);
    }
  };
  leaf(member(config, "context", where));
  stateNode(config, where);
  return leaves;
}

/** `(i) => { switch (i) { case 0: return a; ... } }` over the expressions. */
function switchFunction(params: t.Identifier[], subject: Expr, cases: Array<[Expr, Expr]>): Expr {
  return t.arrowFunctionExpression(
    params,
    t.blockStatement([
      t.switchStatement(
        subject,
        cases.map(([test, value]) => t.switchCase(test, [t.returnStatement(value)])),
      ),
    ]),
  );
}

/**
 * The lookup `(k, n) => ...` replacing `setup`'s argument (its parameters named so that they
 * shadow nothing the implementations use).
 */
function lookupFunction(impl: Expr, where: string, k: t.Identifier, n: t.Identifier): Expr {
  const cases: Array<[Expr, Expr]> = [];
  for (const [kind, map] of entries(impl, where)) {
    if (!KINDS.includes(kind)) continue;
    if (!t.isObjectExpression(map))
      throw new DefinitionNotWrittenOut(`${where}.${kind} is not an object literal`);
    for (const property of map.properties) {
      const name =
        t.isObjectProperty(property) || t.isObjectMethod(property) ? keyName(property) : null;
      if (name === null) {
        throw new DefinitionNotWrittenOut(
          `${where}.${kind} has a member that is not a plain property`,
        );
      }
      const value = t.isObjectMethod(property)
        ? t.functionExpression(
            null,
            property.params,
            property.body,
            property.generator,
            property.async,
          )
        : (property as t.ObjectProperty).value;
      cases.push([t.stringLiteral(`${kind}:${name}`), value as Expr]);
    }
  }
  const subject = t.binaryExpression("+", t.binaryExpression("+", k, t.stringLiteral(":")), n);
  return switchFunction([t.cloneNode(k), t.cloneNode(n)], subject, cases);
}

function isSetupCall(node: t.Node): node is t.CallExpression {
  return (
    t.isCallExpression(node) &&
    t.isIdentifier(node.callee, { name: "setup" }) &&
    node.arguments.length === 1 &&
    t.isExpression(node.arguments[0])
  );
}

function rewrite(found: LazyDefinition[], file: string): PluginObj {
  return {
    visitor: {
      CallExpression(path: NodePath<t.CallExpression>) {
        const callee = path.node.callee;
        if (
          !t.isMemberExpression(callee) ||
          !t.isIdentifier(callee.property, { name: "createMachine" })
        ) {
          return;
        }
        const config = path.node.arguments[0];
        const idNode = t.isObjectExpression(config) ? member(config, "id", file) : undefined;
        const id = t.isStringLiteral(idNode) ? idNode.value : null;
        if (!isSetupCall(callee.object) || !t.isExpression(config) || id === null || !idNode) {
          throw new DefinitionNotWrittenOut(
            `${file}: a machine is not written as setup({...}).createMachine({ id: "...", ... })`,
          );
        }
        const where = `${file}: machine "${id}"`;
        const leaves = collectLeaves(config, where);
        const uid = (name: string) => path.scope.generateUidIdentifier(name);
        callee.object.arguments[0] = lookupFunction(
          callee.object.arguments[0] as Expr,
          `${where} setup`,
          uid("kind"),
          uid("name"),
        );
        const i = uid("leaf");
        path.node.arguments[0] = t.objectExpression([
          t.objectProperty(t.identifier("id"), idNode),
          t.objectProperty(
            t.identifier("leaves"),
            switchFunction(
              [i],
              t.cloneNode(i),
              leaves.map((leaf, i) => [t.numericLiteral(i), leaf]),
            ),
          ),
        ]);
        found.push({ id, leaves: leaves.length });
      },
    },
  };
}

/**
 * The module `source` (TypeScript) with its machine definitions rewritten, as JavaScript, and
 * the machines it defines; `null` when it defines none.
 */
export function lazyDefinitions(
  source: string,
  file: string,
): { code: string; machines: LazyDefinition[] } | null {
  if (!source.includes("createMachine(")) return null;
  const js = esbuild.transformSync(source, { loader: "ts", format: "esm", sourcefile: file }).code;
  const machines: LazyDefinition[] = [];
  const out = transformSync(js, {
    babelrc: false,
    configFile: false,
    sourceType: "module",
    filename: file,
    plugins: [() => rewrite(machines, file)],
  });
  if (!out?.code) throw new Error(`${file}: babel produced nothing`);
  return machines.length === 0 ? null : { code: out.code, machines };
}

/**
 * Fails unless every rewritten machine has as many leaves as the walk of the definition the
 * compiler read (`counts`, by id): a leaf numbered differently would run the wrong code.
 */
export function checkLeafCounts(found: LazyDefinition[], counts: Record<string, number>): void {
  const wrong = found
    .filter((m) => counts[m.id] !== m.leaves)
    .map(
      (m) =>
        `machine "${m.id}": ${m.leaves} leaves in its source, ${counts[m.id] ?? "no"} in its definition`,
    );
  if (wrong.length > 0) {
    throw new DefinitionNotWrittenOut(
      `the rewritten definitions do not match the compiled ones:\n${wrong.join("\n")}`,
    );
  }
}
