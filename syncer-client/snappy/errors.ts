// Coded errors for the snappy framing format (snappy framing_format.txt).
import { ProtocolError } from '../gob/errors.js';

export const SnappyErrorCode = {
  /** The first chunk of a stream is not the stream identifier. */
  MissingStreamId: 'ERR_SNAPPY_MISSING_STREAM_ID',
  /** A stream identifier chunk whose body is not "sNaPpY". */
  BadStreamId: 'ERR_SNAPPY_BAD_STREAM_ID',
  /** A reserved unskippable chunk type (0x02-0x7f). */
  UnskippableChunk: 'ERR_SNAPPY_UNSKIPPABLE_CHUNK',
  /** A data chunk longer than the format allows (checked before buffering). */
  ChunkTooLarge: 'ERR_SNAPPY_CHUNK_TOO_LARGE',
  /** The masked CRC-32C of a chunk's data does not match. */
  CrcMismatch: 'ERR_SNAPPY_CRC_MISMATCH',
  /** A malformed compressed block. */
  Corrupt: 'ERR_SNAPPY_CORRUPT',
  /** The stream ended inside a chunk. */
  Truncated: 'ERR_SNAPPY_TRUNCATED',
} as const;
export type SnappyErrorCodeValue = (typeof SnappyErrorCode)[keyof typeof SnappyErrorCode];

export class SnappyError extends ProtocolError {
  declare readonly code: SnappyErrorCodeValue;
  constructor(code: SnappyErrorCodeValue, message: string) {
    super(code, message);
    this.name = 'SnappyError';
  }
}
