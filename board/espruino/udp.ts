/**
 * The board's UDP on Espruino's `require("dgram")` (a cut-down Node dgram, read from the
 * firmware's `jswrap_net.c` and `socketserver.c`).
 *
 * Espruino's sockets carry strings, not bytes: `send` takes a string of char codes 0-255 and
 * `message` hands one back, so datagrams are converted both ways here. A client socket needs no
 * `bind`: the first `send` opens it on a port of the stack's choosing, and answers arrive as
 * `message` events on the same object. The interpreter reports failures by throwing (no
 * network, socket creation) or by an `error` event; both reach `onError`, from a timer, as on
 * every other board.
 */
import type { Clock, Udp } from "../types.js";
import { loadModule } from "./modules.js";

interface EspruinoDgramSocket {
  send(data: string, port: number, address: string): void;
  on(
    event: "message",
    listener: (data: string, from: { address: string; port: number }) => void,
  ): void;
  on(event: "error", listener: (error: unknown) => void): void;
  close(): void;
}

interface EspruinoDgram {
  createSocket(type: string): EspruinoDgramSocket;
}

/** By `join`: on 2v29 `+=` may mark a string as UTF-8 and re-encode bytes above 127. */
function toText(data: Uint8Array): string {
  const chars: string[] = [];
  for (let i = 0; i < data.length; i++) chars.push(String.fromCharCode(data[i]));
  return chars.join("");
}

function toBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

export function espruinoUdp(clock: Clock): Udp {
  let module: EspruinoDgram | null = null;
  return {
    open(onMessage, onError) {
      let open = true;
      let socket: EspruinoDgramSocket | null = null;
      const fail = (error: string) => {
        clock.setTimeout(() => {
          if (open) onError(error);
        }, 0);
      };
      try {
        if (module === null) module = loadModule<EspruinoDgram>("dgram");
        socket = module.createSocket("udp4");
        socket.on("message", (data, from) => {
          if (open) onMessage(toBytes(data), { address: from.address, port: from.port });
        });
        socket.on("error", (error) => fail(`udp: ${JSON.stringify(error)}`));
      } catch (error) {
        fail(`udp unavailable: ${String(error)}`);
      }
      return {
        send(data, address, port) {
          if (!open || socket === null) return;
          try {
            socket.send(toText(data), port, address);
          } catch (error) {
            fail(`udp send failed: ${String(error)}`);
          }
        },
        close() {
          if (!open) return;
          open = false;
          try {
            socket?.close();
          } catch (_) {
            // Closing a socket the stack already dropped: nothing left to release.
          }
        },
      };
    },
  };
}
