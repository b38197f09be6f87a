// The current-message cursor (the decoder's message buffer in encoding/gob/decoder.go). Decoders read gob
// primitives (encoding/gob/decode.go) from it; all of them share one Reader, because an interface value may move
// it on to a later message in the middle of an outer struct.

import { Buffer, isUtf8 } from 'node:buffer';
import { GobError, GobErrorCode } from './errors.js';

const EMPTY = new Uint8Array(0);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface NodeSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

function truncated(): never {
  throw new GobError(GobErrorCode.Truncated, 'message ended inside a value');
}

export class Reader {
  buf: Uint8Array = EMPTY;
  pos = 0;
  end = 0;
  private nb: NodeSlices = Buffer.alloc(0) as unknown as NodeSlices;

  /** Point the cursor at a new complete message. */
  load(msg: Uint8Array): void {
    this.buf = msg;
    this.nb = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength) as unknown as NodeSlices;
    this.pos = 0;
    this.end = msg.length;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A gob uint as a number; exact up to 2^53, approximate above (callers range-check). */
  uint(): number {
    const pos = this.pos;
    if (pos >= this.end) truncated();
    const b = this.buf[pos]!;
    if (b < 0x80) {
      this.pos = pos + 1;
      return b;
    }
    const k = 256 - b;
    if (k > 8) throw new GobError(GobErrorCode.BadUint, `uint byte count ${k} > 8`);
    if (pos + 1 + k > this.end) truncated();
    let v = 0;
    for (let i = pos + 1; i <= pos + k; i++) v = v * 256 + this.buf[i]!;
    this.pos = pos + 1 + k;
    return v;
  }

  /** A gob uint, exactly. */
  uintBig(): bigint {
    const pos = this.pos;
    if (pos >= this.end) truncated();
    const b = this.buf[pos]!;
    if (b < 0x80) {
      this.pos = pos + 1;
      return BigInt(b);
    }
    const k = 256 - b;
    if (k > 8) throw new GobError(GobErrorCode.BadUint, `uint byte count ${k} > 8`);
    if (pos + 1 + k > this.end) truncated();
    let v = 0n;
    for (let i = pos + 1; i <= pos + k; i++) v = (v << 8n) | BigInt(this.buf[i]!);
    this.pos = pos + 1 + k;
    return v;
  }

  /** A gob int (zig-zag with the sign in bit 0) as a number; exact within ±2^53. */
  int(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b & 1 ? -((b >> 1) + 1) : b >> 1;
      }
      if (b >= 256 - 6) {
        const u = this.uint();
        // u < 2^48 here, so the arithmetic is exact.
        return u % 2 === 1 ? -((u - 1) / 2) - 1 : u / 2;
      }
    }
    return Number(this.intBig());
  }

  intBig(): bigint {
    const u = this.uintBig();
    return u & 1n ? -(u >> 1n) - 1n : u >> 1n;
  }

  /** float64 bits, byte-reversed, sent as a uint. */
  float(): number {
    const pos = this.pos;
    if (pos >= this.end) truncated();
    const b = this.buf[pos]!;
    let k: number;
    let start: number;
    if (b < 0x80) {
      k = 1;
      start = pos;
    } else {
      k = 256 - b;
      if (k > 8) throw new GobError(GobErrorCode.BadUint, `uint byte count ${k} > 8`);
      start = pos + 1;
      if (start + k > this.end) truncated();
    }
    // The uint's big-endian bytes b0..b(k-1) are the float's bytes in little-endian order,
    // right-aligned: float big-endian = b(k-1) .. b0, then zeros.
    f64Bytes.fill(0);
    for (let i = 0; i < k; i++) {
      const v = this.buf[start + i]!;
      if (littleEndianHost) f64Bytes[8 - k + i] = v;
      else f64Bytes[k - 1 - i] = v;
    }
    this.pos = start + k;
    return f64[0]!;
  }

  /** A length (of bytes, or a count of elements of at least minBytes each) checked against what is left. */
  length(minBytes: number): number {
    const n = this.uint();
    if (n * minBytes > this.end - this.pos) {
      throw new GobError(
        GobErrorCode.BadLength,
        `length ${n} exceeds the ${this.end - this.pos} bytes left in the message`,
      );
    }
    return n;
  }

  /** []byte: a view into the message, no copy. */
  bytes(): Uint8Array {
    const n = this.length(1);
    const s = this.pos;
    this.pos = s + n;
    return this.buf.subarray(s, s + n);
  }

  skipBytes(): void {
    const n = this.length(1);
    this.pos += n;
  }

  /** A string, which must be valid UTF-8. */
  string(): string {
    const n = this.length(1);
    return this.stringOf(n);
  }

  stringOf(n: number): string {
    const s = this.pos;
    const e = s + n;
    if (e > this.end) truncated();
    this.pos = e;
    const buf = this.buf;
    let acc = 0;
    for (let i = s; i < e; i++) acc |= buf[i]!;
    if (acc < 0x80) return this.nb.latin1Slice(s, e);
    if (!isUtf8(buf.subarray(s, e)))
      throw new GobError(GobErrorCode.InvalidUtf8, 'string is not valid UTF-8');
    return this.nb.utf8Slice(s, e);
  }
}
