// A Go encoding/gob stream encoder that reproduces Go's message layout (encoding/gob/encoder.go):
// type definitions are sent once per stream, in Go's depth-first order; inside an interface the
// first new definition is cut into the message holding the start of the value.

import { GobError, GobErrorCode } from './errors.js';
import type { GoInterfaceValue, GoType, InterfaceType, StructType } from './gotype.js';
import { TypeRegistry } from './registry.js';
import { TypeId, writeWireType } from './wire.js';
import type { WireType } from './wire.js';
import { ByteWriter } from './writer.js';

/**
 * Type id assignment. Go assigns ids process-wide, in the order types are first described: a
 * struct takes its id before its fields' types, a slice/array/map after its element types
 * (encoding/gob newTypeObject). Sharing one allocator between encoders reproduces a Go process's
 * ids exactly (used by the test/protocol/spec-vectors.ts tests); a fresh one per stream is just as valid.
 */
export class TypeIdAllocator {
  private nextId: number;
  private readonly ids = new Map<GoType, number>();

  constructor(firstId = 65) {
    if (firstId < 64) throw new Error('gob: user type ids start at 64');
    this.nextId = firstId;
  }

  idOf(t: GoType): number {
    const basic = basicId(t);
    if (basic !== undefined) return basic;
    const known = this.ids.get(t);
    if (known !== undefined) return known;
    switch (t.kind) {
      case 'struct':
        this.ids.set(t, this.nextId++);
        for (const f of t.fields) this.idOf(f.type);
        break;
      case 'slice':
      case 'array':
        this.idOf(t.elem);
        this.ids.set(t, this.nextId++);
        break;
      case 'map':
        this.idOf(t.key);
        this.idOf(t.elem);
        this.ids.set(t, this.nextId++);
        break;
      default:
        this.ids.set(t, this.nextId++);
    }
    return this.ids.get(t)!;
  }

  wireTypeOf(t: GoType): WireType {
    switch (t.kind) {
      case 'struct':
        return {
          kind: 'struct',
          name: t.name,
          fields: t.fields.map((f) => ({ name: f.name, id: this.idOf(f.type) })),
        };
      case 'slice':
        return { kind: 'slice', name: t.name, elem: this.idOf(t.elem) };
      case 'array':
        return { kind: 'array', name: t.name, elem: this.idOf(t.elem), len: t.len };
      case 'map':
        return { kind: 'map', name: t.name, key: this.idOf(t.key), elem: this.idOf(t.elem) };
      case 'external':
        return { kind: 'external', name: t.name, via: t.via };
      default:
        throw new GobError(GobErrorCode.BadInput, `${t.kind} has no wire definition`);
    }
  }
}

function basicId(t: GoType): number | undefined {
  switch (t.kind) {
    case 'bool':
      return TypeId.Bool;
    case 'int':
      return TypeId.Int;
    case 'uint':
      return TypeId.Uint;
    case 'float':
      return TypeId.Float;
    case 'bytes':
      return TypeId.Bytes;
    case 'string':
      return TypeId.String;
    case 'complex':
      return TypeId.Complex;
    case 'interface':
      return TypeId.Interface;
    default:
      return undefined;
  }
}

function bad(msg: string): never {
  throw new GobError(GobErrorCode.BadInput, msg);
}

export interface GobEncoderOptions {
  readonly registry?: TypeRegistry;
  readonly typeIds?: TypeIdAllocator;
}

export class GobEncoder {
  private readonly registry: TypeRegistry;
  private readonly ids: TypeIdAllocator;
  /** Types already described on this stream (Go's Encoder.sent). */
  private readonly sent = new Set<GoType>();
  private readonly out = new ByteWriter(1024);
  private cur = new ByteWriter(1024);
  /** Scratch writers for interface values, one per nesting level. */
  private readonly scratch: ByteWriter[] = [];
  private ifaceDepth = 0;

  constructor(opts: GobEncoderOptions = {}) {
    this.registry = opts.registry ?? TypeRegistry.withBasics();
    this.ids = opts.typeIds ?? new TypeIdAllocator();
  }

  /** One Encode call: the bytes of every gob message it produces, length prefixes included. */
  encode(value: unknown, t: GoType): Uint8Array {
    this.out.reset();
    this.cur.reset();
    this.ifaceDepth = 0;
    const sentBefore = this.sent.size;
    try {
      this.sendType(t);
      this.cur.int(this.ids.idOf(t));
      if (t.kind === 'struct') this.encodeStruct(t, value);
      else {
        this.cur.uint(0); // singleton field delta
        this.encodeValue(t, value);
      }
      this.flushMessage();
    } catch (e) {
      // Nothing of this call is written, so definitions it produced were never sent: forget
      // them, or the next message would refer to types the peer has not seen.
      if (this.sent.size > sentBefore) {
        const keep = [...this.sent].slice(0, sentBefore);
        this.sent.clear();
        for (const k of keep) this.sent.add(k);
      }
      throw e;
    }
    return this.out.bytes();
  }

  private flushMessage(): void {
    this.out.uint(this.cur.pos);
    this.out.raw(this.cur.buf.subarray(0, this.cur.pos));
    this.cur.reset();
  }

  /** Go's sendType: describe a type (and, depth first, its parts) unless basic or already sent. */
  private sendType(t: GoType): void {
    if (basicId(t) !== undefined || this.sent.has(t)) return;
    const id = this.ids.idOf(t);
    this.cur.int(-id);
    writeWireType(this.cur, id, this.ids.wireTypeOf(t));
    // Flushes whatever the current message holds: at top level that is just this definition,
    // inside an interface it is also the start of the value (encoding/gob/encode.go, encodeInterface).
    this.flushMessage();
    this.sent.add(t);
    switch (t.kind) {
      case 'struct':
        for (const f of t.fields) this.sendType(f.type);
        break;
      case 'slice':
      case 'array':
        this.sendType(t.elem);
        break;
      case 'map':
        this.sendType(t.key);
        this.sendType(t.elem);
        break;
      default:
        break;
    }
  }

  private needsDefinition(t: GoType): boolean {
    return basicId(t) === undefined && !this.sent.has(t);
  }

  private encodeStruct(t: StructType, o: unknown): void {
    if (typeof o !== 'object' || o === null) bad(`${t.name}: expected an object`);
    const rec = o as Record<string, unknown>;
    const w = () => this.cur;
    let last = -1;
    const fields = t.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = rec[f.prop];
      if (f.type.kind === 'interface') {
        const iv = toInterface(f.type, v);
        if (iv === null) continue; // a nil interface field is omitted
        w().uint(i - last);
        last = i;
        this.encodeInterface(iv);
        continue;
      }
      if (isZero(f.type, v)) continue;
      w().uint(i - last);
      last = i;
      this.encodeValue(f.type, v);
    }
    this.cur.uint(0);
  }

  private encodeValue(t: GoType, v: unknown): void {
    const w = this.cur;
    switch (t.kind) {
      case 'bool':
        if (typeof v !== 'boolean') bad('expected a boolean');
        w.uint(v ? 1 : 0);
        return;
      case 'int':
        if (typeof v !== 'number' && typeof v !== 'bigint') bad('expected an integer');
        checkIntRange(t.bits, v, true);
        w.int(v);
        return;
      case 'uint':
        if (typeof v !== 'number' && typeof v !== 'bigint') bad('expected an unsigned integer');
        checkIntRange(t.bits, v, false);
        w.uint(v);
        return;
      case 'float':
        if (typeof v !== 'number') bad('expected a number');
        w.float(v);
        return;
      case 'complex': {
        if (!Array.isArray(v) || v.length !== 2) bad('expected [re, im]');
        w.float(Number(v[0]));
        w.float(Number(v[1]));
        return;
      }
      case 'string':
        if (typeof v !== 'string') bad('expected a string');
        w.string(v);
        return;
      case 'bytes':
        if (v === null || v === undefined) {
          w.uint(0);
          return;
        }
        if (!(v instanceof Uint8Array)) bad('expected a Uint8Array');
        w.bytesField(v);
        return;
      case 'slice':
      case 'array': {
        const arr = v ?? [];
        if (!Array.isArray(arr)) bad(`${t.name}: expected an array`);
        if (t.kind === 'array' && arr.length !== t.len) bad(`${t.name}: expected ${t.len} elements`);
        w.uint(arr.length);
        for (const e of arr) this.encodeValue(t.elem, e);
        return;
      }
      case 'map': {
        const m = v ?? new Map();
        if (!(m instanceof Map)) bad(`${t.name}: expected a Map`);
        w.uint(m.size);
        for (const [k, e] of m) {
          this.encodeValue(t.key, k);
          this.encodeValue(t.elem, e);
        }
        return;
      }
      case 'struct':
        this.encodeStruct(t, v);
        return;
      case 'external':
        w.bytesField(t.codec.encode(v));
        return;
      case 'interface':
        this.encodeInterface(toInterface(t, v));
        return;
    }
  }

  /** Go's encodeInterface (encoding/gob/encode.go). */
  private encodeInterface(iv: GoInterfaceValue | null): void {
    if (iv === null) {
      this.cur.uint(0);
      return;
    }
    const ct = this.registry.lookup(iv.name);
    if (ct === undefined) {
      throw new GobError(
        GobErrorCode.UnregisteredName,
        `name not registered for interface: ${JSON.stringify(iv.name)}`,
      );
    }
    this.cur.string(iv.name);
    if (this.needsDefinition(ct)) {
      // Go would write nested definitions into the enclosing value as delimited messages; no
      // syncproto message needs that, so it is not produced here.
      if (this.ifaceDepth > 0) {
        throw new GobError(GobErrorCode.Unsupported, `new type ${iv.name} inside a nested interface value`);
      }
      this.sendType(ct);
    }
    this.cur.int(this.ids.idOf(ct));
    // The concrete value goes into its own buffer so its byte count can precede it.
    const outer = this.cur;
    const depth = this.ifaceDepth++;
    const inner = (this.scratch[depth] ??= new ByteWriter(256));
    inner.reset();
    this.cur = inner;
    try {
      if (ct.kind === 'struct') this.encodeStruct(ct, iv.value);
      else {
        inner.uint(0);
        this.encodeValue(ct, iv.value);
      }
    } finally {
      this.cur = outer;
      this.ifaceDepth = depth;
    }
    outer.uint(inner.pos);
    outer.raw(inner.buf.subarray(0, inner.pos));
  }
}

function toInterface(t: InterfaceType, v: unknown): GoInterfaceValue | null {
  if (t.toGo !== undefined) return t.toGo(v);
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || typeof (v as { name?: unknown }).name !== 'string')
    bad('expected { name, value } for an interface');
  return v as GoInterfaceValue;
}

function checkIntRange(bits: number, v: number | bigint, signed: boolean): void {
  const b = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : bad(`not an integer: ${v}`);
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (b < lo || b > hi) bad(`${v} out of range for ${signed ? 'int' : 'uint'}${bits}`);
}

/** Go 1.19's zero-value omission for struct fields (encoding/gob/encode.go, encOpFor). Structs and arrays are always sent. */
function isZero(t: GoType, v: unknown): boolean {
  switch (t.kind) {
    case 'bool':
      return v === false || v === undefined;
    case 'int':
    case 'uint':
      return v === 0 || v === 0n || v === undefined;
    case 'float':
      return v === 0 || v === undefined;
    case 'complex':
      return v === undefined || (Array.isArray(v) && v[0] === 0 && v[1] === 0);
    case 'string':
      return v === '' || v === undefined;
    case 'bytes':
      return v === null || v === undefined || (v instanceof Uint8Array && v.length === 0);
    case 'slice':
      return v === null || v === undefined || (Array.isArray(v) && v.length === 0);
    case 'map':
      return v === null || v === undefined;
    case 'interface':
      return v === null || v === undefined;
    case 'external':
      return v === null || v === undefined || t.codec.isZero(v);
    case 'struct':
    case 'array':
      return false;
  }
}
