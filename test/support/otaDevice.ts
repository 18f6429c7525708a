/**
 * A simulated device that boots as a board does: the boot stub's choice (`chooseBoot`) over its
 * flash, then the firmware with every manager, in a world with an UpdateServer. A reset
 * (`ota`, `ota-rollback`, the watchdog) stops it; `reboot()` boots it again on the same flash
 * and world. The flash starts with firmware 1.0.0 committed in slot `a`.
 */
import { FlashStorage } from "../../board/sim/flashStorage.js";
import { VirtualClock } from "../../board/sim/virtualClock.js";
import type { OtaContext, OtaSettings } from "../../managers/ota/machine.js";
import { manifestFile, slotStorage } from "../../managers/ota/release.js";
import {
  chooseBoot,
  commitSlot,
  MARKER_BYTES,
  markerFile,
  markerHeader,
  slotFile,
} from "../../runtime/bootSlots.js";
import { crc32 } from "../../runtime/crc32.js";
import { stateName } from "../../runtime/stateName.js";
import { SIMULATED_DEVICE } from "../../simulations/device.js";
import { startDevice } from "./device.js";

export const { tenant, ns, deviceId } = SIMULATED_DEVICE;

/** A firmware image of `size` bytes, every byte value included, different per version. */
export function image(version: string, size = 5000): string {
  let out = `/* firmware ${version} */`;
  for (let i = 0; out.length < size; i++)
    out += String.fromCharCode((i * 31 + version.length * 7) & 0xff);
  return out.slice(0, size);
}

/** Flashes 1.0.0 into slot `a`, committed, as `npm run flash` leaves a board. */
export function flashFirstFirmware(flash: FlashStorage): void {
  const code = image("1.0.0");
  const slots = slotStorage(flash);
  flash.write(slotFile("a"), code);
  flash.write(
    manifestFile("a"),
    JSON.stringify({ manifest: JSON.stringify({ version: "1.0.0" }), sig: "" }),
  );
  slots.write(markerFile("a"), markerHeader(1, code.length, crc32(code)), 0, MARKER_BYTES);
  chooseBoot(slots, crc32);
  commitSlot(slots, "a");
}

export const OTA_TEST_SETTINGS: Partial<OtaSettings> = {
  checkIntervalMs: 60_000,
  commitTimeoutMs: 90_000,
};

export function otaWorld(
  options: { flash?: FlashStorage; clock?: VirtualClock; imageSize?: number } = {},
) {
  const clock = options.clock ?? new VirtualClock();
  const flash = options.flash ?? new FlashStorage({ capacityBytes: 256 * 1024 });
  if (flash.read(slotFile("a")) === undefined) flashFirstFirmware(flash);
  let world:
    | {
        services: ReturnType<typeof startDevice>["services"];
        net: ReturnType<typeof startDevice>["net"];
      }
    | undefined;
  const boots: Array<ReturnType<typeof chooseBoot>> = [];
  const start = () => {
    const boot = chooseBoot(slotStorage(flash), crc32);
    boots.push(boot);
    const d = startDevice({
      clock,
      storage: flash,
      boot,
      ota: OTA_TEST_SETTINGS,
      ...(world ? { world } : {}),
    });
    world = { services: d.services, net: d.net };
    // A power cut throws inside whatever was writing; the board is dead then, not the test.
    d.actor.subscribe({ error: () => {} });
    d.actor.start();
    return d;
  };
  let device = start();
  const ota = () =>
    device.child("ota")?.getSnapshot() as { value: unknown; context: OtaContext } | undefined;
  return {
    clock,
    flash,
    boots,
    get device() {
      return device;
    },
    get updates() {
      return device.services.updates;
    },
    ota,
    otaState: () => {
      const s = ota();
      return s ? stateName(s.value) : "stopped";
    },
    /** Runs for `ms` in steps of a second, rebooting whenever the device reset itself. */
    run(ms: number, onStep?: () => void) {
      const until = clock.now() + ms;
      while (clock.now() < until) {
        clock.advance(1000);
        if (device.board.resets.length > 0) this.reboot();
        onStep?.();
      }
    },
    reboot() {
      device.actor.stop();
      device = start();
    },
  };
}
