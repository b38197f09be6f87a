// Snappy framing format and block codec (snappy framing_format.txt).
export {
  compressBlock,
  decodedLength,
  decompressBlock,
  decompressBlockInto,
  maxEncodedLength,
} from './block.js';
export { crc32c, crc32cPortable, crc32cImplementation, maskedCrc32c } from './crc32c.js';
export { SnappyError, SnappyErrorCode } from './errors.js';
export type { SnappyErrorCodeValue } from './errors.js';
export {
  CHUNK_COMPRESSED,
  CHUNK_PADDING,
  CHUNK_STREAM_ID,
  CHUNK_UNCOMPRESSED,
  FrameReader,
  FrameWriter,
  MAX_BLOCK_SIZE,
  STREAM_IDENTIFIER,
  frame,
  unframe,
} from './framing.js';
