/**
 * Entry of `dist/espruino.js`, the firmware: builds the device on the Espruino board and starts
 * it as the global `device`. From Storage: WiFi credentials in `wifi.json`
 * (`{"ssid": "...", "password": "..."}`), the services in `services.json`
 * (`{"discoveryUrl": "http://...", "configUrl": "http://...", "alarmsUrl": "http://...",
 * "stateUrl": "http://...", "updatesUrl": "http://...", "ntpServers": [{"host": "...", "port": 123}]}`,
 * the update service and NTP servers optional),
 * the device key in `device.key`, update settings that differ from the defaults in `ota.json`
 * (`{"commitTimeoutMs": 120000, ...}`, `managers/ota/machine.ts`), and optionally the managers
 * this board runs in `managers.json`
 * (`["logger", "network", "auth", "config", "watchdog"]`: each with those it depends
 * on; all of them when absent). A list that does not hold together is logged and the core four
 * run instead, so the device still registers and takes its configuration. Log lines go to flash
 * and, as written, to the console.
 *
 * Booted by the stub (`.boot0`, `runtime/bootSlots.ts`), it finds the stub's choice in the global
 * `BOOT`: in safe mode (no slot was ever committed) it runs only `SAFE_MANAGERS`; otherwise it
 * commits its slot once the controller has found every manager live for `COMMIT_AFTER_MS`, so a
 * firmware that cannot get that far is given up after `ATTEMPTS` boots. When the OtaManager runs,
 * it commits instead, once the managers required for readiness are ready and the update service
 * answered (`managers/ota/machine.ts`).
 *
 * The version it reports is `FIRMWARE_VERSION`, set by the build (`scripts/espruino/pipeline.ts`).
 *
 * With a file `inspect.on` in Storage, every inspection event is printed on the console too, one
 * compact JSON line each (`runtime/inspectLine.ts`), for `npm run inspect-device`; without it no
 * observer is installed.
 */
import { createActor } from "xstate";
import { createEspruinoBoard } from "../../board/espruino/board.js";
import { loadModule } from "../../board/espruino/modules.js";
import {
  createDeviceMachine,
  type DeviceSetup,
  managerTable,
} from "../../managers/controller/device.js";
import { liveness } from "../../managers/controller/health.js";
import { MANAGERS } from "../../managers/list.js";
import { type BootChoice, commitSlot, type SlotStorage } from "../../runtime/bootSlots.js";
import { type Inspected, inspectionLine } from "../../runtime/inspectLine.js";

declare const FIRMWARE_VERSION: string;

const flash = loadModule<{ read(name: string): string | undefined }>("Storage");
const readJson = (name: string) => {
  try {
    return JSON.parse(flash.read(name) || "{}");
  } catch (_) {
    console.log(`board: ${name} is not JSON: ignored`);
    return {};
  }
};
// The flasher's `board.json`: the profile's watchdog range and supervisor settings.
const profile = readJson("board.json");
const board = createEspruinoBoard("espruino", FIRMWARE_VERSION);
const credentials = readJson("wifi.json");
const services = readJson("services.json");
const seed = Math.floor(board.random() * 4294967296);

if (board.link === "wired") board.log("board: no Wifi module: the host's network, as a wired link");
if (board.link === "none")
  board.log("board: this firmware has no Wifi module: the network stays down");

/** Of `ids`, those this firmware carries: a build may leave managers out (`managers` in the pipeline). */
const carried = (ids: string[]) => ids.filter((id) => MANAGERS[id] !== undefined);
/** What runs when `managers.json` names a manager that is not there or leaves out a dependency. */
const CORE_MANAGERS = carried(["logger", "network", "auth", "config"]);
/** What safe mode runs: enough to be reached and fixed, by the API or by an update. */
const SAFE_MANAGERS = carried(["logger", "network", "api", "auth", "ota"]);
const boot = (globalThis as unknown as { BOOT?: BootChoice }).BOOT;
const chosen = boot?.safe ? SAFE_MANAGERS : readJson("managers.json");
if (boot?.safe) board.log(`board: SAFE MODE: running ${SAFE_MANAGERS.join(", ")} only`);

const setup: DeviceSetup = {
  seed,
  network: { ssid: credentials.ssid || "", password: credentials.password || "" },
  services: {
    discoveryUrl: services.discoveryUrl || "http://discovery.local",
    configUrl: services.configUrl || "http://config.local",
    alarmsUrl: services.alarmsUrl || "http://alarms.local",
    stateUrl: services.stateUrl || "http://state.local",
    updatesUrl: services.updatesUrl,
  },
  boot,
  timesync: services.ntpServers ? { servers: services.ntpServers } : undefined,
  ota: readJson("ota.json"),
  observeLog: (notice) => {
    if (notice.kind === "written") board.log(notice.line.slice(0, -1));
    else if (notice.kind === "dropped") board.log(`logger: ${notice.lines} line(s) dropped`);
  },
};
const build = (managers: string[] | undefined) =>
  createDeviceMachine(board, managerTable(board, Object.assign({ managers }, setup)));
let machine: ReturnType<typeof build>;
try {
  machine = build(Array.isArray(chosen) ? chosen : undefined);
} catch (error) {
  board.log(
    `board: managers.json refused (${(error as Error).message}): running the core managers`,
  );
  machine = build(CORE_MANAGERS);
}
const device = createActor(machine, {
  id: "controller",
  clock: board.clock,
  input: { supervisor: profile.supervisor, watchdogLimits: profile.watchdog },
  // Created only when switched on: inspection events are built only for an observer.
  inspect:
    board.storage.read("inspect.on") === undefined
      ? undefined
      : (event) => {
          const line = inspectionLine(event as unknown as Inspected);
          if (line) board.log(line);
        },
});
device.start();
// Reachable from the interpreter's console (`device.getSnapshot()`), and never collected.
(globalThis as unknown as { device: typeof device }).device = device;

/** Healthy this long (every manager answering its pings) before the slot is committed. */
const COMMIT_AFTER_MS = 30_000;
// With the OtaManager running, committing is its job, gated on readiness and the update service.
if (boot?.slot && !boot.safe && !device.system.get("ota")) {
  const slot = boot.slot;
  const check = setInterval(() => {
    if (!liveness(device.getSnapshot()).live) return;
    clearInterval(check);
    const committed = commitSlot(loadModule<SlotStorage>("Storage"), slot);
    board.log(committed ? `board: slot ${slot} committed` : `board: slot ${slot} has no marker`);
  }, COMMIT_AFTER_MS);
}
