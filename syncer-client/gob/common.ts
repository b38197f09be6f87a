// What the gob decoder's compiler modules share: the compiled-function types, the view of the
// stream's type table they compile from, and the limits and errors of Go's decoder
// (encoding/gob/decode.go, decoder.go).

import { GobError, GobErrorCode } from './errors.js';
import type { GoType } from './gotype.js';
import type { Reader } from './reader.js';
import { describeWire } from './wire.js';
import type { WireType } from './wire.js';

export type DecodeFn = (r: Reader) => unknown;
export type SkipFn = (r: Reader) => void;

/** Go's limit on interface names (encoding/gob/decode.go, decodeInterface). */
export const MAX_NAME_BYTES = 1024;
export const MAX_TYPE_DEPTH = 64;
export const MAX_VALUE_DEPTH = 64;

/** Decode into plain JS values (no local type given). */
export const GENERIC = { kind: 'generic' } as const;
export type LocalKey = GoType | typeof GENERIC;

/** The stream a compiler works for: its wire types so far and its type-sequence grammar. */
export interface TypeSource {
  wireType(id: number): WireType | undefined;
  /** Go's decodeTypeSequence inside an interface value: definitions, then the concrete type id. */
  typeSequence(isInterface: true): number;
}

/** The wire definition of a user type, marked busy (the caller unmarks it when compiled). */
export function enterWire(src: TypeSource, id: number, busy: Set<number>): WireType {
  const w = src.wireType(id);
  if (w === undefined) throw new GobError(GobErrorCode.UnknownType, `type id ${id} was never defined`);
  if (busy.has(id)) throw new GobError(GobErrorCode.BadTypedef, `recursive type definition (id ${id})`);
  busy.add(id);
  return w;
}

export function tooDeep(depth: number): void {
  if (depth > MAX_TYPE_DEPTH) throw new GobError(GobErrorCode.BadTypedef, 'type nesting too deep');
}

export function mismatch(wireId: number, w: WireType | undefined, local: GoType): never {
  const l = 'name' in local ? `${local.kind} ${local.name}` : local.kind;
  throw new GobError(
    GobErrorCode.TypeMismatch,
    `cannot decode wire ${describeWire(wireId, w)} into local ${l}`,
  );
}

export function badField(f: number, n: number): never {
  throw new GobError(GobErrorCode.BadField, `field number ${f} out of range (struct has ${n} fields)`);
}

/**
 * The most elements one slice, array or map value may hold. Typha's messages carry at most
 * ServerMaxMessageSize KVs (default 100; its snapshot batches are of the same order), so 100,000
 * is far above anything legitimate, and it bounds how long one message's decode holds the event
 * loop: a 64 MiB message of a million tiny KVs would hold it for seconds. Byte strings ([]byte,
 * string) are not collections here and keep the 64 MiB message cap only.
 */
export const MAX_COLLECTION_ELEMENTS = 100_000;

/** A collection's element count (at least `minBytes` bytes each), refused above the cap. */
export function collectionLength(r: Reader, minBytes: number, kind: string): number {
  const n = r.length(minBytes);
  if (n > MAX_COLLECTION_ELEMENTS) {
    throw new GobError(
      GobErrorCode.TooManyElements,
      `${kind} of ${n} elements (cap ${MAX_COLLECTION_ELEMENTS})`,
    );
  }
  return n;
}

export function badArrayLength(n: number, len: number): never {
  throw new GobError(GobErrorCode.BadValue, `array of ${n} elements, type says ${len}`);
}

export function nonZeroSingletonDelta(): never {
  throw new GobError(GobErrorCode.BadValue, 'non-zero delta before a singleton value');
}
