/**
 * The NetworkManager's effects on a board: joining, probing and watching the WiFi link.
 *
 * Each actor stamps the events it sends with the board clock (`at`), so the machine can count
 * time connected without reading a clock itself. Each returns its cleanup, so a manager that
 * leaves a state abandons the radio operation it started (no orphan connect, no stray probe).
 */
import { fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import type { NetworkEffects, ProbeRequest } from "./machine.js";

export function networkEffects(board: Pick<Board, "wifi" | "clock">): NetworkEffects {
  const { wifi, clock } = board;
  return {
    connectWifi: fromCallback<any, { ssid: string; password: string }>(({ sendBack, input }) =>
      wifi.connect(input, (error) =>
        sendBack(
          error === null
            ? { type: "WIFI_CONNECTED", at: clock.now() }
            : { type: "WIFI_FAILED", error },
        ),
      ),
    ),

    linkMonitor: fromCallback<ProbeRequest>(({ sendBack, receive }) => {
      let probing = false;
      let cancelProbe: (() => void) | undefined;
      let timer: unknown;
      const endProbe = () => {
        probing = false;
        clock.clearTimeout(timer);
        if (cancelProbe) cancelProbe();
        cancelProbe = undefined;
      };
      const answer = (error: string | null) => {
        if (!probing) return;
        endProbe();
        sendBack(
          error === null
            ? { type: "PROBE_OK" }
            : { type: "PROBE_FAILED", reason: error, at: clock.now() },
        );
      };
      receive((request) => {
        endProbe();
        probing = true;
        timer = clock.setTimeout(() => answer("probe timeout"), request.timeoutMs);
        const cancel = wifi.probe(answer);
        if (probing) cancelProbe = cancel;
      });
      const unsubscribe = wifi.onLinkLost((reason) =>
        sendBack({ type: "WIFI_LOST", reason, at: clock.now() }),
      );
      return () => {
        endProbe();
        unsubscribe();
      };
    }),

    disconnectRadio: () => wifi.disconnect(),
  };
}
