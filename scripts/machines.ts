/**
 * `npm run machines`: writes every statechart of the device (the controller and each manager)
 * into `docs/machines/` as JSON, Mermaid and SVG (see `simulations/charts/files.ts`), and
 * removes any file there that no machine produces any more. `npm run build` runs it too.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deviceMachines } from "../simulations/charts/deviceMachines.js";
import { MACHINES_DIR, machineFiles } from "../simulations/charts/files.js";

export function writeMachineFiles(): number {
  const files = machineFiles(deviceMachines());
  mkdirSync(MACHINES_DIR, { recursive: true });
  for (const name of readdirSync(MACHINES_DIR)) {
    if (!files.has(name)) rmSync(join(MACHINES_DIR, name));
  }
  for (const [name, content] of files) writeFileSync(join(MACHINES_DIR, name), content);
  return files.size;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`${MACHINES_DIR}: ${writeMachineFiles()} files`);
}
