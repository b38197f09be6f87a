// Coded errors for the wire codecs. Callers and tests match on `code`, never on message text
// (docs/style.md). ProtocolError is the common base of gob, snappy and syncproto errors, so a
// connection can treat "the peer sent bad bytes" as one class.

export class ProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export const GobErrorCode = {
  /** A message ended before the value it holds was complete, or the stream ended mid-message. */
  Truncated: 'ERR_GOB_TRUNCATED',
  /** A message's length prefix is over the configured cap (checked before buffering). */
  MessageTooLarge: 'ERR_GOB_MESSAGE_TOO_LARGE',
  /** A value or a definition refers to a type id that was never defined on this stream. */
  UnknownType: 'ERR_GOB_UNKNOWN_TYPE',
  /** A malformed, recursive or too deeply nested type definition. */
  BadTypedef: 'ERR_GOB_BAD_TYPEDEF',
  /** A type id defined twice on one stream (Go: "duplicate type received"). */
  DuplicateType: 'ERR_GOB_DUPLICATE_TYPE',
  /** An interface value names a type that is not registered (Go: "name not registered for interface"). */
  UnregisteredName: 'ERR_GOB_UNREGISTERED_NAME',
  /** A string is not valid UTF-8. */
  InvalidUtf8: 'ERR_GOB_INVALID_UTF8',
  /** A uint whose byte-count prefix is over 8. */
  BadUint: 'ERR_GOB_BAD_UINT',
  /** A struct field number past the end of the wire struct's field list. */
  BadField: 'ERR_GOB_BAD_FIELD',
  /** The wire type cannot be decoded into (or encoded from) the local type. */
  TypeMismatch: 'ERR_GOB_TYPE_MISMATCH',
  /** A count or length larger than the bytes that remain in the message. */
  BadLength: 'ERR_GOB_BAD_LENGTH',
  /** A number out of range for the local field (e.g. 300 into a uint8). */
  Range: 'ERR_GOB_RANGE',
  /** Bytes left over after a top-level type definition (Go: "extra data in buffer"). */
  ExtraData: 'ERR_GOB_EXTRA_DATA',
  /** Structurally bad value bytes (non-zero singleton delta, bad GobEncoder payload ...). */
  BadValue: 'ERR_GOB_BAD_VALUE',
  /** An interface name longer than 1024 bytes (Go's limit). */
  NameTooLong: 'ERR_GOB_NAME_TOO_LONG',
  /** Too many type definitions on one stream. */
  TooManyTypes: 'ERR_GOB_TOO_MANY_TYPES',
  /** A struct type definition with more fields than the cap (MAX_STRUCT_FIELDS). */
  TooManyFields: 'ERR_GOB_TOO_MANY_FIELDS',
  /** A slice, array or map value with more elements than the cap (MAX_COLLECTION_ELEMENTS). */
  TooManyElements: 'ERR_GOB_TOO_MANY_ELEMENTS',
  /** The type definitions of one stream add up to more bytes than the cap (MAX_TYPEDEF_BYTES). */
  TypedefsTooLarge: 'ERR_GOB_TYPEDEFS_TOO_LARGE',
  /** The encoder was given a value that does not fit its declared Go type. */
  BadInput: 'ERR_GOB_BAD_INPUT',
  /** A layout this encoder does not produce (e.g. new type definitions inside nested interfaces). */
  Unsupported: 'ERR_GOB_UNSUPPORTED',
} as const;
export type GobErrorCodeValue = (typeof GobErrorCode)[keyof typeof GobErrorCode];

export class GobError extends ProtocolError {
  declare readonly code: GobErrorCodeValue;
  constructor(code: GobErrorCodeValue, message: string) {
    super(code, message);
    this.name = 'GobError';
  }
}
