/**
 * A connection to a board's console through espruino-cli's Node API (the npm package
 * `espruino`): open a serial port or `tcp://host:port`, evaluate an expression, write a file to
 * Storage, close. All protocol work (prompt, echo off, chunking, base64) is espruino-cli's.
 *
 * Offline by construction: the board is not asked for `process.env` on connect
 * (`ENV_ON_CONNECT`), which is what makes espruino-cli fetch the board's JSON from espruino.com,
 * and a `getURL` processor answers every other fetch it might attempt with nothing, so no request
 * leaves the machine. espruino-cli's own console chatter (which would include what it received)
 * goes to `chatter`, not to the terminal: the caller shows it on failure, with secrets masked.
 */
import { createRequire } from "node:module";

interface EspruinoTools {
  Config: Record<string, unknown>;
  addProcessor(
    name: string,
    fn: (data: { url: string; data?: string }, done: (d: unknown) => void) => void,
  ): void;
  Core: {
    Serial: {
      startListening(fn: (data: ArrayBuffer) => void): void;
      open(port: string, opened: (status: unknown) => void, closed: () => void): void;
      close(): void;
      isConnected(): boolean;
    };
    Utils: {
      executeExpression(expr: string, done: (result?: string) => void, options?: object): void;
      uploadFile(name: string, contents: string, done: (result?: string) => void): void;
    };
    Status: {
      setStatus(text: string, length?: number): void;
      hasProgress(): boolean;
      incrementProgress(amount: number): void;
    };
  };
}

export interface LinkOptions {
  /** How long to wait for the port to open and the board to answer. */
  timeoutMs: number;
  /** Bytes sent so far of the current write, for a progress display. */
  onProgress?: (sent: number, total: number) => void;
}

export interface Link {
  /** The value of `expression` on the board, parsed from JSON; undefined when it did not answer. */
  evaluate(expression: string): Promise<unknown>;
  /** Writes `contents` (bytes as a binary string) to Storage as `name`, replacing it. */
  upload(name: string, contents: string): Promise<void>;
  close(): Promise<void>;
}

/** Everything espruino-cli printed: shown only when something fails, masked by the caller. */
export const chatter: string[] = [];

const requireCjs = createRequire(import.meta.url);
let tools: EspruinoTools | null = null;

/**
 * espruino-cli logs through `console` at any time, asynchronously too (what it received, the
 * requests it makes): once loaded, `console` feeds `chatter` for the rest of the process, and the
 * flasher writes to `process.stdout` itself.
 */
function silenceConsole(): void {
  const keep = (...args: unknown[]) => {
    chatter.push(args.map(String).join(" "));
  };
  console.log = keep;
  console.warn = keep;
  console.error = keep;
  console.info = keep;
}

/** Loads espruino-cli once, configured to stay offline and quiet. */
function loadTools(options: LinkOptions): EspruinoTools {
  if (!tools) {
    const api = requireCjs("espruino") as { init(done: () => void): void };
    silenceConsole();
    api.init(() => {});
    const loaded = (globalThis as unknown as { Espruino: EspruinoTools }).Espruino;
    loaded.Config.ENV_ON_CONNECT = false;
    // Bluetooth is not a way this flasher talks to a board; its stacks (noble, node-ble over
    // D-Bus) throw out of the process on a machine without a Bluetooth daemon.
    loaded.Config.BLUETOOTH_LOW_ENERGY = false;
    loaded.Config.BLUETOOTH_LOW_ENERGY_DBUS = false;
    loaded.Config.BOARD_JSON_URL = "";
    loaded.addProcessor("getURL", (data, done) => {
      chatter.push(`refused a request espruino-cli tried to make: ${data.url}`);
      done(Object.assign({}, data, { data: "" }));
    });
    tools = loaded;
  }
  let total = 0;
  let sent = 0;
  tools.Core.Status = {
    setStatus: (_text, length) => {
      if (length) {
        total = length;
        sent = 0;
      }
    },
    hasProgress: () => true,
    incrementProgress: (amount) => {
      sent += amount;
      if (total > 0) options.onProgress?.(Math.min(sent, total), total);
    },
  };
  return tools;
}

function withTimeout<T>(
  what: string,
  ms: number,
  start: (done: (value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${ms / 1000} s`)),
      ms,
    );
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Opens `port` and checks that an Espruino answers on it. */
export async function openLink(port: string, options: LinkOptions): Promise<Link> {
  const espruino = loadTools(options);
  const serial = espruino.Core.Serial;
  // espruino-cli opens only ports it has listed; a TCP address is listed from this setting.
  if (port.startsWith("tcp://")) espruino.Config.SERIAL_TCPIP = [port];
  let closed: (() => void) | null = null;
  const opened = await withTimeout<unknown>(`opening ${port}`, options.timeoutMs, (done) => {
    serial.startListening((data) => {
      chatter.push(Buffer.from(data).toString("latin1"));
    });
    serial.open(port, done, () => {
      closed?.();
      done(undefined);
    });
  }).catch((error: Error) => {
    serial.close();
    throw error;
  });
  if (opened === undefined) throw new Error(`could not open ${port}`);
  const evaluate = (expression: string) =>
    withTimeout<string | undefined>(`${port}`, options.timeoutMs, (done) =>
      espruino.Core.Utils.executeExpression(expression, done, { maxTimeout: 600 }),
    ).then((text) => {
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text);
      } catch (_) {
        return undefined;
      }
    });
  const link: Link = {
    evaluate,
    upload: (name, contents) =>
      withTimeout<unknown>(`writing ${name} on ${port}`, options.timeoutMs * 20, (done) =>
        espruino.Core.Utils.uploadFile(name, contents, done),
      ).then(() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        if (!serial.isConnected()) return resolve();
        const timer = setTimeout(resolve, 2000);
        closed = () => {
          clearTimeout(timer);
          resolve();
        };
        serial.close();
      }),
  };
  // A board that is there answers a trivial expression; a port that is something else does not.
  if ((await evaluate("1+1")) !== 2) {
    await link.close();
    throw new Error(`no Espruino answered on ${port}`);
  }
  return link;
}
