// Wire type definitions (encoding/gob/type.go, wireType): what a sender says its types look like.
// Parsed from, and written as, Go's `wireType` struct with its fixed predefined layout.

import { GobError, GobErrorCode } from './errors.js';
import type { Reader } from './reader.js';
import type { ByteWriter } from './writer.js';

/** Predefined type ids (encoding/gob/type.go). */
export const TypeId = {
  Bool: 1,
  Int: 2,
  Uint: 3,
  Float: 4,
  Bytes: 5,
  String: 6,
  Complex: 7,
  Interface: 8,
} as const;

/** Go's firstUserId: user-defined type ids start here. */
export const FIRST_USER_ID = 64;

/**
 * Cap on the fields of one struct type definition. Go's gob has none, but every struct Typha sends
 * is a syncproto message (typha/pkg/syncproto/sync_proto.go: Envelope, MsgClientHello with 9
 * fields the largest, SerializedUpdate 6); Calico resources travel JSON-encoded inside
 * SerializedUpdate.Value, never as gob structs. 1024 leaves two orders of magnitude of headroom
 * while bounding the work one definition can cause (one generated case per field).
 */
export const MAX_STRUCT_FIELDS = 1024;

export type WireType =
  | { readonly kind: 'array'; readonly name: string; readonly elem: number; readonly len: number }
  | { readonly kind: 'slice'; readonly name: string; readonly elem: number }
  | { readonly kind: 'struct'; readonly name: string; readonly fields: readonly WireField[] }
  | { readonly kind: 'map'; readonly name: string; readonly key: number; readonly elem: number }
  | { readonly kind: 'external'; readonly name: string; readonly via: 'gob' | 'binary' | 'text' };

export interface WireField {
  readonly name: string;
  readonly id: number;
}

const BASIC_NAMES: Record<number, string> = {
  1: 'bool',
  2: 'int',
  3: 'uint',
  4: 'float',
  5: '[]byte',
  6: 'string',
  7: 'complex',
  8: 'interface',
};

export function describeWire(id: number, w: WireType | undefined): string {
  if (w === undefined) return BASIC_NAMES[id] ?? `type ${id}`;
  return `${w.kind} ${w.name || '(unnamed)'} (id ${id})`;
}

function badDef(msg: string): never {
  throw new GobError(GobErrorCode.BadTypedef, msg);
}

/** Reads one struct (field deltas), handing each field number to `field`. */
function readStruct(r: Reader, nFields: number, field: (n: number) => void): void {
  let f = -1;
  for (;;) {
    const d = r.uint();
    if (d === 0) return;
    f += d;
    if (f >= nFields) badDef(`field number ${f} out of range in a type definition`);
    field(f);
  }
}

function typeIdValue(r: Reader): number {
  const id = r.int();
  if (id <= 0 || id > 0x7fffffff) badDef(`bad type id ${id} in a type definition`);
  return id;
}

function readCommon(r: Reader): { name: string; id: number } {
  let name = '';
  let id = 0;
  readStruct(r, 2, (f) => {
    if (f === 0) name = r.string();
    else id = r.int();
  });
  return { name, id };
}

/**
 * Parses a `wireType` value (encoding/gob/type.go). Exactly one of its fields must be set. A
 * struct with more than `maxFields` fields is refused from its count, before any field is read.
 */
export function readWireType(r: Reader, maxFields: number = MAX_STRUCT_FIELDS): WireType {
  let out: WireType | undefined;
  readStruct(r, 7, (f) => {
    if (out !== undefined) badDef('type definition sets more than one kind');
    switch (f) {
      case 0: {
        let c = { name: '', id: 0 };
        let elem = 0;
        let len = 0;
        readStruct(r, 3, (g) => {
          if (g === 0) c = readCommon(r);
          else if (g === 1) elem = typeIdValue(r);
          else len = r.int();
        });
        if (elem === 0) badDef('array type without an element type');
        if (len < 0 || len > 0x7fffffff) badDef(`bad array length ${len}`);
        out = { kind: 'array', name: c.name, elem, len };
        break;
      }
      case 1: {
        let c = { name: '', id: 0 };
        let elem = 0;
        readStruct(r, 2, (g) => {
          if (g === 0) c = readCommon(r);
          else elem = typeIdValue(r);
        });
        if (elem === 0) badDef('slice type without an element type');
        out = { kind: 'slice', name: c.name, elem };
        break;
      }
      case 2: {
        let c = { name: '', id: 0 };
        const fields: WireField[] = [];
        readStruct(r, 2, (g) => {
          if (g === 0) {
            c = readCommon(r);
            return;
          }
          // Field []*fieldType: a count, then each element in full (at least 1 byte each).
          const n = r.length(1);
          if (n > maxFields) {
            throw new GobError(
              GobErrorCode.TooManyFields,
              `struct ${JSON.stringify(c.name)} defines ${n} fields (cap ${maxFields})`,
            );
          }
          for (let i = 0; i < n; i++) {
            let name = '';
            let id = 0;
            readStruct(r, 2, (h) => {
              if (h === 0) name = r.string();
              else id = typeIdValue(r);
            });
            if (id === 0) badDef(`struct field ${JSON.stringify(name)} without a type`);
            fields.push({ name, id });
          }
        });
        out = { kind: 'struct', name: c.name, fields };
        break;
      }
      case 3: {
        let c = { name: '', id: 0 };
        let key = 0;
        let elem = 0;
        readStruct(r, 3, (g) => {
          if (g === 0) c = readCommon(r);
          else if (g === 1) key = typeIdValue(r);
          else elem = typeIdValue(r);
        });
        if (key === 0 || elem === 0) badDef('map type without key or element type');
        out = { kind: 'map', name: c.name, key, elem };
        break;
      }
      default: {
        let c = { name: '', id: 0 };
        readStruct(r, 1, () => {
          c = readCommon(r);
        });
        out = { kind: 'external', name: c.name, via: f === 4 ? 'gob' : f === 5 ? 'binary' : 'text' };
      }
    }
  });
  if (out === undefined) badDef('empty type definition');
  return out;
}

/** A `{ Name string; Id typeId }` struct: CommonType and fieldType share this layout. */
function writeNamedId(w: ByteWriter, name: string, id: number): void {
  if (name !== '') {
    w.uint(1);
    w.string(name);
    w.uint(1);
  } else {
    w.uint(2);
  }
  w.int(id);
  w.uint(0);
}

function writeCommon(w: ByteWriter, name: string, id: number): void {
  w.uint(1); // field 0 of the outer type: CommonType
  writeNamedId(w, name, id);
}

/** Writes a `wireType` value exactly as Go's encoder does (verified by test/protocol/spec-vectors.ts). */
export function writeWireType(w: ByteWriter, id: number, t: WireType): void {
  switch (t.kind) {
    case 'array':
      w.uint(1); // field 0: ArrayT
      writeCommon(w, t.name, id);
      w.uint(1);
      w.int(t.elem);
      if (t.len !== 0) {
        w.uint(1);
        w.int(t.len);
      }
      w.uint(0);
      break;
    case 'slice':
      w.uint(2); // field 1: SliceT
      writeCommon(w, t.name, id);
      w.uint(1);
      w.int(t.elem);
      w.uint(0);
      break;
    case 'struct':
      w.uint(3); // field 2: StructT
      writeCommon(w, t.name, id);
      if (t.fields.length > 0) {
        w.uint(1);
        w.uint(t.fields.length);
        for (const f of t.fields) writeNamedId(w, f.name, f.id);
      }
      w.uint(0);
      break;
    case 'map':
      w.uint(4); // field 3: MapT
      writeCommon(w, t.name, id);
      w.uint(1);
      w.int(t.key);
      w.uint(1);
      w.int(t.elem);
      w.uint(0);
      break;
    case 'external':
      w.uint(t.via === 'gob' ? 5 : t.via === 'binary' ? 6 : 7); // fields 4/5/6
      writeCommon(w, t.name, id);
      w.uint(0);
      break;
  }
  w.uint(0);
}
