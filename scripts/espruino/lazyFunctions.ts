/**
 * A Babel plugin that keeps the program's cold functions out of RAM until they are called. On
 * the board a function declared at the top level is an object for as long as the program runs:
 * measured on the 32-bit build, 4 variables plus one per parameter, whether it is ever called or
 * not (code run from Storage stays in flash, the function object and its parameters do not).
 * The firmware declares about 350 of them, most called rarely: on a refusal, a registration, an
 * exposition.
 *
 * A top-level function that is only ever called by its name (never read as a value, assigned,
 * or constructed with `new`) is moved into a dispatcher, `function d(i) { switch (i) { case 3:
 * return function (a, b) { ... }; ... } }`, and each call `f(x)` becomes `d(3)(x)`: the function
 * exists while it runs and is freed after, like the leaves of the machine definitions
 * (`scripts/charts/lazyDefinitions.ts`). Its body is unchanged and sees the same names: the
 * dispatcher's parameter has a name no other code uses.
 *
 * The price is time: each call creates the function and skips the bodies of the cases before it
 * (the interpreter runs source and skips by reading it). So dispatchers hold few functions each,
 * and the modules whose functions run for every event or every byte are left alone (`HOT`):
 * the actor runtime and compiled charts, the shims, the hashing.
 */
import type { types as BabelTypes, NodePath, PluginObj } from "@babel/core";

/** Functions per dispatcher: a call skips at most this many bodies but one. */
const PER_DISPATCHER = 8;

/**
 * The modules left alone, by the path esbuild's bundle names them with: those called per event
 * (the actor runtime and charts, the supervisor's pings, state names), per log line (the line's
 * format and the masking, per character), per byte (SHA-256, HMAC), everywhere (the shims), and
 * the simulated clock of the trace bundle. Counted over the reference trace, the functions still
 * moved are called about 3,400 times in its 20 minutes, against 67,000 before this list.
 */
const HOT =
  /^(runtime\/chart\/|runtime\/shims\/|runtime\/(sha256|hmac|mask|log|stateName)\.ts|managers\/supervision\.ts|board\/sim\/)/;

/** The module a statement of esbuild's bundle starts, from the comment it puts before it. */
function moduleOf(statement: BabelTypes.Statement): string | null {
  const comments = statement.leadingComments ?? [];
  for (let i = comments.length - 1; i >= 0; i--) {
    const path = /^ (\S+\.[cm]?[jt]s)$/.exec(comments[i].value);
    if (path) return path[1];
  }
  return null;
}

export function lazyFunctions({ types: t }: { types: typeof BabelTypes }): PluginObj {
  /** The top-level functions of hot modules, found before any plugin of the pass removes a
   * statement, and the comment naming its module with it. */
  const hot = new Set<BabelTypes.Node>();
  return {
    name: "lazy-functions",
    pre(file) {
      // Babel may keep one instance of the plugin for every program it transforms.
      hot.clear();
      let module = "";
      for (const statement of file.ast.program.body) {
        module = moduleOf(statement) ?? module;
        if (HOT.test(module)) hot.add(statement);
      }
    },
    visitor: {
      Program(program) {
        // Other plugins of this pass may have changed the bindings.
        program.scope.crawl();
        const chosen: Array<NodePath<BabelTypes.FunctionDeclaration>> = [];
        for (const statement of program.get("body")) {
          if (!statement.isFunctionDeclaration() || hot.has(statement.node)) continue;
          const { id, generator, async } = statement.node;
          // Babel's helpers (`_extends`, ...) run everywhere.
          if (!id || generator || async || id.name.startsWith("_")) continue;
          const binding = program.scope.getBinding(id.name);
          if (binding?.kind !== "hoisted" || binding.constantViolations.length > 0) continue;
          const onlyCalled = binding.referencePaths.every((reference) => {
            const parent = reference.parentPath;
            return parent?.isCallExpression() === true && parent.node.callee === reference.node;
          });
          if (onlyCalled && binding.referencePaths.length > 0) chosen.push(statement);
        }
        // Every call rewritten first, while each declaration is still where its calls point.
        const index = program.scope.generateUidIdentifier("i");
        const names: BabelTypes.Identifier[] = [];
        chosen.forEach((declaration, k) => {
          if (k % PER_DISPATCHER === 0) names.push(program.scope.generateUidIdentifier("lazy"));
          const name = names[names.length - 1];
          const id = declaration.node.id as BabelTypes.Identifier;
          for (const reference of program.scope.getBinding(id.name)?.referencePaths ?? []) {
            reference.replaceWith(
              t.callExpression(t.cloneNode(name), [t.numericLiteral(k % PER_DISPATCHER)]),
            );
          }
        });
        const dispatchers = names.map((name, d) => {
          const cases = chosen
            .slice(d * PER_DISPATCHER, (d + 1) * PER_DISPATCHER)
            .map((declaration, i) =>
              t.switchCase(t.numericLiteral(i), [
                t.returnStatement(
                  t.functionExpression(null, declaration.node.params, declaration.node.body),
                ),
              ]),
            );
          return t.functionDeclaration(
            name,
            [t.cloneNode(index)],
            t.blockStatement([t.switchStatement(t.cloneNode(index), cases)]),
          );
        });
        for (const declaration of chosen) declaration.remove();
        // First: the interpreter does not hoist what an `eval` of the program declares.
        program.unshiftContainer("body", dispatchers);
      },
    },
  };
}
