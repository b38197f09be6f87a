// Go time.Time values for MsgPing (Go time.Time.MarshalBinary): seconds since 0001-01-01 UTC.
import { UNIX_TO_INTERNAL } from '../../syncer-client/gob/index.js';
import type { GoTime } from '../../syncer-client/syncproto/types.js';

/** Seconds between 0001-01-01T00:00:00Z and the Unix epoch (the gob codec's constant). */
export const GO_UNIX_OFFSET_SECONDS = UNIX_TO_INTERNAL;

export function goTimeFromMs(ms: number): GoTime {
  const secs = Math.floor(ms / 1000);
  return {
    sec: BigInt(secs) + GO_UNIX_OFFSET_SECONDS,
    nsec: Math.round((ms - secs * 1000) * 1e6),
    offsetMinutes: -1,
  };
}

export function msFromGoTime(t: GoTime): number {
  return Number(t.sec - GO_UNIX_OFFSET_SECONDS) * 1000 + Math.floor(t.nsec / 1e6);
}
