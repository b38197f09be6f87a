// A growable output buffer that writes gob primitives (encoding/gob/encode.go).

import { GobError, GobErrorCode } from './errors.js';

const utf8 = new TextEncoder();
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_64 = 1n << 64n;

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** An unsigned value (number must be a non-negative safe integer; bigint < 2^64). */
  uint(v: number | bigint): void {
    if (typeof v === 'number') {
      if (v < 0x80 && v >= 0) {
        this.ensure(1);
        this.buf[this.pos++] = v;
        return;
      }
      if (!Number.isSafeInteger(v) || v < 0) throw new GobError(GobErrorCode.BadInput, `not a uint: ${v}`);
      let k = 0;
      for (let x = v; x > 0; x = Math.floor(x / 256)) k++;
      this.ensure(1 + k);
      this.buf[this.pos] = 256 - k;
      let x = v;
      for (let i = k; i >= 1; i--) {
        this.buf[this.pos + i] = x % 256;
        x = Math.floor(x / 256);
      }
      this.pos += 1 + k;
      return;
    }
    if (v < 0n || v >= TWO_64) throw new GobError(GobErrorCode.BadInput, `not a uint64: ${v}`);
    if (v < 0x80n) {
      this.byte(Number(v));
      return;
    }
    let k = 0;
    for (let x = v; x > 0n; x >>= 8n) k++;
    this.ensure(1 + k);
    this.buf[this.pos] = 256 - k;
    let x = v;
    for (let i = k; i >= 1; i--) {
      this.buf[this.pos + i] = Number(x & 0xffn);
      x >>= 8n;
    }
    this.pos += 1 + k;
  }

  /** A signed value: zig-zag, sign in bit 0. */
  int(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new GobError(GobErrorCode.BadInput, `not an int: ${v}`);
      if (v >= -(2 ** 52) && v < 2 ** 52) {
        this.uint(v < 0 ? -v * 2 - 1 : v * 2);
        return;
      }
      v = BigInt(v);
    }
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new GobError(GobErrorCode.BadInput, `not an int64: ${v}`);
    this.uint(v < 0n ? ((-v - 1n) << 1n) | 1n : v << 1n);
  }

  float(v: number): void {
    f64[0] = v;
    // Go sends the float64 bits byte-reversed as a uint: i.e. the bytes in little-endian order,
    // read as a big-endian number, leading zero bytes dropped.
    let u = 0n;
    for (let i = 0; i < 8; i++) {
      const b = littleEndianHost ? f64Bytes[i]! : f64Bytes[7 - i]!;
      u = (u << 8n) | BigInt(b);
    }
    this.uint(u);
  }

  bytesField(b: Uint8Array): void {
    this.uint(b.length);
    this.raw(b);
  }

  string(s: string): void {
    // Fast path for ASCII, which is what protocol names and keys are.
    let ascii = s.length < 0x10000;
    for (let i = 0; ascii && i < s.length; i++) if (s.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      this.uint(s.length);
      this.ensure(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      this.pos += s.length;
      return;
    }
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed())
      throw new GobError(GobErrorCode.InvalidUtf8, 'string holds a lone surrogate');
    this.bytesField(utf8.encode(s));
  }
}
