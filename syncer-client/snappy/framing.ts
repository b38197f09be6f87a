// The snappy framing format (snappy framing_format.txt): reader and writer.
// The reader is incremental over a ByteQueue of raw socket bytes: it consumes one chunk at a
// time, only when asked, so after a gob DecoderRestart the bytes that follow stay unread (typha/pkg/syncproto/sync_proto.go).

import { Buffer } from 'node:buffer';
import { ByteQueue } from '../gob/bytequeue.js';
import { ByteWriter } from '../gob/writer.js';
import { compressBlock, decodedLength, decompressBlockInto, maxEncodedLength } from './block.js';
import { maskedCrc32c } from './crc32c.js';
import { SnappyError, SnappyErrorCode } from './errors.js';

export const CHUNK_COMPRESSED = 0x00;
export const CHUNK_UNCOMPRESSED = 0x01;
export const CHUNK_PADDING = 0xfe;
export const CHUNK_STREAM_ID = 0xff;
/** Uncompressed bytes per chunk (Go's maxBlockSize). */
export const MAX_BLOCK_SIZE = 65536;
const CHECKSUM_SIZE = 4;
const STREAM_ID_BODY = [0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]; // "sNaPpY"
export const STREAM_IDENTIFIER = new Uint8Array([CHUNK_STREAM_ID, 6, 0, 0, ...STREAM_ID_BODY]);

/**
 * Decompressed chunks are written one after another into arenas of this size, so a gob message
 * that spans chunks is usually one contiguous view (ByteQueue.take joins adjacent views without
 * copying). Handed-out regions are never written again, so views stay valid.
 */
const ARENA_BYTES = 4 * 1024 * 1024;

export class FrameReader {
  private readonly src: ByteQueue;
  private sawStreamId = false;
  private arena = new Uint8Array(0);
  private arenaPos = 0;
  /** Bytes of a skippable chunk still to drop (skipped as they arrive, never buffered). */
  private skipLeft = 0;

  constructor(src: ByteQueue) {
    this.src = src;
  }

  /**
   * Consumes chunks until one carries data and returns its uncompressed bytes (possibly empty),
   * or returns undefined when no complete data chunk is buffered yet.
   */
  nextChunk(): Uint8Array | undefined {
    const q = this.src;
    for (;;) {
      if (this.skipLeft > 0) {
        const k = Math.min(this.skipLeft, q.length);
        q.skip(k);
        this.skipLeft -= k;
        q.commit();
        if (this.skipLeft > 0) return undefined;
      }
      if (q.length < 4) return undefined;
      const type = q.peek(0);
      const len = q.peek(1) | (q.peek(2) << 8) | (q.peek(3) << 16);
      if (!this.sawStreamId && type !== CHUNK_STREAM_ID) {
        throw new SnappyError(
          SnappyErrorCode.MissingStreamId,
          `stream starts with chunk type 0x${type.toString(16)}`,
        );
      }
      if (type === CHUNK_STREAM_ID) {
        if (len !== STREAM_ID_BODY.length)
          throw new SnappyError(SnappyErrorCode.BadStreamId, `stream identifier of ${len} bytes`);
        if (q.length < 4 + len) return undefined;
        for (let i = 0; i < len; i++) {
          if (q.peek(4 + i) !== STREAM_ID_BODY[i])
            throw new SnappyError(SnappyErrorCode.BadStreamId, 'stream identifier is not sNaPpY');
        }
        q.skip(4 + len);
        q.commit();
        this.sawStreamId = true;
        continue;
      }
      if (type === CHUNK_COMPRESSED || type === CHUNK_UNCOMPRESSED) {
        // Bound the chunk by what it may legally hold, before waiting for (buffering) its body.
        const max =
          CHECKSUM_SIZE + (type === CHUNK_COMPRESSED ? maxEncodedLength(MAX_BLOCK_SIZE) : MAX_BLOCK_SIZE);
        if (len > max) throw new SnappyError(SnappyErrorCode.ChunkTooLarge, `data chunk of ${len} bytes`);
        if (len < CHECKSUM_SIZE)
          throw new SnappyError(SnappyErrorCode.Corrupt, `data chunk of ${len} bytes has no checksum`);
        if (q.length < 4 + len) return undefined;
        q.skip(4);
        const body = q.take(len);
        q.commit();
        const want = (body[0]! | (body[1]! << 8) | (body[2]! << 16) | (body[3]! << 24)) >>> 0;
        const payload = body.subarray(CHECKSUM_SIZE);
        let data: Uint8Array;
        if (type === CHUNK_COMPRESSED) {
          const [n] = decodedLength(payload);
          if (n > MAX_BLOCK_SIZE)
            throw new SnappyError(SnappyErrorCode.Corrupt, `block of ${n} bytes exceeds ${MAX_BLOCK_SIZE}`);
          data = this.alloc(n);
          decompressBlockInto(payload, data, 0);
        } else {
          data = this.alloc(payload.length);
          data.set(payload);
        }
        const got = maskedCrc32c(data);
        if (got !== want) {
          throw new SnappyError(
            SnappyErrorCode.CrcMismatch,
            `chunk CRC 0x${got.toString(16)}, expected 0x${want.toString(16)}`,
          );
        }
        return data;
      }
      if (type < 0x80) {
        throw new SnappyError(
          SnappyErrorCode.UnskippableChunk,
          `reserved unskippable chunk type 0x${type.toString(16)}`,
        );
      }
      // 0x80-0xfd skippable, 0xfe padding: drop the body.
      q.skip(4);
      q.commit();
      this.skipLeft = len;
    }
  }

  private alloc(n: number): Uint8Array {
    if (this.arenaPos + n > this.arena.length) {
      // Not zero-filled: only regions that were just written are ever handed out.
      this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, n));
      this.arenaPos = 0;
    }
    const v = this.arena.subarray(this.arenaPos, this.arenaPos + n);
    this.arenaPos += n;
    return v;
  }

  /** Call at end of input: a partial chunk means the stream was cut. */
  finish(): void {
    if (this.skipLeft > 0 || this.src.length > 0) {
      throw new SnappyError(SnappyErrorCode.Truncated, 'stream ended inside a chunk');
    }
  }
}

/**
 * Go's snappy.BufferedWriter: buffers up to 64 KiB, writes a chunk when full or on flush();
 * a write larger than the free space into an empty buffer is cut straight into chunks.
 */
export class FrameWriter {
  private readonly ibuf = new Uint8Array(MAX_BLOCK_SIZE);
  private n = 0;
  private wroteHeader = false;
  private readonly out = new ByteWriter(4096);

  write(p: Uint8Array): void {
    while (p.length > MAX_BLOCK_SIZE - this.n) {
      let k: number;
      if (this.n === 0) {
        k = p.length;
        this.writeChunks(p);
      } else {
        k = MAX_BLOCK_SIZE - this.n;
        this.ibuf.set(p.subarray(0, k), this.n);
        this.n += k;
        this.flush();
      }
      p = p.subarray(k);
    }
    this.ibuf.set(p, this.n);
    this.n += p.length;
  }

  flush(): void {
    if (this.n === 0) return;
    this.writeChunks(this.ibuf.subarray(0, this.n));
    this.n = 0;
  }

  /** The framed bytes produced so far (and forget them). */
  take(): Uint8Array {
    const b = this.out.bytes();
    this.out.reset();
    return b;
  }

  private writeChunks(p: Uint8Array): void {
    if (!this.wroteHeader) {
      this.wroteHeader = true;
      this.out.raw(STREAM_IDENTIFIER);
    }
    for (let i = 0; i < p.length; i += MAX_BLOCK_SIZE) {
      const data = p.subarray(i, Math.min(i + MAX_BLOCK_SIZE, p.length));
      const crc = maskedCrc32c(data);
      const compressed = compressBlock(data);
      // Go keeps a compressed chunk only if it saves at least 12.5 %.
      const useCompressed = compressed.length < data.length - Math.floor(data.length / 8);
      const body = useCompressed ? compressed : data;
      const len = CHECKSUM_SIZE + body.length;
      const w = this.out;
      w.byte(useCompressed ? CHUNK_COMPRESSED : CHUNK_UNCOMPRESSED);
      w.byte(len & 0xff);
      w.byte((len >>> 8) & 0xff);
      w.byte(len >>> 16);
      w.byte(crc & 0xff);
      w.byte((crc >>> 8) & 0xff);
      w.byte((crc >>> 16) & 0xff);
      w.byte(crc >>> 24);
      w.raw(body);
    }
  }
}

/** Frames a whole byte string at once (flushing at the end). */
export function frame(data: Uint8Array): Uint8Array {
  const w = new FrameWriter();
  w.write(data);
  w.flush();
  return w.take();
}

/** Unframes a complete stream. */
export function unframe(stream: Uint8Array): Uint8Array {
  const q = new ByteQueue();
  q.push(stream);
  const r = new FrameReader(q);
  const parts: Uint8Array[] = [];
  for (let c = r.nextChunk(); c !== undefined; c = r.nextChunk()) parts.push(c);
  r.finish();
  return Buffer.concat(parts);
}
