// Message-layer error codes (the gob and snappy layers have their own: GobErrorCode, SnappyErrorCode).
export const SyncprotoErrorCode = {
  /** An Envelope whose Message is nil. */
  BadEnvelope: 'ERR_PROTO_BAD_ENVELOPE',
  /** An Envelope holding a registered type that is not one of the 8 messages (e.g. a string). */
  UnexpectedType: 'ERR_PROTO_UNEXPECTED_TYPE',
  /** SerializedUpdate.Revision holding something other than a scalar. */
  BadRevision: 'ERR_PROTO_BAD_REVISION',
  /** The encoder was handed something that is not a Msg. */
  BadMessage: 'ERR_PROTO_BAD_MESSAGE',
  /** restart() with a compression algorithm other than '' or 'snappy'. */
  BadCompression: 'ERR_PROTO_BAD_COMPRESSION',
  /** A non-protocol exception escaped the decoder (a bug); wrapped so callers see one error class. */
  Internal: 'ERR_PROTO_INTERNAL',
} as const;
