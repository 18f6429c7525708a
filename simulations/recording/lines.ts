/**
 * The lines of a recording: one canonical JSON object per line (fast-json-stable-stringify), in
 * the order things happened, so two recordings of the same run are byte for byte equal and a
 * `diff` of two runs shows where they part.
 *
 * Inputs (what reaches the machines from outside them): `boot` (seed, flash files, settings),
 * `start`, `tick` (a timer of the device fired), `in` (a board callback answering call `c`: a
 * join, a probe, an HTTP answer, a datagram, a lost link, a request to the device's server),
 * `v` (a value the board returned at once: entropy, free memory), `send` (an event sent to the
 * controller from outside), `stop`. Outputs, checked on replay: `out` (a call the device made
 * on its board, numbered `c` in the order made) and `tr` (a snapshot of an actor: its state,
 * the event that led there, and a hash of its context).
 *
 * Holds no Node API: the interpreter's recording bundle prints these lines.
 */
import stringify from "fast-json-stable-stringify";

/** What the simulated device is built from, as plain data (the rest comes from the world). */
export interface BootSettings {
  deviceId: string;
  deviceKey: string;
  /** Passed to `simulateDevice` as they are (`network`, `supervisor`, `timesync`...). */
  device: Record<string, unknown>;
}

export type RecordLine =
  | { k: "boot"; t: number; seed: number; files: Record<string, string>; settings: BootSettings }
  | { k: "start"; t: number }
  | { k: "tick"; t: number }
  | { k: "in"; t: number; c: number; a: Record<string, unknown> }
  /** Entropy as a whole number of 2^-32 steps; free memory as the board reports it. */
  | { k: "v"; what: "entropy" | "memory"; v: number }
  | { k: "send"; t: number; event: Record<string, unknown> }
  | { k: "stop"; t: number }
  | { k: "out"; t: number; c: number; what: string; to?: string }
  | { k: "tr"; t: number; a: string; on: string; s: string; ctx: string; st?: string };

export function lineText(line: RecordLine): string {
  return stringify(line);
}

/**
 * FNV-1a (32 bits) of a string, as 8 hex digits: context is compared, not kept, so a day's
 * recording stays small. Shifts and adds only, so the interpreter computes the same value.
 */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i) & 0xff;
    hash = (hash + (hash << 1) + (hash << 4) + (hash << 7) + (hash << 8) + (hash << 24)) >>> 0;
  }
  return `0000000${hash.toString(16)}`.slice(-8);
}

/** Bytes as lower-case hex (datagrams). */
export function toHex(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i++) out += (data[i] < 16 ? "0" : "") + data[i].toString(16);
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
