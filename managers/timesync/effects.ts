/**
 * The TimeSyncManager's effects: SNTP exchanges over the board's UDP, and corrections of the
 * wall clock.
 *
 * One client actor lives as long as the manager and runs one exchange at a time, each on a new
 * socket that is closed when the exchange ends: an answer to an earlier, abandoned query can
 * then never arrive, so an originate timestamp that is not ours means a forged or broken answer,
 * not a late one. T1 and T4 are read on the wall clock, so the request carries the device's best
 * idea of the time and the offset is relative to the clock being corrected; the sample also
 * carries the wall clock's offset from the board clock that would read the server's time, so a
 * correction applied seconds later (the best of a burst) does not depend on a slew under way.
 */
import { fromCallback } from "xstate";
import type { Board, UdpSocket } from "../../board/types.js";
import { readReply, sntpRequest } from "../../runtime/sntp.js";
import type { NtpFailedEvent, SntpQuery, TimeSyncEffects } from "./machine.js";
import type { WallClock } from "./wallClock.js";

export function timeSyncEffects(
  board: Pick<Board, "udp" | "clock">,
  wall: WallClock,
): TimeSyncEffects {
  const { udp, clock } = board;
  return {
    sntpClient: fromCallback<SntpQuery>(({ receive, sendBack }) => {
      let socket: UdpSocket | null = null;
      let timer: unknown;
      const end = () => {
        clock.clearTimeout(timer);
        timer = undefined;
        if (socket !== null) socket.close();
        socket = null;
      };
      receive((query) => {
        end();
        const server = `${query.host}:${query.port}`;
        const fail = (reason: string, kind: NtpFailedEvent["kind"]) => {
          end();
          sendBack({ type: "NTP_FAILED", server, reason, kind });
        };
        const request = sntpRequest(wall.now());
        if (request === undefined) {
          timer = clock.setTimeout(() => fail("the clock is outside NTP era 0", "error"), 0);
          return;
        }
        const opened = udp.open(
          (data) => {
            const t4 = wall.now();
            const reply = readReply(data, request.t1, t4);
            if ("rejected" in reply) {
              fail(reply.rejected, "rejected");
              return;
            }
            end();
            sendBack({
              type: "NTP_SAMPLE",
              server,
              offsetMs: reply.sample.offsetMs,
              delayMs: reply.sample.delayMs,
              stratum: reply.sample.stratum,
              targetOffsetMs: wall.offsetMs() + reply.sample.offsetMs,
              at: t4,
            });
          },
          (error) => fail(error, "error"),
        );
        socket = opened;
        timer = clock.setTimeout(() => fail("timeout", "lost"), query.timeoutMs);
        opened.send(request.bytes, query.host, query.port);
      });
      return end;
    }),

    setClock: (targetOffsetMs, step) => wall.adjust(targetOffsetMs, step),
  };
}
