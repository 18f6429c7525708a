/**
 * Entry of `dist/espruino.js`, the firmware: builds the device on the Espruino board and starts
 * it as the global `device`. WiFi credentials come from `wifi.json` in Storage
 * (`{"ssid": "...", "password": "..."}`).
 */
import { createActor } from "xstate";
import { createDeviceMachine } from "../../actors/device.js";
import { createEspruinoBoard } from "../../board/espruino/board.js";
import { loadModule } from "../../board/espruino/modules.js";
import { formatLogLine } from "../../runtime/log.js";

const board = createEspruinoBoard("espruino", "0.1.0");
const storage = loadModule<{ readJSON(name: string, quiet: boolean): any }>("Storage");
const credentials = storage.readJSON("wifi.json", true) || {};
const log = (manager: string, entry: Parameters<typeof formatLogLine>[2]) =>
  board.log(formatLogLine(board.clock.now(), manager, entry));

if (!board.hasRadio) {
  log("board", { level: "warn", msg: "this firmware has no Wifi module: the network stays down" });
}

const device = createActor(createDeviceMachine(board, log), {
  clock: board.clock,
  input: {
    network: {
      seed: Math.floor(board.random() * 4294967296),
      settings: { ssid: credentials.ssid || "", password: credentials.password || "" },
    },
  },
});
device.start();
// Reachable from the interpreter's console (`device.getSnapshot()`), and never collected.
(globalThis as unknown as { device: typeof device }).device = device;
