/**
 * The board's HTTP client on Espruino's `require("http")`.
 *
 * Sends `Host` and `Content-Length` itself: Espruino omits them and Node-based servers answer 400
 * without them (measured). Response header names are lower-cased, as the seam promises. The
 * timeout and cancel are the board's: Espruino's request has neither.
 */
import { parseHttpUrl } from "../../runtime/url.js";
import type { Clock, Http } from "../types.js";
import { loadModule } from "./modules.js";

interface EspruinoResponse {
  statusCode: number | string;
  headers: Record<string, string>;
  on(event: "data", listener: (chunk: string) => void): void;
  on(event: "close", listener: () => void): void;
}

interface EspruinoRequest {
  on(event: "error", listener: (error: unknown) => void): void;
  end(body?: string): void;
}

interface EspruinoHttp {
  request(
    options: {
      host: string;
      port: number;
      path: string;
      method: string;
      headers: Record<string, string>;
    },
    onResponse: (res: EspruinoResponse) => void,
  ): EspruinoRequest;
}

export function espruinoHttp(clock: Clock): Http {
  let module: EspruinoHttp | null = null;
  return {
    request(req, done) {
      let open = true;
      const cancel = () => {
        open = false;
        clock.clearTimeout(timer);
      };
      const finish = (error: string | null, res?: Parameters<typeof done>[1]) => {
        if (!open) return;
        cancel();
        done(error, res);
      };
      const timer = clock.setTimeout(() => finish("timeout"), req.timeoutMs);
      const url = parseHttpUrl(req.url);
      if (url === null) {
        clock.setTimeout(() => finish(`unsupported URL: ${req.url}`), 0);
        return cancel;
      }
      try {
        if (module === null) module = loadModule<EspruinoHttp>("http");
        const body = req.body ?? "";
        const headers: Record<string, string> = Object.assign({}, req.headers, {
          host: url.port === 80 ? url.host : `${url.host}:${url.port}`,
          "content-length": String(body.length),
        });
        const request = module.request(
          { host: url.host, port: url.port, path: url.path, method: req.method, headers },
          (res) => {
            let text = "";
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("close", () => {
              const lower: Record<string, string> = {};
              const names = Object.keys(res.headers || {});
              for (let i = 0; i < names.length; i++)
                lower[names[i].toLowerCase()] = res.headers[names[i]];
              finish(null, { status: Number(res.statusCode), headers: lower, body: text });
            });
          },
        );
        request.on("error", (error) => finish(`connection failed: ${JSON.stringify(error)}`));
        request.end(body);
      } catch (error) {
        clock.setTimeout(() => finish(`http unavailable: ${String(error)}`), 0);
      }
      return cancel;
    },
  };
}
