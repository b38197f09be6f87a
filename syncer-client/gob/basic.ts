// Decoders for gob's predefined types (encoding/gob/type.go ids 1-8, decode.go decOpTable),
// checked against the local type and range-checked into it.

import { mismatch } from './common.js';
import type { DecodeFn } from './common.js';
import { GobError, GobErrorCode } from './errors.js';
import type { GoType, InterfaceType } from './gotype.js';
import { TypeId } from './wire.js';

function rangeErr(v: number | bigint, what: string): never {
  throw new GobError(GobErrorCode.Range, `value ${v} out of range for ${what}`);
}

function intDecoder(id: number, g: GoType | undefined): DecodeFn {
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

function uintDecoder(id: number, g: GoType | undefined): DecodeFn {
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

/**
 * The decoder of predefined type `id` into `g` (generic when undefined). Interface values need
 * the stream's type table, so the caller supplies their decoder.
 */
export function compileBasic(
  id: number,
  g: GoType | undefined,
  iface: (local: InterfaceType | undefined) => DecodeFn,
): DecodeFn {
  switch (id) {
    case TypeId.Bool:
      if (g !== undefined && g.kind !== 'bool') mismatch(id, undefined, g);
      return (r) => r.uint() !== 0;
    case TypeId.Int:
      return intDecoder(id, g);
    case TypeId.Uint:
      return uintDecoder(id, g);
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
      return iface(g);
    default:
      throw new GobError(GobErrorCode.UnknownType, `type id ${id} is not a known predefined type`);
  }
}
