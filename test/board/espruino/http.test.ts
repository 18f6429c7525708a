/**
 * The Espruino board's HTTP client against a fake `require("http")` shaped as the interpreter's
 * (measured on 2v29): the headers it must add itself, and the bounds it keeps on what it reads.
 */
import { afterEach, describe, expect, it } from "vitest";
import { espruinoHttp, MAX_RESPONSE_BYTES } from "../../../board/espruino/http.js";
import { VirtualClock } from "../../../board/sim/virtualClock.js";
import type { HttpResponse } from "../../../board/types.js";

type Listener = (...args: unknown[]) => void;

/** An `http` module whose server answers with `chunks`, recording what the client sent. */
function fakeHttp(chunks: string[]) {
  const sent: { headers: Record<string, string>; body: string }[] = [];
  const module = {
    request(options: { headers: Record<string, string> }, onResponse: (res: unknown) => void) {
      const listeners: Record<string, Listener[]> = {};
      const res = {
        statusCode: "200",
        headers: { "Content-Type": "application/json" },
        on: (event: string, fn: Listener) => {
          listeners[event] = (listeners[event] ?? []).concat(fn);
        },
      };
      return {
        on: () => {},
        end: (body: string) => {
          sent.push({ headers: options.headers, body });
          onResponse(res);
          for (const chunk of chunks) for (const fn of listeners.data ?? []) fn(chunk);
          for (const fn of listeners.close ?? []) fn();
        },
      };
    },
  };
  return { module, sent };
}

const host = globalThis as unknown as { require?: (name: string) => unknown };
afterEach(() => {
  delete host.require;
});

function request(chunks: string[], body = "") {
  const fake = fakeHttp(chunks);
  host.require = (name) => (name === "http" ? fake.module : undefined);
  const clock = new VirtualClock();
  const outcome: { error?: string | null; res?: HttpResponse } = {};
  espruinoHttp(clock).request(
    { method: "POST", url: "http://alarms.local:8080/v1/alarms", body, timeoutMs: 1000 },
    (error, res) => Object.assign(outcome, { error, res }),
  );
  return { outcome, sent: fake.sent };
}

describe("Espruino HTTP client", () => {
  it("says the body's length in bytes, and names the host with its port", () => {
    const body = JSON.stringify({ msg: "température 81 °C, 1 € 😀" });
    const { sent, outcome } = request(['{"ok":', "true}"], body);
    expect(sent[0].headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(sent[0].headers.host).toBe("alarms.local:8080");
    expect(outcome.error).toBeNull();
    expect(outcome.res).toEqual({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"ok":true}',
    });
  });

  it("fails a request whose answer outgrows the limit, rather than keep it all", () => {
    const chunk = "x".repeat(4096);
    const chunks = Array.from({ length: MAX_RESPONSE_BYTES / 4096 + 2 }, () => chunk);
    const { outcome } = request(chunks);
    expect(outcome.error).toBe(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
    expect(outcome.res).toBeUndefined();
  });
});
