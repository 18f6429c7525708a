/**
 * Purity by tools: the lint (`biome.json`'s override for `managers/*\/machine.ts` and the other
 * pure files) refuses a machine that imports effects, a board, simulations or Node's modules, or
 * uses `Date`, timers, `Math.random` or `process`; and no pure file names Node's types (a
 * namespace the lint's type rule cannot see).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const BIOME = resolve("node_modules/.bin/biome");

/**
 * The lint's rule names for `source` at `path`, linted with the project's rules in a folder of
 * its own (the project's tree is never written to).
 */
function lintAs(path: string, source: string): string[] {
  const root = mkdtempSync(join(tmpdir(), "purity-"));
  try {
    const config = JSON.parse(readFileSync("biome.json", "utf8"));
    config.vcs = { enabled: false };
    config.files = { includes: ["**"] };
    writeFileSync(join(root, "biome.json"), JSON.stringify(config));
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
    try {
      execFileSync(BIOME, ["lint", "--max-diagnostics=100", path], { cwd: root, stdio: "pipe" });
      return [];
    } catch (error) {
      const e = error as { stdout: Buffer; stderr: Buffer };
      return (e.stdout.toString() + e.stderr.toString()).match(/lint\/\w+\/\w+/g) ?? [];
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const IMPURE = `import { readFileSync } from "node:fs";
import type { Board } from "../../board/types.js";
import { simulateDevice } from "../../simulations/device.js";
import { networkEffects } from "../network/effects.js";
export const x = [readFileSync, simulateDevice, networkEffects, Date.now(), Math.random()];
export const y = (b: Board) => [b, process.env, setTimeout(() => 0, 1)];
`;

describe("purity of the machines, by the lint", () => {
  it("refuses a machine's imports of effects, boards, simulations and Node", () => {
    const rules = lintAs("managers/example/machine.ts", IMPURE);
    expect(rules.filter((r) => r === "lint/style/noRestrictedImports")).toHaveLength(4);
  });

  it("refuses Date, timers, process and Math.random in a machine", () => {
    const rules = lintAs("managers/example/machine.ts", IMPURE);
    expect(rules.filter((r) => r === "lint/style/noRestrictedGlobals")).toHaveLength(3);
    expect(rules).toContain("lint/nursery/noJsRestrictedProperties");
  });

  it("lets effects do what machines may not", () => {
    const rules = lintAs("managers/example/effects.ts", IMPURE);
    expect(rules.filter((r) => /noRestricted|RestrictedProperties/.test(r))).toEqual([]);
  });

  it("finds no Node type named in a machine", () => {
    const machines = readdirSync("managers", { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `managers/${d.name}/machine.ts`);
    expect(machines.length).toBeGreaterThan(8);
    for (const file of machines) {
      expect(readFileSync(file, "utf8"), file).not.toMatch(/\bNodeJS\.|\bBuffer\b/);
    }
  });
});
