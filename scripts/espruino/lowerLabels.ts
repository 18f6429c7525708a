/**
 * A Babel plugin that removes labelled loops, which Espruino cannot run: it evaluates the label
 * as a variable (`ReferenceError: "loop" is not defined`). xstate 5 has one on its hot path
 * (`loop: for … break loop` in `selectEventlessTransitions`), and no Babel transform lowers them.
 *
 * `break L` from inside inner loops or switches becomes "set a flag, break", and after each inner
 * statement it escapes from, a check breaks again until the labelled loop is left. `continue L`
 * does the same with its own flag, which the labelled loop's body clears before it continues.
 * A labelled statement that is not a loop is refused: nothing needs one yet.
 */
import type { types as BabelTypes, NodePath, PluginObj } from "@babel/core";

type Jump = "break" | "continue";

export function lowerLabels({ types: t }: { types: typeof BabelTypes }): PluginObj {
  return {
    name: "lower-labels",
    visitor: {
      LabeledStatement(path) {
        const label = path.node.label.name;
        const loop = path.get("body");
        if (!loop.isLoop()) {
          throw path.buildCodeFrameError(
            `labelled ${loop.node.type} cannot be lowered for Espruino`,
          );
        }
        const flags: Record<Jump, BabelTypes.Identifier | null> = { break: null, continue: null };
        const flag = (kind: Jump) => {
          if (!flags[kind]) flags[kind] = path.scope.generateUidIdentifier(`${label}_${kind}`);
          return flags[kind]!;
        };
        /** Statements a labelled jump escapes from, with the jumps that escape each. */
        const escaped = new Map<NodePath, Set<Jump>>();

        loop.traverse({
          Function(inner) {
            inner.skip();
          },
          "BreakStatement|ContinueStatement"(jumpPath) {
            const jump = jumpPath.node as BabelTypes.BreakStatement | BabelTypes.ContinueStatement;
            if (!jump.label || jump.label.name !== label) return;
            const kind: Jump = jumpPath.isBreakStatement() ? "break" : "continue";
            const crossed: NodePath[] = [];
            for (let p = jumpPath.parentPath; p && p !== loop; p = p.parentPath) {
              if (p.isLoop() || p.isSwitchStatement()) crossed.push(p);
            }
            if (crossed.length === 0) {
              jumpPath.replaceWith(kind === "break" ? t.breakStatement() : t.continueStatement());
              return;
            }
            for (const p of crossed) {
              if (!escaped.has(p)) escaped.set(p, new Set());
              escaped.get(p)!.add(kind);
            }
            jumpPath.replaceWithMultiple([
              t.expressionStatement(
                t.assignmentExpression("=", flag(kind), t.booleanLiteral(true)),
              ),
              t.breakStatement(),
            ]);
          },
        });

        for (const [inner, kinds] of escaped) {
          const checks: BabelTypes.Statement[] = [];
          if (kinds.has("break")) checks.push(t.ifStatement(flag("break"), t.breakStatement()));
          if (kinds.has("continue")) {
            checks.push(
              t.ifStatement(
                flag("continue"),
                escapesInto(inner, loop)
                  ? t.blockStatement([
                      t.expressionStatement(
                        t.assignmentExpression("=", flag("continue"), t.booleanLiteral(false)),
                      ),
                      t.continueStatement(),
                    ])
                  : t.breakStatement(),
              ),
            );
          }
          inner.insertAfter(checks);
        }

        const declarations = (["break", "continue"] as Jump[])
          .filter((kind) => flags[kind] !== null)
          .map((kind) => t.variableDeclarator(flags[kind]!, t.booleanLiteral(false)));
        const lowered: BabelTypes.Statement[] = [loop.node];
        if (declarations.length > 0) lowered.unshift(t.variableDeclaration("var", declarations));
        path.replaceWithMultiple(lowered);
      },
    },
  };
}

/** Whether the nearest loop or switch around `inner` is `loop` itself. */
function escapesInto(inner: NodePath, loop: NodePath): boolean {
  for (let p = inner.parentPath; p; p = p.parentPath) {
    if (p === loop) return true;
    if (p.isLoop() || p.isSwitchStatement()) return false;
  }
  return false;
}
