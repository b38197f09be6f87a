// An incremental Go encoding/gob stream decoder (typha-protocol.md §8.2, §8.6).
//
// Per stream it keeps the table of wire type definitions and compiles, per (wire type, local
// type) pair, a decoding function. Struct decoders are generated as straight-line code so each
// field store is monomorphic; that is what keeps the 100k-KV snapshot near Go's speed
// (bench/gob-decode.md).
//
// Input may arrive in any chunking. next() either returns one complete top-level value or
// undefined, and in that case rewinds the input and forgets any type definitions it read, so the
// same bytes are decoded again once more arrive (one Envelope can span several gob messages).

import { ByteQueue } from './bytequeue.js';
import { GobError, GobErrorCode, ProtocolError } from './errors.js';
import type { GoType, InterfaceType, StructType } from './gotype.js';
import { Reader } from './reader.js';
import { TypeRegistry } from './registry.js';
import { FIRST_USER_ID, TypeId, describeWire, readWireType } from './wire.js';
import type { WireType } from './wire.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Go's limit on interface names (§8.6). */
const MAX_NAME_BYTES = 1024;
const MAX_TYPE_DEPTH = 64;
const MAX_VALUE_DEPTH = 64;
const DEFAULT_MAX_TYPES = 10_000;

export interface GobDecoderOptions {
  /** Cap on one gob message's length prefix, checked before any of it is buffered. */
  readonly maxMessageBytes?: number;
  /** Interface names this stream may carry (default: Go's basic types only). */
  readonly registry?: TypeRegistry;
  /** Cap on type definitions per stream. */
  readonly maxTypes?: number;
}

export interface DecodedValue {
  readonly typeId: number;
  readonly value: unknown;
}

type DecodeFn = (r: Reader) => unknown;
type SkipFn = (r: Reader) => void;

/** Thrown internally when a needed message has not fully arrived; never escapes next(). */
const NEED_MORE: unique symbol = Symbol('need more input');

const GENERIC = { kind: 'generic' } as const;
type LocalKey = GoType | typeof GENERIC;

function mismatch(wireId: number, w: WireType | undefined, local: GoType): never {
  const l = 'name' in local ? `${local.kind} ${local.name}` : local.kind;
  throw new GobError(
    GobErrorCode.TypeMismatch,
    `cannot decode wire ${describeWire(wireId, w)} into local ${l}`,
  );
}

function badField(f: number, n: number): never {
  throw new GobError(GobErrorCode.BadField, `field number ${f} out of range (struct has ${n} fields)`);
}

function rangeErr(v: number | bigint, what: string): never {
  throw new GobError(GobErrorCode.Range, `value ${v} out of range for ${what}`);
}

const EMPTY = new Uint8Array(0);

export class GobDecoder {
  readonly queue: ByteQueue;
  private readonly r = new Reader();
  private readonly registry: TypeRegistry;
  private readonly maxMessageBytes: number;
  private readonly maxTypes: number;
  private readonly wire = new Map<number, WireType>();
  private readonly journal: number[] = [];
  private readonly dec = new Map<number, Map<LocalKey, DecodeFn>>();
  private readonly skip = new Map<number, SkipFn>();
  /** Bumped whenever compiled decoders are thrown away, so memoized lookups notice. */
  private gen = 0;
  private valueDepth = 0;
  private failed: ProtocolError | undefined;

  constructor(opts: GobDecoderOptions = {}, queue: ByteQueue = new ByteQueue()) {
    this.queue = queue;
    this.registry = opts.registry ?? TypeRegistry.withBasics();
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxTypes = opts.maxTypes ?? DEFAULT_MAX_TYPES;
  }

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.queue.length;
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
    this.journal.length = 0;
    this.valueDepth = 0;
    this.r.load(EMPTY);
    try {
      const id = this.typeSequence(false);
      const value = this.decodeValue(id, local ?? GENERIC);
      this.queue.commit();
      return { typeId: id, value };
    } catch (e) {
      if (e === NEED_MORE) {
        this.queue.rewind(mark);
        if (this.journal.length > 0) {
          for (const id of this.journal) this.wire.delete(id);
          this.dec.clear();
          this.skip.clear();
          this.gen++;
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

  // ---- stream grammar (§8.2, §8.6) ----

  private loadMessage(): void {
    const p = this.queue.peekUint();
    if (p === undefined) throw NEED_MORE;
    const [len, prefix] = p;
    // §8.6 limits: reject an oversized message from its prefix alone, before buffering it.
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
  private typeSequence(isInterface: boolean): number {
    const r = this.r;
    for (;;) {
      if (r.pos >= r.end) this.loadMessage();
      const id = r.int();
      if (id >= 0) return id;
      this.define(-id, readWireType(r));
      if (r.pos < r.end) {
        if (!isInterface)
          throw new GobError(GobErrorCode.ExtraData, 'extra data after a top-level type definition');
        r.uint(); // a delimited value's count (Go skips it too)
      }
    }
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
    const fn = this.decoderFor(id, local, 0, new Set());
    const r = this.r;
    if (this.wire.get(id)?.kind === 'struct') return fn(r);
    // A non-struct value is a "singleton": a zero field delta, then the value (§8.2).
    if (r.uint() !== 0) throw new GobError(GobErrorCode.BadValue, 'non-zero delta before a singleton value');
    return fn(r);
  }

  // ---- compilation ----

  /** The wire definition of a user type, marked busy (the caller unmarks it when compiled). */
  private enterWire(id: number, busy: Set<number>): WireType {
    const w = this.wire.get(id);
    if (w === undefined) throw new GobError(GobErrorCode.UnknownType, `type id ${id} was never defined`);
    if (busy.has(id)) throw new GobError(GobErrorCode.BadTypedef, `recursive type definition (id ${id})`);
    busy.add(id);
    return w;
  }

  private decoderFor(id: number, local: LocalKey, depth: number, busy: Set<number>): DecodeFn {
    let byLocal = this.dec.get(id);
    const hit = byLocal?.get(local);
    if (hit !== undefined) return hit;
    const fn = this.compile(id, local, depth, busy);
    if (byLocal === undefined) {
      byLocal = new Map();
      this.dec.set(id, byLocal);
    }
    byLocal.set(local, fn);
    return fn;
  }

  private compile(id: number, local: LocalKey, depth: number, busy: Set<number>): DecodeFn {
    if (depth > MAX_TYPE_DEPTH) throw new GobError(GobErrorCode.BadTypedef, 'type nesting too deep');
    const g: GoType | undefined = local === GENERIC ? undefined : (local as GoType);
    if (id < FIRST_USER_ID) return this.compileBasic(id, g);
    const w = this.enterWire(id, busy);
    try {
      switch (w.kind) {
        case 'struct':
          if (g !== undefined && g.kind !== 'struct') mismatch(id, w, g);
          return g === undefined
            ? this.compileGenericStruct(w, depth, busy)
            : this.compileStruct(id, w, g, depth, busy);
        case 'slice': {
          if (g !== undefined && g.kind !== 'slice') mismatch(id, w, g);
          const elem = this.decoderFor(w.elem, g === undefined ? GENERIC : g.elem, depth + 1, busy);
          return (r) => {
            // Every element takes at least one byte, so a count cannot exceed what is left; and the
            // array grows as elements really decode, so a lying count allocates nothing up front.
            const n = r.length(1);
            const out: unknown[] = [];
            for (let i = 0; i < n; i++) out.push(elem(r));
            return out;
          };
        }
        case 'array': {
          if (g !== undefined && (g.kind !== 'array' || g.len !== w.len)) mismatch(id, w, g);
          const elem = this.decoderFor(w.elem, g === undefined ? GENERIC : g.elem, depth + 1, busy);
          const len = w.len;
          return (r) => {
            const n = r.length(1);
            if (n !== len)
              throw new GobError(GobErrorCode.BadValue, `array of ${n} elements, type says ${len}`);
            const out: unknown[] = [];
            for (let i = 0; i < n; i++) out.push(elem(r));
            return out;
          };
        }
        case 'map': {
          if (g !== undefined && g.kind !== 'map') mismatch(id, w, g);
          const key = this.decoderFor(w.key, g === undefined ? GENERIC : g.key, depth + 1, busy);
          const elem = this.decoderFor(w.elem, g === undefined ? GENERIC : g.elem, depth + 1, busy);
          return (r) => {
            const n = r.length(2);
            const out = new Map<unknown, unknown>();
            for (let i = 0; i < n; i++) {
              const k = key(r);
              out.set(k, elem(r));
            }
            return out;
          };
        }
        case 'external': {
          if (g === undefined) return (r) => r.bytes();
          if (g.kind !== 'external' || g.via !== w.via) mismatch(id, w, g);
          const codec = g.codec;
          return (r) => codec.decode(r.bytes());
        }
      }
    } finally {
      busy.delete(id);
    }
  }

  private compileBasic(id: number, g: GoType | undefined): DecodeFn {
    switch (id) {
      case TypeId.Bool:
        if (g !== undefined && g.kind !== 'bool') mismatch(id, undefined, g);
        return (r) => r.uint() !== 0;
      case TypeId.Int: {
        if (g === undefined) {
          return (r) => {
            const v = r.intBig();
            return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
          };
        }
        if (g.kind !== 'int') mismatch(id, undefined, g);
        if (g.big) {
          if (g.bits === 64) return (r) => r.intBig();
          const lim = 1n << BigInt(g.bits - 1);
          return (r) => {
            const v = r.intBig();
            return v < -lim || v >= lim ? rangeErr(v, `int${g.bits}`) : v;
          };
        }
        const lim = g.bits === 64 ? 2 ** 53 : 2 ** (g.bits - 1);
        return (r) => {
          const v = r.int();
          return v < -lim || v >= lim ? rangeErr(v, `int${g.bits}`) : v;
        };
      }
      case TypeId.Uint: {
        if (g === undefined) {
          return (r) => {
            const p = r.pos;
            const v = r.uint();
            if (v <= Number.MAX_SAFE_INTEGER) return v;
            r.pos = p;
            return r.uintBig();
          };
        }
        if (g.kind !== 'uint') mismatch(id, undefined, g);
        if (g.big) {
          if (g.bits === 64) return (r) => r.uintBig();
          const lim = 1n << BigInt(g.bits);
          return (r) => {
            const v = r.uintBig();
            return v >= lim ? rangeErr(v, `uint${g.bits}`) : v;
          };
        }
        const lim = g.bits === 64 ? 2 ** 53 : 2 ** g.bits;
        return (r) => {
          const v = r.uint();
          return v >= lim ? rangeErr(v, `uint${g.bits}`) : v;
        };
      }
      case TypeId.Float:
        if (g !== undefined && g.kind !== 'float') mismatch(id, undefined, g);
        return (r) => r.float();
      case TypeId.Bytes:
        if (g !== undefined && g.kind !== 'bytes') mismatch(id, undefined, g);
        return (r) => r.bytes();
      case TypeId.String:
        if (g !== undefined && g.kind !== 'string') mismatch(id, undefined, g);
        return (r) => r.string();
      case TypeId.Complex:
        if (g !== undefined && g.kind !== 'complex') mismatch(id, undefined, g);
        return (r) => [r.float(), r.float()];
      case TypeId.Interface:
        if (g !== undefined && g.kind !== 'interface') mismatch(id, undefined, g);
        return this.interfaceDecoder(g);
      default:
        throw new GobError(GobErrorCode.UnknownType, `type id ${id} is not a known predefined type`);
    }
  }

  private compileStruct(
    id: number,
    w: Extract<WireType, { kind: 'struct' }>,
    local: StructType,
    depth: number,
    busy: Set<number>,
  ): DecodeFn {
    const byName = new Map(local.fields.map((f) => [f.name, f]));
    const fns: (DecodeFn | SkipFn)[] = [];
    const cases: string[] = [];
    let matched = 0;
    w.fields.forEach((wf, i) => {
      const lf = byName.get(wf.name);
      if (lf === undefined) {
        // §8.4: fields the receiver does not have are skipped using their wire types.
        fns.push(this.skipperFor(wf.id, depth + 1, busy));
        cases.push(`case ${i}: fns[${i}](r); break;`);
        return;
      }
      matched++;
      const fn = this.decoderFor(wf.id, lf.type, depth + 1, busy);
      fns.push(fn);
      const prop = JSON.stringify(lf.prop);
      // Inline the common primitives; everything else goes through its compiled function.
      let expr = `fns[${i}](r)`;
      if (wf.id === TypeId.String && lf.type.kind === 'string') expr = 'r.string()';
      else if (wf.id === TypeId.Bytes && lf.type.kind === 'bytes') expr = 'r.bytes()';
      else if (wf.id === TypeId.Bool && lf.type.kind === 'bool') expr = '(r.uint() !== 0)';
      cases.push(`case ${i}: o[${prop}] = ${expr}; break;`);
    });
    if (matched === 0 && w.fields.length > 0 && local.fields.length > 0) {
      throw new GobError(
        GobErrorCode.TypeMismatch,
        `no fields of wire struct ${describeWire(id, w)} match local ${local.name}`,
      );
    }
    const n = w.fields.length;
    const src =
      `return function decode_struct(r) { const o = create(); let f = -1; for (;;) { const d = r.uint(); ` +
      `if (d === 0) return o; f += d; switch (f) { ${cases.join(' ')} default: badField(f, ${n}); } } };`;
    const factory = new Function('create', 'badField', 'fns', src) as (
      create: () => Record<string, unknown>,
      bf: typeof badField,
      fns: (DecodeFn | SkipFn)[],
    ) => DecodeFn;
    return factory(local.create, badField, fns);
  }

  private compileGenericStruct(
    w: Extract<WireType, { kind: 'struct' }>,
    depth: number,
    busy: Set<number>,
  ): DecodeFn {
    const ops = w.fields.map((wf) => ({
      name: wf.name,
      fn: this.decoderFor(wf.id, GENERIC, depth + 1, busy),
    }));
    const n = ops.length;
    return (r) => {
      // A null-prototype object: wire field names (even "__proto__") stay plain keys.
      const o = Object.create(null) as Record<string, unknown>;
      let f = -1;
      for (;;) {
        const d = r.uint();
        if (d === 0) return o;
        f += d;
        if (f >= n) badField(f, n);
        const op = ops[f]!;
        o[op.name] = op.fn(r);
      }
    };
  }

  private interfaceDecoder(local: InterfaceType | undefined): DecodeFn {
    const fromGo = local?.fromGo;
    let memoGen = -1;
    let memoId = -1;
    let memoType: GoType | undefined;
    let memoFn: DecodeFn = () => undefined;
    let memoStruct = false;
    return (r) => {
      const n = r.uint();
      if (n === 0) return fromGo !== undefined ? fromGo(null, null) : null;
      if (n > MAX_NAME_BYTES) throw new GobError(GobErrorCode.NameTooLong, `interface name of ${n} bytes`);
      const name = r.stringOf(n);
      const t = this.registry.lookup(name);
      if (t === undefined) {
        throw new GobError(
          GobErrorCode.UnregisteredName,
          `name not registered for interface: ${JSON.stringify(name)}`,
        );
      }
      if (++this.valueDepth > MAX_VALUE_DEPTH)
        throw new GobError(GobErrorCode.BadValue, 'interface values nested too deeply');
      const cid = this.typeSequence(true);
      r.uint(); // byteCount: only needed for skipping
      if (memoGen !== this.gen || memoId !== cid || memoType !== t) {
        memoFn = this.decoderFor(cid, t, 0, new Set());
        memoStruct = this.wire.get(cid)?.kind === 'struct';
        memoGen = this.gen;
        memoId = cid;
        memoType = t;
      }
      if (!memoStruct && r.uint() !== 0)
        throw new GobError(GobErrorCode.BadValue, 'non-zero delta before a singleton value');
      const v = memoFn(r);
      this.valueDepth--;
      return fromGo !== undefined ? fromGo(name, v) : { name, value: v };
    };
  }

  // ---- skipping unknown fields (Go's ignore ops) ----

  private skipperFor(id: number, depth: number, busy: Set<number>): SkipFn {
    const hit = this.skip.get(id);
    if (hit !== undefined) return hit;
    const fn = this.compileSkip(id, depth, busy);
    this.skip.set(id, fn);
    return fn;
  }

  private compileSkip(id: number, depth: number, busy: Set<number>): SkipFn {
    if (depth > MAX_TYPE_DEPTH) throw new GobError(GobErrorCode.BadTypedef, 'type nesting too deep');
    switch (id) {
      case TypeId.Bool:
      case TypeId.Int:
      case TypeId.Uint:
      case TypeId.Float:
        return (r) => void r.uint();
      case TypeId.Complex:
        return (r) => {
          r.uint();
          r.uint();
        };
      case TypeId.Bytes:
      case TypeId.String:
        return (r) => r.skipBytes();
      case TypeId.Interface:
        return (r) => this.skipInterface(r);
    }
    const w = this.enterWire(id, busy);
    try {
      switch (w.kind) {
        case 'struct': {
          const ops = w.fields.map((f) => this.skipperFor(f.id, depth + 1, busy));
          const n = ops.length;
          return (r) => {
            let f = -1;
            for (;;) {
              const d = r.uint();
              if (d === 0) return;
              f += d;
              if (f >= n) badField(f, n);
              ops[f]!(r);
            }
          };
        }
        case 'slice':
        case 'array': {
          const elem = this.skipperFor(w.elem, depth + 1, busy);
          const len = w.kind === 'array' ? w.len : -1;
          return (r) => {
            const n = r.length(1);
            if (len >= 0 && n !== len)
              throw new GobError(GobErrorCode.BadValue, `array of ${n} elements, type says ${len}`);
            for (let i = 0; i < n; i++) elem(r);
          };
        }
        case 'map': {
          const key = this.skipperFor(w.key, depth + 1, busy);
          const elem = this.skipperFor(w.elem, depth + 1, busy);
          return (r) => {
            const n = r.length(2);
            for (let i = 0; i < n; i++) {
              key(r);
              elem(r);
            }
          };
        }
        case 'external':
          return (r) => r.skipBytes();
      }
    } finally {
      busy.delete(id);
    }
  }

  /** Go's ignoreInterface: name, type sequence, then drop byteCount bytes. */
  private skipInterface(r: Reader): void {
    const n = r.uint();
    if (n === 0) return;
    if (n > MAX_NAME_BYTES) throw new GobError(GobErrorCode.NameTooLong, `interface name of ${n} bytes`);
    if (n > r.remaining) throw new GobError(GobErrorCode.Truncated, 'message ended inside an interface name');
    r.pos += n;
    this.typeSequence(true);
    const c = r.length(1);
    r.pos += c;
  }
}
