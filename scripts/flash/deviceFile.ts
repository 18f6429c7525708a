/**
 * The device file a user fills in before flashing (`device.example.json` shows every field),
 * turned into the provisioning files the firmware reads from Storage: `wifi.json`,
 * `services.json`, `device.key`, `api.key`, `managers.json`, `board.json` (the profile's
 * limits the controller holds the hardware watchdog to), and `ota.json` when the device file
 * sets update settings (`ota`: `commitTimeoutMs`... in milliseconds, `managers/ota/machine.ts`). Every missing or malformed field is
 * named, all at once, before anything is written. `secrets` lists the values never to print.
 */
import { readFileSync } from "node:fs";
import type { BoardProfile } from "../../board/profiles/profiles.js";
import { OTA_DEFAULTS } from "../../managers/ota/machine.js";

export interface Provisioning {
  files: Record<string, string>;
  managers: string[];
  secrets: string[];
}

const URLS = ["discoveryUrl", "configUrl", "stateUrl", "alarmsUrl"] as const;

function text(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

export function readDeviceFile(
  path: string,
  profile: BoardProfile,
  managersOverride?: string[],
): Provisioning {
  let device: Record<string, any>;
  try {
    device = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`device file ${path}: ${(error as Error).message}`);
  }
  if (typeof device !== "object" || device === null || Array.isArray(device)) {
    throw new Error(`device file ${path}: must hold a JSON object`);
  }
  const missing: string[] = [];
  const services = device.services ?? {};
  for (const key of URLS) {
    if (!text(services[key]) || !/^http:\/\//.test(services[key])) {
      missing.push(`services.${key} (an http:// URL)`);
    }
  }
  if (services.ntpServers !== undefined && !Array.isArray(services.ntpServers)) {
    missing.push("services.ntpServers (a list of {host, port})");
  }
  const ota = device.ota ?? {};
  const otaKeys = Object.keys(OTA_DEFAULTS);
  if (typeof ota !== "object" || Array.isArray(ota)) missing.push("ota (an object)");
  else {
    for (const key of Object.keys(ota)) {
      if (!otaKeys.includes(key)) missing.push(`ota.${key} (not one of ${otaKeys.join(", ")})`);
      else if (!(Number.isInteger(ota[key]) && ota[key] > 0)) {
        missing.push(`ota.${key} (a positive whole number)`);
      }
    }
  }
  if (!text(device.deviceKey)) missing.push("deviceKey");
  if (!text(device.apiKey)) missing.push("apiKey");
  const wifi = device.wifi ?? {};
  if (profile.network.kind === "wifi" && (!text(wifi.ssid) || typeof wifi.password !== "string")) {
    missing.push(`wifi.ssid and wifi.password (${profile.title} joins a WiFi network)`);
  }
  const managers: unknown = managersOverride ?? device.managers ?? profile.defaultManagers;
  if (!Array.isArray(managers) || !managers.every(text)) {
    missing.push("managers (a list of manager names)");
  }
  if (missing.length > 0) {
    throw new Error(`device file ${path} lacks or has a bad: ${missing.join(", ")}`);
  }
  const files: Record<string, string> = {
    "services.json": JSON.stringify(services),
    "device.key": device.deviceKey,
    "api.key": device.apiKey,
    "managers.json": JSON.stringify(managers),
    "board.json": JSON.stringify({
      profile: profile.name,
      watchdog: { maxMs: profile.watchdog.maxMs, stepMs: profile.watchdog.stepMs },
      supervisor: profile.supervisor,
    }),
  };
  if (device.ota !== undefined) files["ota.json"] = JSON.stringify(ota);
  if (text(wifi.ssid))
    files["wifi.json"] = JSON.stringify({ ssid: wifi.ssid, password: wifi.password });
  const secrets = [device.deviceKey, device.apiKey];
  if (text(wifi.password)) secrets.push(wifi.password);
  return { files, managers: managers as string[], secrets };
}
