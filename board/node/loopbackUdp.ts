/**
 * The same `Udp` seam and `DatagramHandler`s as `simulatedNetwork.ts`, over real UDP sockets on
 * Node (`node:dgram`): a board's UDP for runs in real time, and a server that puts a handler on
 * 127.0.0.1. Errors are the strings the simulated network gives (`network down`, `dns failure`;
 * others as the socket's error code), never delivered from inside `open()` or `send()`, and
 * nothing arrives after `close()`. Node only.
 */
import dgram from "node:dgram";
import { type DatagramHandler, DNS_FAILURE, NETWORK_DOWN } from "../sim/simulatedNetwork.js";
import type { Udp, UdpPeer } from "../types.js";

export interface LoopbackUdpServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

function errorString(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return DNS_FAILURE;
    case "ENETUNREACH":
    case "EHOSTUNREACH":
    case "ENETDOWN":
      return NETWORK_DOWN;
    default:
      return error.code ?? error.message;
  }
}

export function loopbackUdp(isLinkUp: () => boolean = () => true): Udp {
  return {
    open(onMessage, onError) {
      let open = true;
      const socket = dgram.createSocket("udp4");
      const fail = (error: string) => {
        if (open) onError(error);
      };
      socket.on("message", (data, from) => {
        if (open && isLinkUp())
          onMessage(new Uint8Array(data), { address: from.address, port: from.port });
      });
      socket.on("error", (error: NodeJS.ErrnoException) => fail(errorString(error)));
      return {
        send(data, address, port) {
          if (!open) return;
          if (!isLinkUp()) {
            setImmediate(() => fail(NETWORK_DOWN));
            return;
          }
          socket.send(data, port, address, (error) => {
            if (error) fail(errorString(error as NodeJS.ErrnoException));
          });
        },
        close() {
          if (!open) return;
          open = false;
          socket.close();
        },
      };
    },
  };
}

/** Serves `handler` on UDP at 127.0.0.1 (`port` 0: one of the system's choosing). */
export function serveUdpOnLoopback(handler: DatagramHandler, port = 0): Promise<LoopbackUdpServer> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (data, from) => {
    const peer: UdpPeer = { address: from.address, port: from.port };
    const reply = (answer: Uint8Array) => {
      socket.send(answer, peer.port, peer.address, () => {
        // A reply that cannot go out is a lost datagram: the client times out.
      });
    };
    try {
      handler(new Uint8Array(data), peer, reply);
    } catch (_error) {
      // As on the simulated network: a failing service answers nothing.
    }
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => {
      socket.off("error", reject);
      const bound = socket.address();
      resolve({
        address: bound.address,
        port: bound.port,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
