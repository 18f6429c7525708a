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
 * The checks are one concept a file under `gate/`: `syntax.ts` (what the parser refuses or runs
 * wrongly), `scopes.ts` (what a name refers to) and `builtins.ts` (missing built-ins and the
 * guards that make a read of one safe); this file parses, runs them and positions what they find.
 *
 * What it cannot see: behaviour that differs at run time (`for…of` over a non-array iterable,
 * `RegExp` built from strings, a method called on an object that merely has that name).
 */
import { type Node, type Position, parse } from "acorn";
import { fullAncestor } from "acorn-walk";
import { builtinCollector, missingLookup } from "./gate/builtins.js";
import { collectScopes } from "./gate/scopes.js";
import { syntaxFindings } from "./gate/syntax.js";

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

/** A node and the forbidden thing it does, before it is turned into a positioned Violation. */
export interface Finding {
  node: Node;
  feature: string;
}

const SNIPPET_BEFORE = 20;
const SNIPPET_AFTER = 40;

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
