/**
 * CRC-32 (IEEE 802.3, the one of zlib and Espruino's `E.CRC32`) of a binary string, one byte per
 * character. Bitwise, without a 1 KB table: for boards and simulations that have no native one;
 * the device uses `E.CRC32`, which the boot stub checks slots with, and the two agree.
 */
export function crc32(data: string): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) {
    crc ^= data.charCodeAt(i) & 0xff;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ -1) >>> 0;
}
