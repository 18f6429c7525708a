/**
 * Record and replay: a scenario recorded at the board seam replays without its world, on XState
 * and on the compiled runtime the device runs; a recording that does not match the machines
 * fails at the first differing transition or call, named.
 */
import stringify from "fast-json-stable-stringify";
import { describe, expect, it } from "vitest";
import { createCompiledActor } from "../../../scripts/charts/adapt.js";
import { parseRecording, ReplayDivergence, replay } from "../../../simulations/recording/replay.js";
import { runScenario } from "../../../simulations/runScenario.js";
import type { Scenario } from "../../../simulations/scenario.js";
import { scenarioNamed } from "../../../simulations/scenarios/index.js";

function record(name: string): string[] {
  const lines: string[] = [];
  const result = runScenario(scenarioNamed(name) as Scenario, { record: (l) => lines.push(l) });
  expect(result.failures).toEqual([]);
  return lines;
}

/** The recording with line `index` (0-based) replaced by `change` of its parsed object. */
function tampered(lines: string[], index: number, change: (line: any) => void): string[] {
  const copy = lines.slice();
  const line = JSON.parse(copy[index]);
  change(line);
  copy[index] = JSON.stringify(line);
  return copy;
}

describe("a recorded scenario", () => {
  // Power cuts: three boots, HTTP, NTP over UDP, alarms from outside, flash carried over.
  const lines = record("power-cuts");

  it("holds every kind of input, in canonical JSON lines", () => {
    const kinds = new Set(lines.map((l) => JSON.parse(l).k));
    for (const kind of ["boot", "start", "tick", "in", "v", "send", "stop", "out", "tr"]) {
      expect(kinds.has(kind), kind).toBe(true);
    }
    expect(lines.filter((l) => JSON.parse(l).k === "boot")).toHaveLength(3);
    expect(lines.some((l) => /"what":"udp.send"/.test(l))).toBe(true);
    // Canonical: keys sorted at every depth, as fast-json-stable-stringify writes them.
    for (const line of lines) expect(stringify(JSON.parse(line))).toBe(line);
  });

  it("is the same byte for byte when recorded again (nonces, entropy and jitter all seeded)", () => {
    const again = record("power-cuts");
    const differs = again.findIndex((line, i) => line !== lines[i]);
    expect(
      differs === -1 ? null : { line: differs + 1, was: lines[differs], now: again[differs] },
    ).toBe(null);
    expect(again).toHaveLength(lines.length);
    // The discovery's challenge is among what repeats.
    expect(lines.some((l) => l.includes('\\"nonce\\"'))).toBe(true);
  });

  it("replays on XState, every transition equal", () => {
    const result = replay(lines);
    expect(result.boots).toBe(3);
    expect(result.transitions).toBe(lines.filter((l) => JSON.parse(l).k === "tr").length);
  });

  it("replays on the compiled runtime the device runs", () => {
    const result = replay(lines, { createActor: createCompiledActor as never });
    expect(result.transitions).toBeGreaterThan(1000);
  });

  it("fails at the first transition that differs, naming it", () => {
    const index = lines.findIndex(
      (l) => /"k":"tr"/.test(l) && /"a":"network"/.test(l) && /"s":"connected/.test(l),
    );
    const bad = tampered(lines, index, (line) => {
      line.s = "backoff";
    });
    const number = lines.slice(0, index + 1).filter((l) => /"k":"tr"/.test(l)).length;
    expect(() => replay(bad)).toThrow(ReplayDivergence);
    expect(() => replay(bad)).toThrow(
      new RegExp(`^transition ${number} of \\d+ differs:\\n  recorded: .*"s":"backoff"`),
    );
  });

  it("fails when an answer differs from the one recorded, at the transition it changes", () => {
    const index = lines.findIndex(
      (l) =>
        /"k":"in"/.test(l) &&
        /"status":200/.test(l) &&
        /heartbeat|config\//.test(
          lines[
            lines.findIndex((o) => o.includes(`"c":${JSON.parse(l).c},`) && o.includes('"k":"out"'))
          ],
        ),
    );
    const bad = tampered(lines, index, (line) => {
      line.a.res.status = 503;
    });
    expect(() => replay(bad)).toThrow(/^transition \d+ of \d+ differs/);
  });

  it("fails when the device's calls differ from the recording", () => {
    const index = lines.findIndex((l) => /"k":"out"/.test(l) && /"what":"http"/.test(l));
    const bad = tampered(lines, index, (line) => {
      line.to = "GET http://elsewhere.sim/v1";
    });
    expect(() => replay(bad)).toThrow(
      /^call \d+ at \d+ ms: the device made http POST .*; the recording has http GET http:\/\/elsewhere/,
    );
  });

  it("fails when the machines do more, or less, than the recording holds", () => {
    const lastTr = lines.map((l) => /"k":"tr"/.test(l)).lastIndexOf(true);
    const withoutLastTransition = lines.filter((_l, i) => i !== lastTr);
    expect(() => replay(withoutLastTransition)).toThrow(/recorded: \(none: the recording ends\)/);
    const lastTick = lines.map((l) => /"k":"tick"/.test(l)).lastIndexOf(true);
    const withoutLastTick = lines.filter((_l, i) => i !== lastTick);
    expect(() => replay(withoutLastTick)).toThrow(ReplayDivergence);
  });

  it("refuses lines that are not JSON, and a recording without a boot", () => {
    expect(() => parseRecording(`${lines[0]}\n{"k":"tick",`)).toThrow(
      /recording line 2 is not JSON/,
    );
    expect(() => parseRecording(lines.slice(1))).toThrow(/starts with a boot line/);
  });
});
