/**
 * Renames variables the minifier called `of`, which Espruino's lexer reads as a keyword (its
 * `for…of` token): `var of` or a parameter `of` is a syntax error there ("Got of expected ID"),
 * while JavaScript allows the name. esbuild picks it among its short names once a bundle is large
 * enough, and has no option to reserve an identifier, so the pass after minification renames
 * each such binding, with every reference to it, to a fresh name. Property names (`a.of`,
 * `{of: 1}`) are fine on Espruino and stay.
 */
import { type PluginObj, transformSync } from "@babel/core";

/** Bindings Espruino cannot name: JavaScript identifiers that are keywords to its lexer. */
export const ESPRUINO_ONLY_KEYWORDS = ["of"] as const;

function renameKeywordBindings(renamed: { count: number }): PluginObj {
  return {
    name: "rename-espruino-keywords",
    visitor: {
      Scopable(path) {
        for (const name of ESPRUINO_ONLY_KEYWORDS) {
          if (!path.scope.hasOwnBinding(name)) continue;
          path.scope.rename(name, path.scope.generateUid(name));
          renamed.count++;
        }
      },
    },
  };
}

/** The code with such bindings renamed; the very same string when there are none. */
export function renameEspruinoKeywords(code: string, readable: boolean): string {
  const renamed = { count: 0 };
  const out = transformSync(code, {
    babelrc: false,
    configFile: false,
    sourceType: "script",
    compact: !readable,
    minified: !readable,
    comments: readable,
    plugins: [() => renameKeywordBindings(renamed)],
  });
  if (renamed.count === 0) return code;
  if (!out?.code) throw new Error("rename-espruino-keywords: babel produced nothing");
  return out.code;
}
