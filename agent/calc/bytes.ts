// Go compares strings by UTF-8 bytes; JS compares UTF-16 code units. They agree except for
// astral-plane vs. U+E000..U+FFFF characters, so only fall back to a byte compare when needed.
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\ud7ff]*$/.test(a) && /^[\u0000-\ud7ff]*$/.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
