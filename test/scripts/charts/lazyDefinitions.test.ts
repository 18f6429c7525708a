/**
 * The device build's rewrite of machine definitions (`scripts/charts/lazyDefinitions.ts`): every
 * machine of the device is rewritten with the leaves the compiler numbers, a leaf evaluates to
 * what the definition holds, and a definition the rewrite cannot see through fails the build
 * naming the file, the machine and the place.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { walkLeaves } from "../../../runtime/chart/leaves.js";
import { installersFor } from "../../../runtime/shims/install.js";
import {
  checkLeafCounts,
  DefinitionNotWrittenOut,
  lazyDefinitions,
} from "../../../scripts/charts/lazyDefinitions.js";
import { deviceMachines } from "../../../simulations/charts/deviceMachines.js";

function leafCount(config: Record<string, any>): number {
  let n = 0;
  walkLeaves(config, () => n++);
  return n;
}

/** Evaluates a rewritten module with `setup` capturing what it is given. */
function evaluate(source: string): { id: string; leaves: (i: number) => unknown; lookup: any } {
  const out = lazyDefinitions(source, "test.ts");
  if (!out) throw new Error("nothing rewritten");
  const captured: any = {};
  const setup = (lookup: unknown) => ({
    createMachine: (config: any) => Object.assign(captured, config, { lookup }),
  });
  const body = out.code.replace(/^export /gm, "");
  new Function("setup", "assign", body)(setup, (x: unknown) => ({ assign: x }));
  return captured;
}

describe("lazy machine definitions", () => {
  it("rewrites every machine of the device with as many leaves as the compiler numbers", () => {
    const found: Array<{ id: string; leaves: number }> = [];
    for (const folder of readdirSync("managers")) {
      const file = `managers/${folder}/machine.ts`;
      if (!existsSync(file)) continue;
      const lazy = lazyDefinitions(readFileSync(file, "utf8"), file);
      if (lazy) found.push(...lazy.machines);
    }
    const counts: Record<string, number> = {};
    for (const { machine } of deviceMachines()) counts[machine.id] = leafCount(machine.config);
    expect(found.map((m) => m.id).sort()).toEqual(Object.keys(counts).sort());
    expect(() => checkLeafCounts(found, counts)).not.toThrow();
    expect(() => checkLeafCounts(found, { ...counts, network: counts.network + 1 })).toThrow(
      /machine "network": \d+ leaves in its source/,
    );
  });

  it("numbers the leaves as the walk of the definition does, integer keys first", () => {
    const source = `
      const done = () => "done";
      export const m = setup({
        types: {},
        actions: { log: () => "logged", note() { return "noted"; } },
        guards: { ok: () => true },
      }).createMachine({
        id: "m",
        context: () => ({ n: 1 }),
        entry: ["log", done],
        after: { later: { target: "b", actions: assign({ n: 2 }) }, 500: { guard: "ok", actions: [done, "log"] } },
        states: { a: { on: { GO: [{ guard: () => false, target: "b" }, "b"] } }, b: { always: { actions: done } } },
      });`;
    const m = evaluate(source);
    expect(m.id).toBe("m");
    const walked: unknown[] = [];
    const config = {
      context: 0,
      entry: ["log", 1],
      after: { later: { actions: 2 }, 500: { actions: [3, "log"] } },
      states: { a: { on: { GO: [{ guard: 4 }, "b"] } }, b: { always: { actions: 5 } } },
    };
    walkLeaves(config, (leaf) => walked.push(leaf));
    // Node orders the integer key 500 before `later`: the rewrite must too.
    expect(walked).toEqual([0, 1, 3, 2, 4, 5]);
    expect((m.leaves(0) as () => unknown)()).toEqual({ n: 1 });
    expect((m.leaves(1) as () => unknown)()).toBe("done");
    expect((m.leaves(2) as () => unknown)()).toBe("done");
    expect(m.leaves(3)).toEqual({ assign: { n: 2 } });
    expect((m.leaves(4) as () => unknown)()).toBe(false);
    expect(m.leaves(6)).toBeUndefined();
    expect(m.lookup("actions", "log")()).toBe("logged");
    expect(m.lookup("actions", "note")()).toBe("noted");
    expect(m.lookup("guards", "ok")()).toBe(true);
    expect(m.lookup("guards", "log")).toBeUndefined();
  });

  it("fails, naming the machine and the place, on a structure it cannot see", () => {
    const shared = "const STATES = {}; const ON = {};";
    const cases: Array<[string, RegExp]> = [
      [
        `setup({}).createMachine({ id: "x", states: STATES })`,
        /test\.ts: machine "x".states is not an object literal/,
      ],
      [
        `setup({}).createMachine({ id: "x", states: { a: { ...ON } } })`,
        /machine "x".a has a member that is not a plain property/,
      ],
      [
        `setup({}).createMachine({ id: "x", states: { a: { on: { GO: ON } } } })`,
        /machine "x".a.on.GO: a transition is not written out/,
      ],
      [
        `setup({ actions: { ...ON } }).createMachine({ id: "x" })`,
        /machine "x" setup.actions has a member that is not a plain property/,
      ],
      [`setup({}).createMachine(ON)`, /not written as setup\(\{...\}\).createMachine/],
      [`const s = setup({}); s.createMachine({ id: "x" })`, /not written as setup/],
    ];
    for (const [code, message] of cases) {
      let error: unknown;
      try {
        lazyDefinitions(`${shared}\n${code};`, "test.ts");
      } catch (e) {
        error = e;
      }
      expect(error, code).toBeInstanceOf(DefinitionNotWrittenOut);
      expect((error as Error).message, code).toMatch(message);
    }
  });

  it("leaves a module that defines no machine alone", () => {
    expect(lazyDefinitions("export const a = 1;", "a.ts")).toBeNull();
  });
});

describe("a program's prelude", () => {
  it("holds the installers of the built-ins the code reads and of the natives it uses", () => {
    expect(installersFor("var a = 1;", [])).toEqual([]);
    expect(
      installersFor("Object.defineProperty(a,'b',{}); s.indexOf('x')", ["Array.from"]),
    ).toEqual(["fixDefineProperty", "installArrayFrom", "fixStringSearch"]);
    expect(installersFor("new Map()", ["Map", "Number.isNaN"])).toEqual([
      "installMap",
      "installNumberChecks",
    ]);
  });
});
