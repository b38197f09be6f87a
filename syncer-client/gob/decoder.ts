// An incremental Go encoding/gob stream decoder (encoding/gob/decoder.go): the stream grammar
// (length-prefixed messages, type definitions, then a value) and the stream's type table.
// Compiling decoders for those types is compile.ts; predefined types basic.ts; skipping fields the
// receiver does not have skip.ts.
//
// Input may arrive in any chunking. next() either returns one complete top-level value or
// undefined, and in that case rewinds the input and forgets any type definitions it read, so the
// same bytes are decoded again once more arrive (one Envelope can span several gob messages).

import { ByteQueue } from './bytequeue.js';
import { GENERIC, nonZeroSingletonDelta } from './common.js';
import type { LocalKey, TypeSource } from './common.js';
import { Compiler } from './compile.js';
import { GobError, GobErrorCode, ProtocolError } from './errors.js';
import type { GoType } from './gotype.js';
import { Reader } from './reader.js';
import { TypeRegistry } from './registry.js';
import { FIRST_USER_ID, MAX_STRUCT_FIELDS, readWireType } from './wire.js';
import type { WireType } from './wire.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_TYPES = 10_000;
/**
 * Default cap on the bytes of all type definitions on one stream. Go's syncproto streams define
 * 200-600 bytes of types (test/protocol/limits.test.ts measures the Go fixtures), so 1 MiB refuses
 * only hostile streams, and bounds what they can make the decoder hold and compile.
 */
export const DEFAULT_MAX_TYPEDEF_BYTES = 1024 * 1024;

export interface GobDecoderOptions {
  /** Cap on one gob message's length prefix, checked before any of it is buffered. */
  readonly maxMessageBytes?: number;
  /** Interface names this stream may carry (default: Go's basic types only). */
  readonly registry?: TypeRegistry;
  /** Cap on type definitions per stream. */
  readonly maxTypes?: number;
  /** Cap on fields per struct type definition (default MAX_STRUCT_FIELDS). */
  readonly maxStructFields?: number;
  /** Cap on the total bytes of type definitions per stream (default DEFAULT_MAX_TYPEDEF_BYTES). */
  readonly maxTypedefBytes?: number;
}

export interface DecodedValue {
  readonly typeId: number;
  readonly value: unknown;
}

/** Thrown internally when a needed message has not fully arrived; never escapes next(). */
const NEED_MORE: unique symbol = Symbol('need more input');

const EMPTY = new Uint8Array(0);

export class GobDecoder implements TypeSource {
  readonly queue: ByteQueue;
  private readonly r = new Reader();
  private readonly maxMessageBytes: number;
  private readonly maxTypes: number;
  private readonly maxStructFields: number;
  private readonly maxTypedefBytes: number;
  /** Bytes of type definitions accepted on this stream so far. */
  private typedefBytes = 0;
  private readonly wire = new Map<number, WireType>();
  private readonly journal: number[] = [];
  private readonly compiler: Compiler;
  private failed: ProtocolError | undefined;

  constructor(opts: GobDecoderOptions = {}, queue: ByteQueue = new ByteQueue()) {
    this.queue = queue;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxTypes = opts.maxTypes ?? DEFAULT_MAX_TYPES;
    this.maxStructFields = opts.maxStructFields ?? MAX_STRUCT_FIELDS;
    this.maxTypedefBytes = opts.maxTypedefBytes ?? DEFAULT_MAX_TYPEDEF_BYTES;
    this.compiler = new Compiler(this, opts.registry ?? TypeRegistry.withBasics());
  }

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Bytes of type definitions accepted on this stream so far (counted against maxTypedefBytes). */
  get definitionBytes(): number {
    return this.typedefBytes;
  }

  /** The wire definition of a type id seen on this stream (for diagnostics and tests). */
  wireType(id: number): WireType | undefined {
    return this.wire.get(id);
  }

  /**
   * Decodes the next top-level value into `local` (or generically, when omitted).
   * Returns undefined when the input holds no complete value yet. Throws a ProtocolError on
   * bad input; after that the stream is unusable and every call throws the same error.
   */
  next(local?: GoType): DecodedValue | undefined {
    if (this.failed !== undefined) throw this.failed;
    const mark = this.queue.mark();
    const typedefBytes = this.typedefBytes;
    this.journal.length = 0;
    this.compiler.beginValue();
    this.r.load(EMPTY);
    try {
      const id = this.typeSequence(false);
      const value = this.decodeValue(id, local ?? GENERIC);
      this.queue.commit();
      return { typeId: id, value };
    } catch (e) {
      if (e === NEED_MORE) {
        this.queue.rewind(mark);
        this.typedefBytes = typedefBytes;
        if (this.journal.length > 0) {
          for (const id of this.journal) this.wire.delete(id);
          this.compiler.reset();
        }
        return undefined;
      }
      this.failed =
        e instanceof ProtocolError
          ? e
          : new GobError(
              GobErrorCode.BadValue,
              `undecodable input (${e instanceof Error ? e.message : String(e)})`,
            );
      throw this.failed;
    }
  }

  /** Call at end of input: a partial message left over means the stream was truncated. */
  finish(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.queue.length > 0) {
      this.failed = new GobError(
        GobErrorCode.Truncated,
        `stream ended inside a message (${this.queue.length} bytes left)`,
      );
      throw this.failed;
    }
  }

  // ---- stream grammar (encoding/gob/decoder.go) ----

  private loadMessage(isInterface: boolean): void {
    const p = this.queue.peekUint();
    if (p === undefined) throw NEED_MORE;
    const [len, prefix] = p;
    if (!isInterface) this.refuseLargeTypedefMessage(len, prefix);
    // Reject an oversized message from its prefix alone, before buffering it (Go: tooBig).
    if (len > this.maxMessageBytes) {
      throw new GobError(
        GobErrorCode.MessageTooLarge,
        `message of ${len} bytes exceeds the cap of ${this.maxMessageBytes}`,
      );
    }
    if (len === 0) throw new GobError(GobErrorCode.Truncated, 'empty message');
    if (this.queue.length < prefix + len) throw NEED_MORE;
    this.queue.skip(prefix);
    this.r.load(this.queue.take(len));
  }

  /** Go's decodeTypeSequence: type definitions until a value's type id. */
  typeSequence(isInterface: boolean): number {
    const r = this.r;
    for (;;) {
      if (r.pos >= r.end) this.loadMessage(isInterface);
      const id = r.int();
      if (id >= 0) return id;
      this.define(-id, this.readTypedef(isInterface));
      if (r.pos < r.end) {
        if (!isInterface)
          throw new GobError(GobErrorCode.ExtraData, 'extra data after a top-level type definition');
        r.uint(); // a delimited value's count (Go skips it too)
      }
    }
  }

  private typedefsTooLarge(len: number): never {
    throw new GobError(
      GobErrorCode.TypedefsTooLarge,
      `type definitions of ${this.typedefBytes + len} bytes or more on this stream (cap ${this.maxTypedefBytes})`,
    );
  }

  /**
   * A top-level message that starts with a type definition is that definition alone, so one over
   * the remaining budget is refused from its first bytes, before the rest is buffered.
   */
  private refuseLargeTypedefMessage(len: number, prefix: number): void {
    const left = this.maxTypedefBytes - this.typedefBytes;
    if (len <= left || this.queue.length >= prefix + len) return; // small, or checked in readTypedef
    const q = this.queue;
    if (q.length <= prefix) return;
    const b = q.peek(prefix);
    // A gob int's sign is the low bit of its uint encoding (of the last byte when multi-byte).
    const k = b < 0x80 ? 0 : 256 - b;
    if (k > 8 || q.length <= prefix + k) return; // a bad or not yet complete id: decoded later
    if ((q.peek(prefix + k) & 1) === 1) this.typedefsTooLarge(len - 1 - k);
  }

  /** One wire type definition, counted against the stream's definition-bytes budget. */
  private readTypedef(isInterface: boolean): WireType {
    const r = this.r;
    const start = r.pos;
    const end = r.end;
    const left = this.maxTypedefBytes - this.typedefBytes;
    // At top level the definition is the rest of the message; inside an interface value a value
    // follows it, so parsing stops at the budget's end instead.
    if (end - start > left && !isInterface) this.typedefsTooLarge(end - start);
    const clamped = end - start > left;
    if (clamped) r.end = start + left;
    let w: WireType;
    try {
      w = readWireType(r, this.maxStructFields);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (clamped && (code === GobErrorCode.Truncated || code === GobErrorCode.BadLength))
        this.typedefsTooLarge(left + 1);
      throw e;
    } finally {
      r.end = end;
    }
    this.typedefBytes += r.pos - start;
    return w;
  }

  private define(id: number, w: WireType): void {
    if (id < FIRST_USER_ID || id > 0x7fffffff)
      throw new GobError(GobErrorCode.BadTypedef, `cannot define type id ${id}`);
    if (this.wire.has(id)) throw new GobError(GobErrorCode.DuplicateType, `type ${id} defined twice`);
    if (this.wire.size >= this.maxTypes)
      throw new GobError(GobErrorCode.TooManyTypes, `more than ${this.maxTypes} types`);
    this.wire.set(id, w);
    this.journal.push(id);
  }

  private decodeValue(id: number, local: LocalKey): unknown {
    const fn = this.compiler.decoderFor(id, local, 0, new Set());
    const r = this.r;
    if (this.wire.get(id)?.kind === 'struct') return fn(r);
    // A non-struct value is a "singleton": a zero field delta, then the value (Go: decodeSingle).
    if (r.uint() !== 0) nonZeroSingletonDelta();
    return fn(r);
  }
}
