// Interface name registry: Go's gob.Register/RegisterName (encoding/gob/type.go).
// An interface value on the wire carries a name; the receiver must know which local type it
// means, or decoding fails like Go's "name not registered for interface".

import * as T from './gotype.js';
import type { GoType } from './gotype.js';

export class TypeRegistry {
  private readonly byName = new Map<string, GoType>();

  /** Go's gob.RegisterName. Re-registering a name with a different type is a programming error. */
  register(name: string, type: GoType): this {
    const prev = this.byName.get(name);
    if (prev !== undefined && prev !== type)
      throw new Error(`gob: name ${JSON.stringify(name)} registered twice`);
    this.byName.set(name, type);
    return this;
  }

  lookup(name: string): GoType | undefined {
    return this.byName.get(name);
  }

  /** A copy that can be extended without touching this one. */
  clone(): TypeRegistry {
    const r = new TypeRegistry();
    for (const [k, v] of this.byName) r.byName.set(k, v);
    return r;
  }

  /** Go pre-registers its basic types under their Go names (encoding/gob registerBasics). */
  static withBasics(): TypeRegistry {
    const r = new TypeRegistry();
    const basics: [string, GoType][] = [
      ['int', T.int],
      ['int8', T.int8],
      ['int16', T.int16],
      ['int32', T.int32],
      ['int64', T.int64],
      ['uint', T.uint],
      ['uint8', T.uint8],
      ['uint16', T.uint16],
      ['uint32', T.uint32],
      ['uint64', T.uint64],
      ['float32', T.float64],
      ['float64', T.float64],
      ['complex64', T.complex128],
      ['complex128', T.complex128],
      ['bool', T.bool],
      ['string', T.string],
      ['[]uint8', T.bytes],
      ['[]int', T.sliceOf(T.int, '[]int')],
      ['[]int64', T.sliceOf(T.int64, '[]int64')],
      ['[]uint64', T.sliceOf(T.uint64, '[]uint64')],
      ['[]float64', T.sliceOf(T.float64, '[]float64')],
      ['[]bool', T.sliceOf(T.bool, '[]bool')],
      ['[]string', T.sliceOf(T.string, '[]string')],
    ];
    for (const [n, t] of basics) r.register(n, t);
    return r;
  }
}
