/**
 * Entry of `dist/boot0.js`, the boot stub written once as `.boot0` when a board is flashed and
 * never rewritten by the firmware. It picks the firmware slot (`runtime/bootSlots.ts`), records
 * the boot attempt, and leaves its choice in the global `BOOT` for the firmware (safe mode, the
 * slot to commit). The build appends the line that loads the slot (`BOOT_LOADER`), at top level,
 * so the firmware is evaluated from its flash-backed string and its functions stay in flash.
 */
import { loadModule } from "../../board/espruino/modules.js";
import { type BootChoice, chooseBoot, type SlotStorage } from "../../runtime/bootSlots.js";

declare const E: { CRC32(data: string): number };

const choice: BootChoice = chooseBoot(loadModule<SlotStorage>("Storage"), E.CRC32);
(globalThis as unknown as { BOOT: BootChoice }).BOOT = choice;
console.log(
  choice.file === null
    ? "boot: no firmware slot is intact: staying at the prompt (flash the board again)"
    : `boot: ${choice.file}${choice.safe ? " in SAFE MODE (no slot was committed)" : choice.attempt > 0 ? ` attempt ${choice.attempt}` : " (committed)"}`,
);
