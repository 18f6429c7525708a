/**
 * The OtaManager's effects on a board: the survey of the flash at boot, the update service's
 * check (`GET /v1/releases/{deviceId}`, Bearer token, a signed manifest or 204), the download in
 * HTTP Range chunks into the slot not running (`release.ts`), the hash of the slot read back
 * from flash one chunk per turn of the event loop, the slot's marker, and on trial the checks
 * that let it commit. The manifest's signature is checked with the device's key from flash
 * (`device.key`), by the device's own HMAC (`runtime/hmac.ts`), as tokens are.
 *
 * The image is hashed from flash rather than as it arrives: a download resumed after a reboot
 * has no hash state to resume from, and what is checked is then what the stub will load.
 * Espruino's native SHA-256 is one-shot and would hold the whole image in RAM, so the project's
 * own streamed one is used.
 */
import { type AnyActorRef, fromCallback } from "xstate";
import type { Board } from "../../board/types.js";
import {
  abandonSlot,
  BOOT_STUB_VERSION,
  type BootChoice,
  commitSlot,
  MARKER_BYTES,
  markerFile,
  markerHeader,
  nextSeq,
  readMarker,
  slotFile,
} from "../../runtime/bootSlots.js";
import { hex, judgeRelease, type Manifest, openManifest } from "../../runtime/otaManifest.js";
import { sha256Begin, sha256End, sha256Text } from "../../runtime/sha256.js";
import { DEVICE_KEY_FILE } from "../auth/effects.js";
import { requestJson } from "../httpJson.js";
import type { CheckInput, DownloadInput, OtaEffects } from "./machine.js";
import {
  chunks,
  discard,
  manifestFile,
  otherSlot,
  prepareRelease,
  ROLLED_BACK_FILE,
  rolledBackVersions,
  slotStorage,
  writeChunk,
  writtenBytes,
} from "./release.js";

export interface OtaPlace {
  deviceId: string;
  /** Absent: no update service; a trial then waits for the managers alone. */
  updatesUrl?: string;
  /** What the boot stub chose; null without a stub (a simulation): slot `a`, committed. */
  boot: BootChoice | null;
  /** The managers the trial waits for: those required for readiness. */
  required: readonly string[];
}

/** How often the trial looks at the managers, and asks the service again. */
const TRIAL_POLL_MS = 1_000;
const REACH_RETRY_MS = 5_000;

export function otaEffects(
  board: Pick<Board, "http" | "clock" | "storage" | "info" | "reset" | "crc32">,
  place: OtaPlace,
): OtaEffects {
  const storage = board.storage;
  const slots = slotStorage(storage);
  const running = place.boot?.slot ?? "a";
  const spare = otherSlot(running);
  const key = () => (storage.read(DEVICE_KEY_FILE) ?? "").trim();
  /** The signed text of the release offered, kept in flash by `prepare`. */
  let offered = "";

  const versionIn = (slot: string): string | null => {
    try {
      return JSON.parse(JSON.parse(storage.read(manifestFile(slot)) ?? "").manifest).version;
    } catch (_) {
      return null;
    }
  };
  const reopen = (slot: string, maxImageBytes: number): Manifest | string => {
    let body: unknown;
    try {
      body = JSON.parse(storage.read(manifestFile(slot)) ?? "");
    } catch (_) {
      return "manifest in flash is not JSON";
    }
    return openManifest(body, key(), maxImageBytes);
  };

  return {
    survey: fromCallback(({ input, sendBack }) => {
      const version = versionIn(running) ?? board.info.firmwareVersion;
      let rolledBack = rolledBackVersions(storage);
      let rolledBackFrom: string | null = null;
      let resume: Manifest | null = null;
      let written = 0;
      const trial = !!place.boot && place.boot.attempt > 0 && !place.boot.safe;
      const mine = readMarker(slots, running);
      const theirs = readMarker(slots, spare);
      if (!trial && theirs && !theirs.committed && (!mine || theirs.seq > mine.seq)) {
        // Newer than what runs and never committed: the stub gave it up.
        rolledBackFrom = versionIn(spare) ?? "unknown";
        if (rolledBack.indexOf(rolledBackFrom) < 0) {
          storage.append(ROLLED_BACK_FILE, `${rolledBackFrom}\n`);
          rolledBack = rolledBack.concat(rolledBackFrom);
        }
        discard(storage, spare);
      } else if (!trial && !theirs && storage.read(manifestFile(spare)) !== undefined) {
        const m = reopen(spare, input.maxImageBytes);
        if (typeof m === "string") discard(storage, spare);
        else {
          resume = m;
          written = writtenBytes(storage, spare, m);
        }
      }
      sendBack({
        type: "SURVEYED",
        running: version,
        trial,
        rolledBackFrom,
        rolledBack,
        resume,
        written,
      });
    }),

    check: fromCallback<any, CheckInput>(({ input, sendBack }) => {
      if (!place.updatesUrl)
        return sendBack({ type: "FAILED", error: "no update service configured" });
      let url = `${place.updatesUrl}/v1/releases/${place.deviceId}?running=${input.running}`;
      if (input.wanted) url += `&version=${input.wanted}`;
      return requestJson(
        board.http,
        { method: "GET", url, token: input.token, timeoutMs: input.settings.requestTimeoutMs },
        (answer) => {
          if (!answer.ok) {
            if (answer.status === 404 && input.wanted) {
              sendBack({ type: "REFUSED", error: `no release ${input.wanted} for this device` });
            } else sendBack({ type: "FAILED", error: answer.error });
            return;
          }
          if (answer.status === 204) return sendBack({ type: "UP_TO_DATE" });
          const m = openManifest(answer.json, key(), input.settings.maxImageBytes);
          if (typeof m === "string")
            return sendBack({ type: "REFUSED", error: `manifest refused: ${m}` });
          if (m.version === input.running) return sendBack({ type: "UP_TO_DATE" });
          const why = judgeRelease(m, input.running, input.rolledBack, BOOT_STUB_VERSION);
          if (why !== null) return sendBack({ type: "REFUSED", error: why });
          offered = JSON.stringify(answer.json);
          sendBack({ type: "OFFER", manifest: m });
        },
      );
    }),

    prepare: fromCallback<any, { manifest: Manifest }>(({ input, sendBack }) => {
      const error = prepareRelease(storage, spare, input.manifest, offered);
      offered = "";
      sendBack(error === null ? { type: "PREPARED", written: 0 } : { type: "REFUSED", error });
    }),

    download: fromCallback<any, DownloadInput>(({ input, sendBack }) => {
      const m = input.manifest;
      let index = Math.floor(input.written / m.chunkSize);
      let cancel = () => {};
      const next = () => {
        if (index >= chunks(m)) return sendBack({ type: "DOWNLOADED" });
        const start = index * m.chunkSize;
        const end = Math.min(start + m.chunkSize, m.size) - 1;
        cancel = board.http.request(
          {
            method: "GET",
            url: place.updatesUrl + m.path,
            headers: { authorization: `Bearer ${input.token}`, range: `bytes=${start}-${end}` },
            timeoutMs: input.timeoutMs,
          },
          (error, res) => {
            if (error !== null || !res)
              return sendBack({ type: "DOWNLOAD_FAILED", error: error ?? "no response" });
            if (res.status !== 206) {
              return sendBack({
                type: "DOWNLOAD_FAILED",
                error: `HTTP ${res.status} for bytes ${start}-${end}`,
              });
            }
            if (res.body.length !== end - start + 1) {
              return sendBack({
                type: "DOWNLOAD_FAILED",
                error: `truncated chunk: ${res.body.length} of ${end - start + 1} bytes at ${start}`,
              });
            }
            if (!writeChunk(storage, spare, index, res.body, m)) {
              discard(storage, spare);
              return sendBack({
                type: "REFUSED",
                error: `the flash refused bytes ${start}-${end}: release discarded`,
              });
            }
            index++;
            sendBack({ type: "PROGRESS", written: Math.min(index * m.chunkSize, m.size) });
            next();
          },
        );
      };
      next();
      return () => cancel();
    }),

    verify: fromCallback<any, { manifest: Manifest }>(({ input, sendBack }) => {
      const m = input.manifest;
      const stream = sha256Begin();
      let offset = 0;
      let timer: unknown;
      const step = () => {
        const image = storage.read(slotFile(spare)) ?? "";
        if (image.length !== m.size)
          return refuse(`image is ${image.length} bytes, manifest says ${m.size}`);
        if (offset < m.size) {
          sha256Text(stream, image.substr(offset, m.chunkSize));
          offset += m.chunkSize;
          // One chunk per turn: the watchdog's ticks and the other managers run in between.
          timer = board.clock.setTimeout(step, 0);
          return;
        }
        const digest = hex(sha256End(stream));
        if (digest !== m.sha256)
          return refuse(`image hash ${digest} is not the manifest's (tampered or damaged)`);
        sendBack({ type: "VERIFIED" });
      };
      const refuse = (error: string) => {
        discard(storage, spare);
        sendBack({ type: "REFUSED", error: `${error}: release discarded` });
      };
      timer = board.clock.setTimeout(step, 0);
      return () => board.clock.clearTimeout(timer);
    }),

    stage: fromCallback<any, { manifest: Manifest }>(({ input, sendBack }) => {
      const image = storage.read(slotFile(spare)) ?? "";
      const header = markerHeader(nextSeq(slots), input.manifest.size, board.crc32(image));
      const ok = slots.write(markerFile(spare), header, 0, MARKER_BYTES);
      // Progress marks are of no use once the slot has its marker.
      storage.erase(`fw.${spare}.p`);
      sendBack(
        ok ? { type: "STAGED" } : { type: "FAILED", error: "the flash refused the slot's marker" },
      );
    }),

    watchHealth: fromCallback(({ sendBack, system }) => {
      const ready = () => {
        for (let i = 0; i < place.required.length; i++) {
          const ref = system.get(place.required[i]) as AnyActorRef | undefined;
          if (!ref?.getSnapshot().hasTag("ready")) return false;
        }
        return true;
      };
      let timer: unknown;
      const poll = () => {
        if (ready()) return sendBack({ type: "HEALTHY" });
        timer = board.clock.setTimeout(poll, TRIAL_POLL_MS);
      };
      timer = board.clock.setTimeout(poll, 0);
      return () => board.clock.clearTimeout(timer);
    }),

    reach: fromCallback<any, { token: string | null; running: string; timeoutMs: number }>(
      ({ input, sendBack }) => {
        // Nothing to reach: a device flashed without an update service commits on health alone.
        if (!place.updatesUrl) return sendBack({ type: "REACHED" });
        if (input.token === null) return;
        let timer: unknown;
        let cancel = () => {};
        const ask = () => {
          cancel = requestJson(
            board.http,
            {
              method: "GET",
              url: `${place.updatesUrl}/v1/releases/${place.deviceId}?running=${input.running}`,
              token: input.token as string,
              timeoutMs: input.timeoutMs,
            },
            (answer) => {
              if (answer.ok) sendBack({ type: "REACHED" });
              else timer = board.clock.setTimeout(ask, REACH_RETRY_MS);
            },
          );
        };
        ask();
        return () => {
          cancel();
          board.clock.clearTimeout(timer);
        };
      },
    ),

    commit: () => commitSlot(slots, running),
    abandon: () => !!readMarker(slots, spare)?.committed && abandonSlot(slots, running),
    reboot: (reason) => board.reset(reason),
  };
}
