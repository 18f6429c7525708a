/**
 * `npm run build`: writes the firmware (`dist/espruino.js`), the interpreter trace
 * (`dist/espruino-trace.js`) and the interpreter's recording run (`dist/espruino-record.js`),
 * each a program that starts with the shim prelude, the prelude alone (`dist/prelude.js`, which
 * tells the gate what the programs may use), and prints each one's size: raw, gzipped, and as a
 * board stores it in Storage, pretokenised (`scripts/espruino/pretokenise.ts`; the flasher, the
 * interpreter tests and the update service's releases store that form).
 * `npm run build -- --readable` keeps names and line
 * breaks, so the interpreter's stack traces can be read (the bundles are then larger).
 *
 * Also writes the boot stub (`dist/boot0.js`, flashed as `.boot0`): without the prelude, so it
 * stays a few hundred bytes and costs no JsVars beyond its own, followed by `BOOT_LOADER`.
 *
 * It also draws every statechart into `docs/machines/` (`npm run machines`), so no picture goes stale.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { lowerForEspruino } from "./espruino/pipeline.js";
import { pretokenise } from "./espruino/pretokenise.js";
import { writeMachineFiles } from "./machines.js";

const BUNDLES = [
  { out: "dist/espruino.js", entry: "scripts/entries/espruino.ts" },
  { out: "dist/espruino-trace.js", entry: "scripts/entries/espruino-trace.ts" },
  { out: "dist/espruino-record.js", entry: "scripts/entries/espruino-record.ts" },
];

/**
 * Loads the slot the stub chose. At the top level of `.boot0`, not inside a function: code
 * evaluated from a flash-backed string keeps its functions in flash, and a direct eval inside a
 * function would keep that function's scope alive under every closure of the firmware.
 */
const BOOT_LOADER = 'if (BOOT.file) eval(require("Storage").read(BOOT.file));';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** A bundle's size as text, gzipped, and as a board stores it (pretokenised). */
function report(file: string, code: string): void {
  const bytes = Buffer.byteLength(code);
  const gzip = gzipSync(code).length;
  const stored = pretokenise(code).length;
  console.log(
    `${file.padEnd(24)} ${String(bytes).padStart(7)} B (${kib(bytes)})  gzip ${String(gzip).padStart(6)} B (${kib(gzip)})  stored ${String(stored).padStart(7)} B (${kib(stored)})`,
  );
}

const readable = process.argv.includes("--readable");
mkdirSync("dist", { recursive: true });
// The prelude alone tells the gate which built-ins the programs may use.
const prelude = await lowerForEspruino("runtime/shims/prelude.ts", { readable });
writeFileSync("dist/prelude.js", prelude.code);
report("dist/prelude.js", prelude.code);
for (const bundle of BUNDLES) {
  const { code } = await lowerForEspruino(bundle.entry, { readable, program: true });
  writeFileSync(bundle.out, code);
  report(bundle.out, code);
}
const stub = await lowerForEspruino("scripts/entries/boot0.ts", { readable });
const boot0 = `${stub.code}\n${BOOT_LOADER}\n`;
writeFileSync("dist/boot0.js", boot0);
report("dist/boot0.js", boot0);
console.log(`docs/machines: ${writeMachineFiles()} files`);
