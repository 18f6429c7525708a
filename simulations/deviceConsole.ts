/**
 * A device's console, line by line: a `tcp://host:port` console (Espruino's telnet, the Linux
 * interpreter's `--telnet`, a WiFi board's console) over a plain socket, or any other port
 * (`/dev/ttyACM0`, a Bluetooth address) through espruino-cli's Node API, which opens what the
 * Espruino IDE opens. Lines end at `\n`; a `\r` or a prompt around a line is the reader's to skip.
 */
import { createRequire } from "node:module";
import { connect } from "node:net";

export interface DeviceConsole {
  close(): void;
}

export interface ConsoleHandlers {
  line: (text: string) => void;
  /** The connection ended or could not be made, with why. */
  closed: (reason: string) => void;
}

function splitter(onLine: (text: string) => void) {
  let rest = "";
  return (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    for (const part of parts) onLine(part.replace(/\r$/, ""));
  };
}

function openTcp(address: string, handlers: ConsoleHandlers): Promise<DeviceConsole> {
  const url = new URL(address);
  const port = Number(url.port || 23);
  const feed = splitter(handlers.line);
  return new Promise((resolve, reject) => {
    const socket = connect(port, url.hostname);
    socket.setEncoding("utf8");
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", (error) => handlers.closed(error.message));
      resolve({ close: () => socket.destroy() });
    });
    socket.once("error", reject);
    socket.on("data", feed);
    socket.on("close", () => handlers.closed(`${address} closed the connection`));
  });
}

interface EspruinoSerial {
  startListening(listener: (data: ArrayBuffer) => void): void;
  open(port: string, opened: (status: unknown) => void, disconnected: () => void): void;
  close(): void;
}

function openWithEspruinoCli(port: string, handlers: ConsoleHandlers): Promise<DeviceConsole> {
  // espruino-cli is CommonJS and loads its tools into globals, as its own CLI does.
  const espruino = createRequire(import.meta.url)("espruino") as { init(done: () => void): void };
  const feed = splitter(handlers.line);
  return new Promise((resolve, reject) => {
    espruino.init(() => {
      const serial = (globalThis as unknown as { Espruino: { Core: { Serial: EspruinoSerial } } })
        .Espruino.Core.Serial;
      serial.startListening((data) => feed(Buffer.from(new Uint8Array(data)).toString("latin1")));
      serial.open(
        port,
        (status) => {
          if (status === undefined) reject(new Error(`espruino-cli could not open ${port}`));
          else resolve({ close: () => serial.close() });
        },
        () => handlers.closed(`${port} disconnected`),
      );
    });
  });
}

export function openDeviceConsole(port: string, handlers: ConsoleHandlers): Promise<DeviceConsole> {
  return port.startsWith("tcp://") ? openTcp(port, handlers) : openWithEspruinoCli(port, handlers);
}
