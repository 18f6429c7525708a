/**
 * `npm run check:espruino`: the compatibility gate over finished bundles.
 *
 * Usage: `tsx scripts/check-espruino.ts [--prelude=dist/prelude.js] dist/espruino.js …`
 *
 * Each bundle is the shim prelude followed by the lowered code, so what the prelude defines
 * (found by running it in an Espruino-like `vm` context) is allowed everywhere. Prints
 * `--prelude=none` gates a bundle that runs without the prelude (the boot stub). Prints
 * `gate: <file>: ok (<n> bytes)` per clean bundle, every violation of the others, and exits 1 if
 * any bundle has one, or if the prelude or a bundle is missing (the build has not run).
 */
import { existsSync, readFileSync } from "node:fs";
import { providedBy } from "./espruino/builtins.js";
import { checkBundle, formatViolations } from "./espruino/gate.js";

const DEFAULT_PRELUDE = "dist/prelude.js";

interface Args {
  prelude: string;
  bundles: string[];
}

function parseArgs(argv: string[]): Args {
  const preludeFlag = argv.find((arg) => arg.startsWith("--prelude="));
  return {
    prelude: preludeFlag?.slice("--prelude=".length) ?? DEFAULT_PRELUDE,
    bundles: argv.filter((arg) => !arg.startsWith("--")),
  };
}

/** One bundle's verdict, already printed; true when it passes. */
function checkFile(file: string, provided: readonly string[]): boolean {
  if (!existsSync(file)) {
    console.error(`gate: ${file}: not found (run npm run build first)`);
    return false;
  }
  const bytes = readFileSync(file);
  const violations = checkBundle(bytes.toString("utf8"), { provided });
  if (violations.length === 0) {
    console.log(`gate: ${file}: ok (${bytes.length} bytes)`);
    return true;
  }
  console.log(formatViolations(file, violations));
  console.log(`gate: ${file}: ${violations.length} violation(s)`);
  return false;
}

function main(argv: string[]): number {
  const { prelude, bundles } = parseArgs(argv);
  if (bundles.length === 0) {
    console.error("usage: tsx scripts/check-espruino.ts [--prelude=<file>] <bundle.js>...");
    return 1;
  }
  let provided: string[] = [];
  if (prelude !== "none") {
    if (!existsSync(prelude)) {
      console.error(`gate: ${prelude} not found: run npm run build first`);
      return 1;
    }
    try {
      provided = providedBy(readFileSync(prelude, "utf8"));
    } catch (error) {
      console.error(`gate: ${prelude} throws in an Espruino-like context: ${String(error)}`);
      return 1;
    }
  }
  // Check every bundle even after a failure, so one run lists everything to fix.
  const verdicts = bundles.map((file) => checkFile(file, provided));
  return verdicts.every(Boolean) ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
