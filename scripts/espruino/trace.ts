/**
 * Reading a trace back out of an interpreter's console output, and comparing two traces.
 *
 * `dist/espruino-trace.js` prints `TRACE <canonical json>` lines between `TRACE-BEGIN` and
 * `TRACE-END <count>`, then `JSVARS <n>`. Espruino's console adds prompts and terminal escapes
 * around them, so each line is found by its marker, not by its position.
 */

export interface InterpreterTrace {
  lines: string[];
  /** Set only when the interpreter printed `TRACE-END`: a trace cut short has none. */
  declaredCount: number | null;
  jsVars: number | null;
}

export function parseTraceOutput(output: string): InterpreterTrace {
  const lines: string[] = [];
  let declaredCount: number | null = null;
  let jsVars: number | null = null;
  for (const raw of output.split("\n")) {
    const trace = raw.match(/TRACE (\{.*\})/);
    if (trace) lines.push(trace[1]);
    const end = raw.match(/TRACE-END (\d+)/);
    if (end) declaredCount = Number(end[1]);
    const vars = raw.match(/JSVARS (\d+)/);
    if (vars) jsVars = Number(vars[1]);
  }
  return { lines, declaredCount, jsVars };
}

/** The first difference between two traces, described for a person; null when equal. */
export function firstDifference(expected: string[], actual: string[]): string | null {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      return `line ${i + 1} differs:\n  expected ${expected[i] ?? "(end of trace)"}\n  actual   ${actual[i] ?? "(end of trace)"}`;
    }
  }
  return null;
}
