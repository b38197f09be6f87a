// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and snappy's masking (typha-protocol.md §10).
// Slicing-by-8: eight table lookups per 8 input bytes.

const POLY = 0x82f63b78;
const TABLE = new Uint32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[i] = c >>> 0;
}
for (let i = 0; i < 256; i++) {
  for (let t = 1; t < 8; t++) {
    const prev = TABLE[(t - 1) * 256 + i]!;
    TABLE[t * 256 + i] = (prev >>> 8) ^ TABLE[prev & 0xff]!;
  }
}

export function crc32c(data: Uint8Array): number {
  const T = TABLE;
  let c = ~0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c =
      T[0x700 + (c & 0xff)]! ^
      T[0x600 + ((c >>> 8) & 0xff)]! ^
      T[0x500 + ((c >>> 16) & 0xff)]! ^
      T[0x400 + (c >>> 24)]! ^
      T[0x300 + data[i + 4]!]! ^
      T[0x200 + data[i + 5]!]! ^
      T[0x100 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < n) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The framing format stores CRCs rotated and offset, so data that embeds CRCs does not fool it. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
