/**
 * Runs a bundle on the real Espruino interpreter (the Linux target at `ESPRUINO_BIN`) the way a
 * board runs it: first written into Storage, pretokenised as a board stores it
 * (`pretokenise.ts`), then evaluated from there, so function code stays in flash instead of being
 * copied into RAM. Each run gets a fresh working directory, because
 * the Linux target keeps its flash in `espruino.flash` beside it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pretokenise } from "./pretokenise.js";

export interface InterpreterRun {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
}

/** Storage writes are chunked: one huge string literal would itself need that much RAM. */
const CHUNK = 4096;
const CHUNKS_PER_RUN = 8;

/**
 * `bytes` (a binary string: one character per byte) as a string literal the interpreter reads
 * back byte for byte: a pretokenised firmware holds bytes above 0x7F, which a script file in
 * UTF-8 would turn into two each.
 */
function byteLiteral(bytes: string): string {
  return JSON.stringify(bytes).replace(/[\u0080-\uffff]/g, (ch) => {
    const code = ch.charCodeAt(0);
    if (code > 0xff) throw new Error(`not a byte: U+${code.toString(16)} in a file for Storage`);
    return `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

function runScript(
  bin: string,
  cwd: string,
  script: string,
  timeoutMs: number,
  args: string[] = [],
) {
  const file = join(cwd, `step-${Date.now()}.js`);
  writeFileSync(file, script);
  return new Promise<InterpreterRun>((resolve) => {
    // stdin stays open until the run ends: the Linux target quits when its stdin closes.
    const child = spawn(bin, [...args, file], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ output, exitCode, timedOut });
    });
  });
}

/**
 * Writes `code`, pretokenised, (and `files`, binary strings) into Storage as `name`, then
 * evaluates it from Storage followed by
 * `epilogue` (which should end with `quit()`). Returns the console output of the second run.
 */
export async function runFromStorage(options: {
  bin: string;
  code: string;
  name: string;
  epilogue: string;
  timeoutMs: number;
  /** Other files to put into Storage first, as a provisioned board has them. */
  files?: Record<string, string>;
  /** Interpreter options for the run from Storage, e.g. `--telnet`. */
  args?: string[];
  /** `code` stored as written instead of pretokenised: to compare the two. */
  asText?: boolean;
}): Promise<InterpreterRun> {
  const cwd = mkdtempSync(join(tmpdir(), "espruino-"));
  try {
    const { bin, name } = options;
    const code = options.asText ? options.code : pretokenise(options.code);
    const writes: string[] = [`S.erase(${JSON.stringify(name)});`];
    for (const [file, content] of Object.entries(options.files ?? {})) {
      writes.push(`S.write(${JSON.stringify(file)}, ${byteLiteral(content)});`);
    }
    for (let offset = 0; offset < code.length; offset += CHUNK) {
      const chunk = byteLiteral(code.slice(offset, offset + CHUNK));
      writes.push(`S.write(${JSON.stringify(name)}, ${chunk}, ${offset}, ${code.length});`);
    }
    // A few chunks per run: a script is read into RAM whole, and a board-sized heap (12,000
    // JsVars) cannot hold the whole firmware as string literals at once.
    for (let first = 0; first < writes.length; first += CHUNKS_PER_RUN) {
      const batch = writes.slice(first, first + CHUNKS_PER_RUN).join("\n");
      const last = first + CHUNKS_PER_RUN >= writes.length;
      const store = await runScript(
        bin,
        cwd,
        `var S = require("Storage");\n${batch}\n${last ? `console.log("STORED " + (S.read(${JSON.stringify(name)}) || "").length); ` : 'console.log("BATCH"); '}quit();`,
        options.timeoutMs,
      );
      const stored = store.output.match(/STORED (\d+)/);
      if (last ? !stored || Number(stored[1]) !== code.length : !/BATCH/.test(store.output)) {
        throw new Error(`could not write ${name} into Storage:\n${store.output.slice(-2000)}`);
      }
    }
    return await runScript(
      bin,
      cwd,
      `eval(require("Storage").read(${JSON.stringify(name)}));\n${options.epilogue}`,
      options.timeoutMs,
      options.args,
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
