// An input queue of received chunks, read without copying: a gob message that lies inside one
// chunk is handed out as a subarray view; only a message that spans chunks is joined (one copy
// of that message). Views stay valid because pushed chunks are never written to again.
// mark()/rewind() let a decoder back out of a message sequence that has not fully arrived.

import { Buffer } from 'node:buffer';
import { GobError, GobErrorCode } from './errors.js';

const EMPTY = new Uint8Array(0);

export interface QueueMark {
  readonly head: number;
  readonly off: number;
  readonly avail: number;
}

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private off = 0;
  private avail = 0;

  get length(): number {
    return this.avail;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.avail += chunk.length;
  }

  /** Byte i (0-based) of the unread data; the caller checks i < length. */
  peek(i: number): number {
    let h = this.head;
    let j = this.off + i;
    while (j >= this.chunks[h]!.length) {
      j -= this.chunks[h]!.length;
      h++;
    }
    return this.chunks[h]![j]!;
  }

  /** Consumes n bytes (n <= length): a view when they lie in one chunk, else a joined copy. */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const c = this.chunks[this.head]!;
    if (this.off + n <= c.length) {
      const v = c.subarray(this.off, this.off + n);
      this.advance(n);
      return v;
    }
    // Chunks that are adjacent views of one buffer (the snappy reader's arena) join for free.
    let h = this.head;
    let end = c.byteOffset + c.length;
    let have = c.length - this.off;
    while (have < n) {
      const next = this.chunks[++h]!;
      if (next.buffer !== c.buffer || next.byteOffset !== end) break;
      end += next.length;
      have += next.length;
    }
    if (have >= n) {
      const v = new Uint8Array(c.buffer, c.byteOffset + this.off, n);
      this.skip(n);
      return v;
    }
    const out = Buffer.allocUnsafeSlow(n); // fully overwritten below
    let w = 0;
    while (w < n) {
      const cur = this.chunks[this.head]!;
      const k = Math.min(n - w, cur.length - this.off);
      out.set(cur.subarray(this.off, this.off + k), w);
      w += k;
      this.advance(k);
    }
    return out;
  }

  /** Drops n bytes (n <= length). */
  skip(n: number): void {
    while (n > 0) {
      const cur = this.chunks[this.head]!;
      const k = Math.min(n, cur.length - this.off);
      this.advance(k);
      n -= k;
    }
  }

  private advance(k: number): void {
    this.off += k;
    this.avail -= k;
    if (this.off === this.chunks[this.head]!.length) {
      this.head++;
      this.off = 0;
    }
  }

  mark(): QueueMark {
    return { head: this.head, off: this.off, avail: this.avail };
  }

  rewind(m: QueueMark): void {
    this.head = m.head;
    this.off = m.off;
    this.avail = m.avail;
  }

  /** Forget consumed chunks (after which earlier marks are invalid). */
  commit(): void {
    if (this.head > 0) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Reads a gob uint length prefix (encoding/gob/decode.go, decodeUintReader) without consuming it.
   * Returns [value, prefixBytes], or undefined when more bytes are needed.
   */
  peekUint(): [number, number] | undefined {
    if (this.avail === 0) return undefined;
    const b = this.peek(0);
    if (b < 0x80) return [b, 1];
    const k = 256 - b;
    if (k > 8) throw new GobError(GobErrorCode.BadUint, `uint byte count ${k} > 8`);
    if (this.avail < 1 + k) return undefined;
    let v = 0;
    for (let i = 1; i <= k; i++) v = v * 256 + this.peek(i);
    return [v, 1 + k];
  }
}
