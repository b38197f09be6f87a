// Syncproto streams (typha/pkg/syncproto/sync_proto.go): gob Envelopes, plain or inside snappy framing.

import { Buffer } from 'node:buffer';
import {
  ByteQueue,
  DEFAULT_MAX_MESSAGE_BYTES,
  GobDecoder,
  GobEncoder,
  ProtocolError,
  TypeIdAllocator,
} from '../gob/index.js';
import { FrameReader, FrameWriter } from '../snappy/index.js';
import { SyncprotoErrorCode } from './errors.js';
import { EnvelopeType, messageOf, syncprotoRegistryShared } from './schema.js';
import type { Msg } from './types.js';

export type Compression = '' | 'snappy';

export interface StreamDecoderOptions {
  /** Cap on one gob message (default 64 MiB), checked from its length prefix before buffering. */
  readonly maxMessageBytes?: number;
}

/**
 * Decodes what a peer sends: raw socket bytes in, syncproto messages out.
 * SerializedUpdate.value is a view into the decoder's input (or snappy output) buffers, not a
 * copy: those buffers are never written again, but a kept view pins its buffer (up to 4 MiB in
 * snappy mode), so copy or convert values that are kept long-term.
 * One raw input buffer lives for the whole connection; restart() swaps the gob (and snappy)
 * state and decodes any bytes already buffered in the new mode (typha/pkg/syncproto/sync_proto.go switch-over rule).
 */
export class StreamDecoder {
  private readonly raw = new ByteQueue();
  private readonly maxMessageBytes: number;
  private gob: GobDecoder;
  private frames: FrameReader | undefined;
  private failed: unknown;

  constructor(opts: StreamDecoderOptions = {}) {
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.gob = this.newGob(this.raw);
  }

  private newGob(queue: ByteQueue): GobDecoder {
    return new GobDecoder(
      { maxMessageBytes: this.maxMessageBytes, registry: syncprotoRegistryShared },
      queue,
    );
  }

  /** Raw bytes from the socket. The decoder keeps views of them: do not modify a chunk after pushing it. */
  push(chunk: Uint8Array): void {
    this.raw.push(chunk);
  }

  /** Raw bytes received but not yet consumed (in snappy mode: not yet unframed). */
  get buffered(): number {
    return this.raw.length + (this.frames !== undefined ? this.gob.buffered : 0);
  }

  /** The next complete message, or undefined if more bytes are needed. Throws ProtocolError on bad input. */
  next(): Msg | undefined {
    if (this.failed !== undefined) throw this.failed;
    try {
      for (;;) {
        const v = this.gob.next(EnvelopeType);
        if (v !== undefined) return messageOf(v.value);
        if (this.frames === undefined) return undefined;
        // Unframe one more chunk only when the gob layer needs it, so nothing past a
        // DecoderRestart is consumed by the old stream.
        const chunk = this.frames.nextChunk();
        if (chunk === undefined) return undefined;
        this.gob.push(chunk);
      }
    } catch (e) {
      this.failed =
        e instanceof ProtocolError ? e : new ProtocolError(SyncprotoErrorCode.Internal, String(e));
      throw this.failed;
    }
  }

  /** After a DecoderRestart: a fresh gob type table, and a fresh snappy reader if compressed. */
  restart(compression: Compression): void {
    if (this.failed !== undefined) throw this.failed;
    if (compression === 'snappy') {
      this.frames = new FrameReader(this.raw);
      this.gob = this.newGob(new ByteQueue());
    } else if (compression === '') {
      this.frames = undefined;
      this.gob = this.newGob(this.raw);
    } else {
      throw new ProtocolError(
        SyncprotoErrorCode.BadCompression,
        `unknown compression ${JSON.stringify(compression)}`,
      );
    }
  }

  /** At end of input: throws if the stream stopped inside a message or chunk. */
  finish(): void {
    if (this.failed !== undefined) throw this.failed;
    this.frames?.finish();
    this.gob.finish();
  }
}

export interface StreamEncoderOptions {
  /** Share one allocator between encoders to reproduce a Go process's type ids (tests). */
  readonly typeIds?: TypeIdAllocator;
}

/** Encodes one direction of a connection: a fresh gob stream, optionally snappy-framed. */
export class StreamEncoder {
  private readonly gob: GobEncoder;
  private readonly frames: FrameWriter | undefined;

  constructor(compression: Compression = '', opts: StreamEncoderOptions = {}) {
    this.gob = new GobEncoder({
      registry: syncprotoRegistryShared,
      ...(opts.typeIds ? { typeIds: opts.typeIds } : {}),
    });
    this.frames = compression === 'snappy' ? new FrameWriter() : undefined;
  }

  /** One message; in snappy mode flushed so it ends on a chunk boundary (the live stream, typha/pkg/syncproto/sync_proto.go). */
  encode(msg: Msg): Uint8Array {
    const b = this.gob.encode({ message: msg }, EnvelopeType);
    if (this.frames === undefined) return b;
    this.frames.write(b);
    this.frames.flush();
    return this.frames.take();
  }

  /** Several messages, not flushed in between: the binary snapshot's ≤ 64 KiB chunking (typha/pkg/syncproto/sync_proto.go). */
  encodeMany(msgs: readonly Msg[]): Uint8Array {
    if (this.frames === undefined) {
      return Buffer.concat(msgs.map((m) => this.gob.encode({ message: m }, EnvelopeType)));
    }
    for (const m of msgs) this.frames.write(this.gob.encode({ message: m }, EnvelopeType));
    this.frames.flush();
    return this.frames.take();
  }
}
