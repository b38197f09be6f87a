// Skipping values the receiver has no field for, by their wire types alone: Go's ignore ops
// (encoding/gob/decode.go, decIgnoreOpFor, ignoreInterface).

import { GobError, GobErrorCode } from './errors.js';
import { MAX_NAME_BYTES, badArrayLength, badField, collectionLength, enterWire, tooDeep } from './common.js';
import type { SkipFn, TypeSource } from './common.js';
import type { Reader } from './reader.js';
import { TypeId } from './wire.js';

export class Skippers {
  private readonly memo = new Map<number, SkipFn>();

  constructor(private readonly src: TypeSource) {}

  /** Forget compiled skippers (their wire types were rolled back). */
  clear(): void {
    this.memo.clear();
  }

  skipperFor(id: number, depth: number, busy: Set<number>): SkipFn {
    const hit = this.memo.get(id);
    if (hit !== undefined) return hit;
    const fn = this.compile(id, depth, busy);
    this.memo.set(id, fn);
    return fn;
  }

  private compile(id: number, depth: number, busy: Set<number>): SkipFn {
    tooDeep(depth);
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
    const w = enterWire(this.src, id, busy);
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
            const n = collectionLength(r, 1, w.kind);
            if (len >= 0 && n !== len) badArrayLength(n, len);
            for (let i = 0; i < n; i++) elem(r);
          };
        }
        case 'map': {
          const key = this.skipperFor(w.key, depth + 1, busy);
          const elem = this.skipperFor(w.elem, depth + 1, busy);
          return (r) => {
            const n = collectionLength(r, 2, 'map');
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
    this.src.typeSequence(true);
    const c = r.length(1);
    r.pos += c;
  }
}
