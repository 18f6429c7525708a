/**
 * Espruino's Storage as the boot stub meets it, byte by byte (STORAGE.md): writing a file at
 * offset 0 (or without an offset) erases it first, then creates it full size (0xFF), then
 * programs its bytes; a write at an offset into an existing file programs bytes over 0xFF and
 * throws on a written byte that would change. `cutAfter(n)` simulates a power cut: the n+1th step
 * throws `PowerCut`, a byte cut mid-programming keeps only some of its bits cleared, and what
 * was done before stays, as on the chip.
 */
export class PowerCut extends Error {}

export class EspruinoFlash {
  readonly files = new Map<string, number[]>();
  steps = 0;
  private budget = Number.POSITIVE_INFINITY;

  cutAfter(steps: number): void {
    this.budget = steps;
  }

  restore(): void {
    this.budget = Number.POSITIVE_INFINITY;
  }

  private step(): void {
    if (this.budget <= 0) throw new PowerCut("power cut");
    this.budget--;
    this.steps++;
  }

  private program(bytes: number[], at: number, value: number): void {
    if (this.budget <= 0) {
      bytes[at] &= value | 0x0f; // half-programmed: some bits cleared, not all
      throw new PowerCut("power cut");
    }
    this.step();
    bytes[at] = value;
  }

  read(name: string): string | undefined {
    const bytes = this.files.get(name);
    return bytes && String.fromCharCode(...bytes);
  }

  write(name: string, data: string, offset?: number, size?: number): boolean {
    const existing = this.files.get(name);
    if (offset === undefined || offset === 0 || !existing) {
      if (existing) {
        this.step();
        this.files.delete(name);
      }
      this.step();
      const bytes = new Array<number>(size ?? data.length).fill(0xff);
      this.files.set(name, bytes);
      for (let i = 0; i < data.length; i++)
        this.program(bytes, (offset ?? 0) + i, data.charCodeAt(i));
      return true;
    }
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      if (at >= existing.length) throw new Error("Too much data for file size");
      if (existing[at] === data.charCodeAt(i)) continue;
      if (existing[at] !== 0xff) throw new Error("rewriting a written byte");
      this.program(existing, at, data.charCodeAt(i));
    }
    return true;
  }
}
