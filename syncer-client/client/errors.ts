// Error classes of the syncer client. Callers and tests match on `code`, never on message text.
import type { Diagnosis } from './diagnosis.js';

export type SyncerErrorCode =
  | 'ERR_TYPHA_CONFIG' // invalid or incomplete options (e.g. TLS half configured): fatal at start
  | 'ERR_TYPHA_ADDR' // a TyphaAddr entry is not host:port
  | 'ERR_TYPHA_DISCOVERY' // Kubernetes EndpointSlice discovery failed or found nothing
  | 'ERR_TYPHA_DIAL' // TCP connect / TLS handshake failed or timed out
  | 'ERR_TYPHA_TLS_IDENTITY' // server chain ok but CN / URI SAN did not match
  | 'ERR_TYPHA_HANDSHAKE' // bad or missing ServerHello
  | 'ERR_TYPHA_PROTOCOL' // unexpected message or undecodable stream
  | 'ERR_TYPHA_READ_TIMEOUT' // no message for TyphaReadTimeout
  | 'ERR_TYPHA_WRITE_TIMEOUT' // a write did not drain within TyphaWriteTimeout
  | 'ERR_TYPHA_CLOSED' // the server closed the connection
  | 'ERR_TYPHA_STOPPED'; // the client was stopped locally

export class SyncerClientError extends Error {
  override readonly name = 'SyncerClientError';
  /** What went wrong, classified (diagnosis.ts): set on connection failures, shared with `felix-ts diagnose`. */
  readonly diagnosis: Diagnosis | undefined;
  constructor(
    readonly code: SyncerErrorCode,
    message: string,
    options?: { cause?: unknown; diagnosis?: Diagnosis },
  ) {
    super(message, options);
    this.diagnosis = options?.diagnosis;
  }
}

/** A short human-readable reason for logs and `disconnected` events. */
export function describeError(err: unknown): string {
  if (err instanceof SyncerClientError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
