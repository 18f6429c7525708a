/**
 * One HTTP/1.1 request written byte for byte on a real socket: what `fetch` cannot send (a
 * header twice, a scheme in odd case, a request left unfinished). The answer is read to the
 * connection's end.
 */
import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** Sends `head` (request line and header lines) and `body`, or only `head` when `finish` is false. */
export function rawRequest(
  port: number,
  head: string[],
  body = "",
  finish = true,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, head: text.slice(0, split), body: text.slice(split + 4) });
    });
    const lines = head.concat(finish ? [`content-length: ${Buffer.byteLength(body)}`] : []);
    socket.write(lines.join("\r\n") + (finish ? `\r\n\r\n${body}` : "\r\n"));
  });
}
