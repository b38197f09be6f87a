// Local ("receiver side") descriptions of Go types. The decoder matches a stream's wire types
// against these, like Go matches wire types against reflect types (encoding/gob/decode.go, compatibleType);
// the encoder derives Go's wire definitions from them (encoding/gob/type.go).

/** An interface value: the registered name and the concrete value. */
export interface GoInterfaceValue {
  readonly name: string;
  readonly value: unknown;
}

/** How an external (GobEncoder / BinaryMarshaler / TextMarshaler) type turns into bytes and back. */
export interface ExternalCodec<T> {
  decode(bytes: Uint8Array): T;
  encode(value: T): Uint8Array;
  isZero(value: T): boolean;
  zero(): T;
}

export type IntBits = 8 | 16 | 32 | 64;

export type GoType =
  | BoolType
  | IntType
  | UintType
  | FloatType
  | ComplexType
  | StringType
  | BytesType
  | InterfaceType
  | SliceType
  | ArrayType
  | MapType
  | StructType
  | ExternalType;

export interface BoolType {
  readonly kind: 'bool';
}
/** Signed integer. `big` → bigint values, otherwise numbers (must stay within ±2^53). */
export interface IntType {
  readonly kind: 'int';
  readonly bits: IntBits;
  readonly big?: boolean;
}
export interface UintType {
  readonly kind: 'uint';
  readonly bits: IntBits;
  readonly big?: boolean;
}
export interface FloatType {
  readonly kind: 'float';
}
/** complex64/128 as [re, im]. */
export interface ComplexType {
  readonly kind: 'complex';
}
export interface StringType {
  readonly kind: 'string';
}
/** []byte: decodes to a Uint8Array view (no copy); zero value null. */
export interface BytesType {
  readonly kind: 'bytes';
}
export interface InterfaceType {
  readonly kind: 'interface';
  /** Turn the decoded interface into the local representation (default: GoInterfaceValue | null). */
  readonly fromGo?: (name: string | null, value: unknown) => unknown;
  /** The reverse, for the encoder (default: the value must already be GoInterfaceValue | null). */
  readonly toGo?: (value: unknown) => GoInterfaceValue | null;
  /** The zero value of the local representation (default null). */
  readonly zero?: unknown;
}
export interface SliceType {
  readonly kind: 'slice';
  /** The name Go puts in the wire definition, e.g. "[]syncproto.CompressionAlgorithm" (informational). */
  readonly name: string;
  readonly elem: GoType;
}
export interface ArrayType {
  readonly kind: 'array';
  readonly name: string;
  readonly elem: GoType;
  readonly len: number;
}
export interface MapType {
  readonly kind: 'map';
  readonly name: string;
  readonly key: GoType;
  readonly elem: GoType;
}
export interface StructField {
  /** Go field name: this is what the wire matches on. */
  readonly name: string;
  /** JS property holding the field. */
  readonly prop: string;
  readonly type: GoType;
}
export interface StructType {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: readonly StructField[];
  /** A fresh object with every field at its zero value (plus any constant tags such as `type`). */
  readonly create: () => Record<string, unknown>;
}
export interface ExternalType {
  readonly kind: 'external';
  readonly name: string;
  /** Which marshaling interface the Go type uses; the wire definition must say the same. */
  readonly via: 'gob' | 'binary' | 'text';
  readonly codec: ExternalCodec<unknown>;
}

// Constructors, so schemas read like Go declarations.
export const bool: BoolType = { kind: 'bool' };
export const int: IntType = { kind: 'int', bits: 64 };
export const int8: IntType = { kind: 'int', bits: 8 };
export const int16: IntType = { kind: 'int', bits: 16 };
export const int32: IntType = { kind: 'int', bits: 32 };
export const int64: IntType = { kind: 'int', bits: 64, big: true };
export const uint: UintType = { kind: 'uint', bits: 64 };
export const uint8: UintType = { kind: 'uint', bits: 8 };
export const uint16: UintType = { kind: 'uint', bits: 16 };
export const uint32: UintType = { kind: 'uint', bits: 32 };
export const uint64: UintType = { kind: 'uint', bits: 64, big: true };
export const float64: FloatType = { kind: 'float' };
export const complex128: ComplexType = { kind: 'complex' };
export const string: StringType = { kind: 'string' };
export const bytes: BytesType = { kind: 'bytes' };
export const iface: InterfaceType = { kind: 'interface' };

export function sliceOf(elem: GoType, name: string): SliceType {
  return { kind: 'slice', name, elem };
}
export function arrayOf(elem: GoType, len: number, name: string): ArrayType {
  return { kind: 'array', name, elem, len };
}
export function mapOf(key: GoType, elem: GoType, name: string): MapType {
  return { kind: 'map', name, key, elem };
}

/**
 * A struct whose JS object has one property per field at its zero value, plus `tags` first
 * (e.g. `{ type: 'KVs' }` for a discriminated union). Every object shares one shape, which
 * keeps property access in the decoder monomorphic.
 */
export function struct(
  name: string,
  fields: readonly StructField[],
  tags: Readonly<Record<string, unknown>> = {},
): StructType {
  // The factory is generated as one object literal so every decoded object gets the same
  // shape in one step (property keys come from our own schema, never from the wire).
  const keys = [...Object.keys(tags), ...fields.map((f) => f.prop)];
  const vals = [...Object.values(tags), ...fields.map((f) => zeroValue(f.type))];
  const body = keys
    .map((k, i) => `${JSON.stringify(k)}: ${typeof vals[i] === 'function' ? `v[${i}]()` : `v[${i}]`}`)
    .join(', ');
  const create = new Function('v', `return function create() { return { ${body} }; };`)(vals) as () => Record<
    string,
    unknown
  >;
  return { kind: 'struct', name, fields, create };
}

export function field(name: string, type: GoType, prop?: string): StructField {
  return { name, prop: prop ?? name, type };
}

/**
 * The zero value of a local type. Mutable containers come back as factories (functions) so
 * that objects never share them.
 */
export function zeroValue(t: GoType): unknown {
  switch (t.kind) {
    case 'bool':
      return false;
    case 'int':
    case 'uint':
      return t.big ? 0n : 0;
    case 'float':
      return 0;
    case 'complex':
      return () => [0, 0];
    case 'string':
      return '';
    case 'bytes':
      return null;
    case 'interface':
      return t.zero ?? null;
    case 'slice':
      return () => [];
    case 'array':
      return () => {
        const a: unknown[] = [];
        const z = zeroValue(t.elem);
        for (let i = 0; i < t.len; i++) a.push(typeof z === 'function' ? (z as () => unknown)() : z);
        return a;
      };
    case 'map':
      return null;
    case 'struct':
      return () => t.create();
    case 'external':
      return () => t.codec.zero();
  }
}
