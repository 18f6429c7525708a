import { existsSync, readFileSync } from "node:fs";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { createEspruinoLikeContext, missingGlobals } from "../../../scripts/espruino/builtins.js";
import { firstDifference, parseTraceOutput } from "../../../scripts/espruino/trace.js";
import { runNetworkTrace } from "../../../simulations/networkTrace.js";
import { fakeEspruinoStorage } from "../../support/espruinoModules.js";

function bundle(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return readFileSync(file, "utf8");
}

function capture() {
  const lines: string[] = [];
  return {
    lines,
    console: { log: (...parts: unknown[]) => lines.push(parts.map(String).join(" ")) },
  };
}

describe("bundles in a vm context holding only Espruino's built-ins", () => {
  it("the context really lacks what Espruino lacks", () => {
    const context = createEspruinoLikeContext();
    for (const name of missingGlobals) {
      expect(vm.runInContext(`typeof ${name}`, context), name).toBe("undefined");
    }
    expect(vm.runInContext("typeof Array.from", context)).toBe("undefined");
    expect(vm.runInContext("typeof [].flat", context)).toBe("undefined");
  });

  it("dist/espruino-trace.js prints the same network trace as the TypeScript on Node", () => {
    const out = capture();
    vm.runInContext(
      bundle("dist/espruino-trace.js"),
      createEspruinoLikeContext({ console: out.console }),
    );
    const trace = parseTraceOutput(out.lines.join("\n"));
    const expected = runNetworkTrace();
    expect(trace.declaredCount).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(100);
    expect(firstDifference(expected, trace.lines)).toBeNull();
  });

  /** Starts the firmware on a board named `board` (Espruino's `process.env.BOARD`) with no Wifi module. */
  async function startFirmware(board: string) {
    const out = capture();
    const errors: unknown[] = [];
    const timers: ReturnType<typeof setTimeout>[] = [];
    const storage = fakeEspruinoStorage();
    const context = createEspruinoLikeContext({
      console: out.console,
      getTime: () => performance.now() / 1000,
      E: { hwRand: () => 12345 },
      process: { memory: () => ({ free: 1000, usage: 100 }), env: { BOARD: board } },
      setTimeout: (fn: () => void, ms: number) => {
        const t = setTimeout(() => {
          try {
            fn();
          } catch (e) {
            errors.push(e);
          }
        }, ms);
        timers.push(t);
        return t;
      },
      clearTimeout: (t: ReturnType<typeof setTimeout>) => clearTimeout(t),
      require: (name: string) => {
        if (name === "Storage") return storage;
        throw new Error(`Module "${name}" not found`);
      },
    });
    vm.runInContext(bundle("dist/espruino.js"), context);
    await new Promise((r) => setTimeout(r, 100));
    // Tags survive the build's renaming of `_` members: the logger, writing, is ready (it was
    // not, once, and so no manager ever looked ready on a device).
    const ready = vm.runInContext(
      'device.getSnapshot().children.logger.getSnapshot().hasTag("ready")',
      context,
    );
    for (const t of timers) clearTimeout(t);
    const logFile = storage.list(undefined, { sf: true }).find((n) => n.startsWith("log."))!;
    return {
      errors,
      ready,
      text: out.lines.join("\n"),
      flash: storage.open(logFile, "r").read(10_000),
    };
  }

  it("dist/espruino.js starts on a board without WiFi, says so, and throws nothing", async () => {
    const { errors, ready, text, flash } = await startFirmware("RASPBERRYPI_PICO");
    expect(errors).toEqual([]);
    expect(ready).toBe(true);
    expect(text).toContain("this firmware has no Wifi module");
    expect(text).toContain("this board has no WiFi radio: staying offline");
    // The same line went to flash, as JSON.
    expect(flash).toContain(
      '"msg":"this board has no WiFi radio: staying offline","manager":"network"',
    );
  });

  it("dist/espruino.js on the Linux build takes the host's network as a wired link", async () => {
    const { errors, text } = await startFirmware("LINUX32");
    expect(errors).toEqual([]);
    expect(text).toContain("the host's network, as a wired link");
    expect(text).toContain("connected after 1 attempt(s)");
    expect(text).not.toContain("no WiFi radio");
  });
});
