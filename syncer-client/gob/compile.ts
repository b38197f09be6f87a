// Compiles, per (wire type, local type) pair, a function that decodes one value (Go's
// compileDec/decOpFor, encoding/gob/decode.go). Struct decoders are generated as straight-line
// code so each field store is monomorphic; that is what keeps the 100k-KV snapshot near Go's
// speed (bench/gob-decode.md).

import { compileBasic } from './basic.js';
import {
  GENERIC,
  MAX_NAME_BYTES,
  MAX_VALUE_DEPTH,
  badArrayLength,
  badField,
  collectionLength,
  enterWire,
  mismatch,
  nonZeroSingletonDelta,
  tooDeep,
} from './common.js';
import type { DecodeFn, LocalKey, SkipFn, TypeSource } from './common.js';
import { GobError, GobErrorCode } from './errors.js';
import type { GoType, InterfaceType, StructType } from './gotype.js';
import type { Reader } from './reader.js';
import type { TypeRegistry } from './registry.js';
import { Skippers } from './skip.js';
import { FIRST_USER_ID, TypeId, describeWire } from './wire.js';
import type { WireType } from './wire.js';

type StructWire = Extract<WireType, { kind: 'struct' }>;

export class Compiler {
  private readonly dec = new Map<number, Map<LocalKey, DecodeFn>>();
  private readonly skippers: Skippers;
  /** Bumped whenever compiled decoders are thrown away, so memoized lookups notice. */
  private gen = 0;
  private valueDepth = 0;

  constructor(
    private readonly src: TypeSource,
    private readonly registry: TypeRegistry,
  ) {
    this.skippers = new Skippers(src);
  }

  /** Start of a top-level value: no interface nesting yet. */
  beginValue(): void {
    this.valueDepth = 0;
  }

  /** Throw away every compiled function (wire types they were built from were rolled back). */
  reset(): void {
    this.dec.clear();
    this.skippers.clear();
    this.gen++;
  }

  decoderFor(id: number, local: LocalKey, depth: number, busy: Set<number>): DecodeFn {
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
    tooDeep(depth);
    const g: GoType | undefined = local === GENERIC ? undefined : (local as GoType);
    if (id < FIRST_USER_ID) return compileBasic(id, g, (l) => this.interfaceDecoder(l));
    const w = enterWire(this.src, id, busy);
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
            const n = collectionLength(r, 1, 'slice');
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
            const n = collectionLength(r, 1, 'array');
            if (n !== len) badArrayLength(n, len);
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
            const n = collectionLength(r, 2, 'map');
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

  private compileStruct(
    id: number,
    w: StructWire,
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
        // Fields the receiver does not have are skipped using their wire types (Go: decIgnoreOpFor).
        fns.push(this.skippers.skipperFor(wf.id, depth + 1, busy));
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

  private compileGenericStruct(w: StructWire, depth: number, busy: Set<number>): DecodeFn {
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

  /** Go's decodeInterface: name, type sequence, byte count, then the concrete value. */
  private interfaceDecoder(local: InterfaceType | undefined): DecodeFn {
    const fromGo = local?.fromGo;
    let memoGen = -1;
    let memoId = -1;
    let memoType: GoType | undefined;
    let memoFn: DecodeFn = () => undefined;
    let memoStruct = false;
    return (r: Reader) => {
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
      const cid = this.src.typeSequence(true);
      r.uint(); // byteCount: only needed for skipping
      if (memoGen !== this.gen || memoId !== cid || memoType !== t) {
        memoFn = this.decoderFor(cid, t, 0, new Set());
        memoStruct = this.src.wireType(cid)?.kind === 'struct';
        memoGen = this.gen;
        memoId = cid;
        memoType = t;
      }
      if (!memoStruct && r.uint() !== 0) nonZeroSingletonDelta();
      const v = memoFn(r);
      this.valueDepth--;
      return fromGo !== undefined ? fromGo(name, v) : { name, value: v };
    };
  }
}
