// Syncproto message layer (typha/pkg/syncproto/sync_proto.go): Msg values <-> wire bytes.
export * from './types.js';
export { StreamDecoder, StreamEncoder } from './stream.js';
export { SyncprotoErrorCode } from './errors.js';
export type { Compression, StreamDecoderOptions, StreamEncoderOptions } from './stream.js';
export {
  EnvelopeType,
  MessageTypes,
  REGISTERED_NAMES,
  SerializedUpdateType,
  syncprotoRegistry,
} from './schema.js';
export { ProtocolError, TypeIdAllocator } from '../gob/index.js';
export { GobError, GobErrorCode } from '../gob/index.js';
export { SnappyError, SnappyErrorCode } from '../snappy/index.js';
export { goTimeFromDate, goTimeToDate } from '../gob/index.js';
