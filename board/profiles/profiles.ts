/**
 * Board profiles (`board/profiles/<name>.json`): what a board gives the firmware (JsVars,
 * Storage, the hardware watchdog's range, its network) and which managers it runs by default;
 * and the one check the flasher makes before writing anything: that the firmware and the chosen
 * managers fit. A profile that is missing, not JSON or short of a field is refused by name.
 *
 * JsVars needed = (base + each manager's cost) × layoutFactor, from the figures measured on the
 * real interpreter that the profile keeps (`npm run measure:managers`). Storage needed = the
 * firmware in one slot + the boot stub + the provisioning files + the reserve the managers write
 * into (logs, alarms, configuration).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface WatchdogLimits {
  maxMs: number;
  stepMs: number;
}

export interface BoardProfile {
  name: string;
  title: string;
  espruinoBoard: string;
  jsVars: number;
  storageBytes: number;
  storageReserveBytes: number;
  watchdog: WatchdogLimits & { note: string };
  supervisor?: { pingIntervalMs: number };
  network: { kind: "wifi" | "none" | "host"; note: string };
  defaultManagers: string[];
  budget: {
    measuredWith: string;
    layoutFactor: number;
    layoutNote: string;
    base: number;
    managers: Record<string, number>;
  };
}

export const PROFILE_DIR = dirname(fileURLToPath(import.meta.url));

export function profileNames(): string[] {
  return readdirSync(PROFILE_DIR)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -5))
    .sort();
}

const NUMBERS = ["jsVars", "storageBytes", "storageReserveBytes"] as const;

export function loadProfile(name: string): BoardProfile {
  const file = join(PROFILE_DIR, `${name}.json`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new Error(`unknown board profile "${name}": there are ${profileNames().join(", ")}`);
  }
  let profile: BoardProfile;
  try {
    profile = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`board profile ${file} is not JSON: ${(error as Error).message}`);
  }
  for (const field of NUMBERS) {
    if (!(profile[field] > 0)) throw new Error(`board profile ${name}: ${field} must be > 0`);
  }
  if (!(profile.watchdog?.maxMs > 0 && profile.watchdog.stepMs > 0)) {
    throw new Error(`board profile ${name}: watchdog needs maxMs and stepMs`);
  }
  if (!(profile.budget?.base > 0 && profile.budget.layoutFactor > 0)) {
    throw new Error(`board profile ${name}: budget needs base and layoutFactor`);
  }
  for (const id of profile.defaultManagers ?? []) {
    if (profile.budget.managers?.[id] === undefined) {
      throw new Error(`board profile ${name}: default manager ${id} has no measured budget`);
    }
  }
  return profile;
}

export interface FitInput {
  firmwareBytes: number;
  stubBytes: number;
  provisioningBytes: number;
  managers: string[];
}

export interface Fit {
  jsVarsNeeded: number;
  storageNeeded: number;
  /** Why it does not fit, one line each; empty when it does. */
  problems: string[];
}

export function checkFit(profile: BoardProfile, input: FitInput): Fit {
  const problems: string[] = [];
  const { budget } = profile;
  let vars = budget.base;
  for (const id of input.managers) {
    const cost = budget.managers[id];
    if (cost === undefined) {
      problems.push(
        `no manager called ${id}: there are ${Object.keys(budget.managers).join(", ")}`,
      );
    } else {
      vars += cost;
    }
  }
  const jsVarsNeeded = Math.ceil(vars * budget.layoutFactor);
  if (jsVarsNeeded > profile.jsVars) {
    problems.push(
      `the managers ${input.managers.join(", ")} need about ${jsVarsNeeded} JsVars (measured: ${vars} × ${budget.layoutFactor} for this board's variables); ${profile.title} has ${profile.jsVars}: choose fewer with --managers`,
    );
  }
  // An update is written next to the firmware running: the OtaManager needs a second slot.
  const slots = input.managers.indexOf("ota") >= 0 ? 2 : 1;
  const storageNeeded =
    slots * input.firmwareBytes +
    input.stubBytes +
    input.provisioningBytes +
    profile.storageReserveBytes;
  if (storageNeeded > profile.storageBytes) {
    problems.push(
      `the firmware (${input.firmwareBytes} bytes${slots === 2 ? ", twice: ota needs a second slot" : ""}) with the boot stub, the provisioning files and ${profile.storageReserveBytes} bytes kept for logs needs ${storageNeeded} bytes of Storage; ${profile.title} has ${profile.storageBytes}`,
    );
  }
  return { jsVarsNeeded, storageNeeded, problems };
}
