// Go encoding/gob codec (Go's encoding/gob: encoder.go, decoder.go, type.go).
export { ByteQueue } from './bytequeue.js';
export type { QueueMark } from './bytequeue.js';
export { GobDecoder, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_TYPEDEF_BYTES } from './decoder.js';
export type { DecodedValue, GobDecoderOptions } from './decoder.js';
export { GobEncoder, TypeIdAllocator } from './encoder.js';
export type { GobEncoderOptions } from './encoder.js';
export { GobError, GobErrorCode, ProtocolError } from './errors.js';
export type { GobErrorCodeValue } from './errors.js';
export * as T from './gotype.js';
export type {
  ArrayType,
  ExternalCodec,
  ExternalType,
  GoInterfaceValue,
  GoType,
  InterfaceType,
  MapType,
  SliceType,
  StructField,
  StructType,
} from './gotype.js';
export { Reader } from './reader.js';
export { TypeRegistry } from './registry.js';
export { goTime, goTimeCodec, goTimeFromDate, goTimeToDate, UNIX_TO_INTERNAL, ZERO_TIME } from './time.js';
export type { GoTimeValue } from './time.js';
export { FIRST_USER_ID, MAX_STRUCT_FIELDS, TypeId, readWireType, writeWireType } from './wire.js';
export type { WireField, WireType } from './wire.js';
export { ByteWriter } from './writer.js';
