import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transformSync } from "@babel/core";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { dropSerializers, dropXstateSerializers } from "../scripts/espruino/dropSerializers.js";

const drop = (code: string) => {
  const dropped = { count: 0 };
  const out = transformSync(code, {
    babelrc: false,
    configFile: false,
    plugins: [dropSerializers(dropped)],
  })!.code!;
  return { out, count: dropped.count };
};

describe("dropSerializers", () => {
  it("drops per-object toJSON closures and keeps shared and class ones", () => {
    const { out, count } = drop(`
      const a = { x: 1, toJSON: () => ({ x: 1 }) };
      const b = { y: 2, toJSON() { return 2; } };
      const c = { z: 3, toJSON: function () { return 3; } };
      const d = { w: 4, toJSON: sharedToJSON };
      const e = { ["toJSON"]: () => 5 };
      class K { toJSON() { return "k"; } }
    `);
    expect(count).toBe(3);
    expect(out).toContain("toJSON: sharedToJSON");
    expect(out).toContain('["toJSON"]');
    expect(out).toContain('toJSON() {\n    return "k";');
    expect(out.match(/toJSON/g)).toHaveLength(3);
  });

  it("finds xstate's transition serialisers, and the machine still runs without them", async () => {
    const serializers = dropXstateSerializers();
    const built = await esbuild.build({
      stdin: {
        contents: `import { createActor, createMachine } from "xstate";
          const m = createMachine({ initial: "a", states: { a: { on: { GO: "b" } }, b: { after: { 10: "a" } } } });
          const actor = createActor(m).start();
          actor.send({ type: "GO" });
          globalThis.result = { value: actor.getSnapshot().value, json: JSON.stringify(actor.getSnapshot()) };
          actor.stop();`,
        resolveDir: process.cwd(),
      },
      bundle: true,
      write: false,
      format: "iife",
      mainFields: ["module", "main"],
      conditions: ["module"],
      logLevel: "silent",
      plugins: [serializers.plugin],
    });
    expect(serializers.done()).toBeGreaterThan(3);
    const code = built.outputFiles[0].text;
    expect(code).not.toMatch(/toJSON: \(\) =>/);
    const scope: { result?: { value: unknown; json: string } } = {};
    new Function("globalThis", code)(scope);
    expect(scope.result?.value).toBe("b");
    expect(JSON.parse(scope.result!.json).value).toBe("b");
  });

  it("fails the build when xstate was bundled and nothing was found", async () => {
    // An xstate whose serialisers moved: the build must stop rather than silently keep them.
    const dir = join(mkdtempSync(join(tmpdir(), "drop-")), "node_modules", "xstate", "dist");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "moved.esm.js"), "export const machine = { toJSON: sharedToJSON };\n");
    const serializers = dropXstateSerializers();
    await esbuild.build({
      entryPoints: [join(dir, "moved.esm.js")],
      bundle: true,
      write: false,
      logLevel: "silent",
      plugins: [serializers.plugin],
    });
    expect(() => serializers.done()).toThrow(/no toJSON closure/);
  });
});
