/**
 * The simulated board's flash on `EspruinoFlash` (Espruino's write semantics, byte by byte), for
 * cutting the power at any Storage write of a whole device's life: `cutAt(op, bytes)` lets the
 * `op`th mutating call program `bytes` bytes and then throws `PowerCut`, and every call after it
 * throws too, until `restore()` (the next boot). Appends rewrite the file, as the fake has no
 * StorageFiles; that only adds cut points.
 */
import { FlashStorage } from "../../board/sim/flashStorage.js";
import { EspruinoFlash, PowerCut } from "./espruinoFlash.js";

export class CutFlash extends FlashStorage {
  readonly chip = new EspruinoFlash();
  /** Mutating calls so far. */
  ops = 0;
  cut = false;
  private cutOp = Number.POSITIVE_INFINITY;
  private cutBytes = 0;

  constructor() {
    super({ capacityBytes: 1 << 30 });
  }

  cutAt(op: number, bytes: number): void {
    this.cutOp = op;
    this.cutBytes = bytes;
  }

  restore(): void {
    this.cut = false;
    this.cutOp = Number.POSITIVE_INFINITY;
    this.chip.restore();
  }

  private op(): void {
    if (this.cut) throw new PowerCut("the power is off");
    if (this.ops++ === this.cutOp) {
      this.cut = true;
      this.chip.cutAfter(this.cutBytes);
    }
  }

  override read(name: string): string | undefined {
    return this.chip.read(name);
  }

  override write(name: string, data: string): boolean {
    this.op();
    return this.chip.write(name, data);
  }

  override append(name: string, data: string): boolean {
    this.op();
    return this.chip.write(name, (this.chip.read(name) ?? "") + data);
  }

  override create(name: string, size: number): boolean {
    this.op();
    return this.chip.write(name, "\xff", 0, size);
  }

  override writeAt(name: string, data: string, offset: number): boolean {
    this.op();
    const old = this.chip.read(name);
    if (old === undefined || offset + data.length > old.length) return false;
    for (let i = 0; i < data.length; i++) {
      const was = old.charCodeAt(offset + i);
      if (was !== 0xff && was !== data.charCodeAt(i)) return false;
    }
    if (offset === 0) {
      if (/[^\xff]/.test(old.slice(data.length))) return false;
      return this.chip.write(name, data, 0, old.length);
    }
    return this.chip.write(name, data, offset);
  }

  override erase(name: string): void {
    this.op();
    if (this.cut) throw new PowerCut("power cut");
    this.chip.files.delete(name);
  }

  override list(prefix = ""): string[] {
    return [...this.chip.files.keys()].filter((name) => name.startsWith(prefix));
  }

  override size(name: string): number {
    return this.chip.read(name)?.length ?? 0;
  }

  override freeBytes(): number {
    return 1 << 30;
  }
}
