import { createRequire } from 'node:module';
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and snappy's masking (snappy framing_format.txt).
// Slicing-by-16 over aligned 32-bit words (16 table lookups per 16 input bytes): about 1.3x the
// speed of byte-wise slicing-by-8 on the snapshot path (bench/gob-decode.md).

const POLY = 0x82f63b78;
const TABLE = new Uint32Array(16 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[i] = c >>> 0;
}
for (let i = 0; i < 256; i++) {
  for (let t = 1; t < 16; t++) {
    const prev = TABLE[(t - 1) * 256 + i]!;
    TABLE[t * 256 + i] = (prev >>> 8) ^ TABLE[prev & 0xff]!;
  }
}
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Portable CRC-32C; the fallback when the native codec is not available on this platform. */
export function crc32cPortable(data: Uint8Array): number {
  const T = TABLE;
  let c = ~0;
  const n = data.length;
  let i = 0;
  if (littleEndianHost && n >= 64) {
    // Bytes up to a 4-byte boundary, then words (the word view needs aligned offsets).
    const off = data.byteOffset;
    while (((off + i) & 3) !== 0) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
    const blocks = (n - i) >>> 4;
    const w = new Int32Array(data.buffer, off + i, blocks * 4);
    for (let k = 0; k < w.length; k += 4) {
      c ^= w[k]!;
      const d = w[k + 1]!;
      const e = w[k + 2]!;
      const f = w[k + 3]!;
      c =
        T[0xf00 + (c & 0xff)]! ^
        T[0xe00 + ((c >>> 8) & 0xff)]! ^
        T[0xd00 + ((c >>> 16) & 0xff)]! ^
        T[0xc00 + (c >>> 24)]! ^
        T[0xb00 + (d & 0xff)]! ^
        T[0xa00 + ((d >>> 8) & 0xff)]! ^
        T[0x900 + ((d >>> 16) & 0xff)]! ^
        T[0x800 + (d >>> 24)]! ^
        T[0x700 + (e & 0xff)]! ^
        T[0x600 + ((e >>> 8) & 0xff)]! ^
        T[0x500 + ((e >>> 16) & 0xff)]! ^
        T[0x400 + (e >>> 24)]! ^
        T[0x300 + (f & 0xff)]! ^
        T[0x200 + ((f >>> 8) & 0xff)]! ^
        T[0x100 + ((f >>> 16) & 0xff)]! ^
        T[f >>> 24]!;
    }
    i += blocks * 16;
  }
  while (i < n) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// The native @node-rs/crc32 (SSE4.2 / ARM CRC instructions) is about 3x faster than the table
// code above, and CRC is a third of the compressed-snapshot decode time (bench/gob-decode.md).
// It ships prebuilt per platform as an optional dependency, so fall back to the portable code
// when it cannot load.
type NativeCrc = (input: Uint8Array, initial?: number) => number;
const native: NativeCrc | undefined = (() => {
  if (process.env['FELIX_TS_PORTABLE_CRC'] === '1') return undefined;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc };
    const fn = mod.crc32c;
    // Self-check against the standard check value before trusting it.
    if (typeof fn === 'function' && fn(Buffer.from('123456789')) === 0xe3069283) return fn;
  } catch {
    // not installed for this platform
  }
  return undefined;
})();

export const crc32cImplementation: 'native' | 'portable' = native ? 'native' : 'portable';

export function crc32c(data: Uint8Array): number {
  return native ? native(data) >>> 0 : crc32cPortable(data);
}

/** The framing format stores CRCs rotated and offset, so data that embeds CRCs does not fool it. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
