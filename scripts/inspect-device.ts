/**
 * `npm run inspect-device -- --port <serial port or tcp://host:port>`: a real device in the
 * inspectors. Reads the compact inspection lines the firmware prints when `inspect.on` is in its
 * Storage (`runtime/inspectLine.ts`) from its console and relays them, masked, to the Stately
 * inspector and to the offline viewer (`simulations/inspector.ts`); every other console line is
 * printed as it came. `--inspect-port` picks the relay's port (8080). Switch the device on with
 * `require("Storage").write("inspect.on", "1")` and a reset.
 */
import { parseArgs } from "node:util";
import { parseInspectionLine } from "../runtime/inspectLine.js";
import { openDeviceConsole } from "../simulations/deviceConsole.js";
import { startInspector } from "../simulations/inspector.js";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "inspect-port": { type: "string", default: "8080" },
  },
});
const relayPort = Number(values["inspect-port"]);
if (!values.port || !(relayPort >= 0)) {
  console.error(
    "usage: npm run inspect-device -- --port <serial port or tcp://host:port> [--inspect-port 8080]",
  );
  process.exit(2);
}
const inspector = await startInspector(relayPort);
let lines = 0;
try {
  await openDeviceConsole(values.port, {
    line: (text) => {
      const line = parseInspectionLine(text);
      if (line) {
        lines++;
        inspector.record(line);
      } else if (text.includes('{"i":')) {
        console.error(`inspect-device: not an inspection line, skipped: ${text.slice(0, 200)}`);
      } else if (text.trim() !== "") {
        console.log(`device: ${text}`);
      }
    },
    closed: (reason) => {
      console.log(`inspect-device: ${reason} (${lines} inspection lines relayed)`);
      inspector.stop();
      process.exit(0);
    },
  });
} catch (error) {
  console.error(`inspect-device: cannot open ${values.port}: ${(error as Error).message}`);
  inspector.stop();
  process.exit(1);
}
console.log(`inspect-device: reading ${values.port}`);
console.log(
  `Inspector: ${inspector.url} (Stately's, online)  Offline viewer: ${inspector.viewerUrl}`,
);
