/**
 * A Babel plugin that writes the program's constants where they are read. On the board every
 * name at the top level of the program is a variable for as long as it runs, and a constant's
 * value another (a string, a number beyond 32 bits): about 130 constants of the firmware
 * (`NOT_STARTED = 0`, `RETRY_CAP_MS = 3e5`, ...) cost a variable or two each. Written in the
 * code instead, a number costs nothing (code run from Storage stays in flash) and a string only
 * while something holds it.
 *
 * Only top-level bindings whose one initial value is a number, a boolean, null or a short string,
 * never assigned again, are inlined. A string a constant holds is shared by everything that keeps
 * it, an inlined one is a copy for each: for a name of a few characters (`"xstate.init"`,
 * `"config.lkg"`) the copy costs what the shared value did, while a long one (a 64-character
 * alphabet read in a loop) stays a constant. esbuild inlines constants only across modules and in
 * modules without imports, so most of the firmware's were still variables.
 */
import type { types as BabelTypes, PluginObj } from "@babel/core";

/** The longest string inlined: two of the board's variables. */
const MAX_INLINED_STRING = 24;

export function inlineConstants({ types: t }: { types: typeof BabelTypes }): PluginObj {
  const isValue = (node: BabelTypes.Node | null | undefined): node is BabelTypes.Expression =>
    !!node &&
    (t.isNumericLiteral(node) ||
      (t.isStringLiteral(node) && node.value.length <= MAX_INLINED_STRING) ||
      t.isBooleanLiteral(node) ||
      t.isNullLiteral(node) ||
      (t.isUnaryExpression(node, { operator: "-" }) && t.isNumericLiteral(node.argument)));
  return {
    name: "inline-constants",
    visitor: {
      Program(path) {
        const bindings = path.scope.bindings;
        for (const name of Object.keys(bindings)) {
          const binding = bindings[name];
          const declarator = binding.path;
          if (!binding.constant || !declarator.isVariableDeclarator()) continue;
          const value = declarator.node.init;
          if (!isValue(value) || !t.isIdentifier(declarator.node.id)) continue;
          for (const reference of binding.referencePaths) {
            const parent = reference.parentPath;
            if (parent?.isObjectProperty() && parent.node.shorthand) parent.node.shorthand = false;
            reference.replaceWith(t.cloneNode(value));
          }
          declarator.remove();
        }
      },
    },
  };
}
