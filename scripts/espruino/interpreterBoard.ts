/**
 * The Linux interpreter run as a board: started in a folder, whose `espruino.flash` is its
 * Storage, so starting it again in the same folder is a reset that keeps the flash, and killing
 * it (SIGKILL) is a power cut. `E.reboot()` on this build ends the process with status 1: the
 * caller answers with a new start, as a board comes back by itself. Everything the process
 * prints is kept, stdout and stderr in arrival order. stdin stays open: the Linux build quits
 * when it closes.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface InterpreterBoard {
  child: ChildProcess;
  /** What it printed so far. */
  output(): string;
  /** Resolves with the exit status (null when killed) once the process has ended. */
  exited: Promise<number | null>;
  /** Types a line at its console. */
  type(line: string): void;
  /** SIGKILL, then the process's end: a power cut. */
  kill(): Promise<void>;
}

export function startBoard(bin: string, cwd: string, args: string[] = []): InterpreterBoard {
  const child = spawn(bin, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("close", (code) => resolve(code));
  });
  return {
    child,
    output: () => output,
    exited,
    type: (line) => {
      child.stdin?.write(`${line}\n`);
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
