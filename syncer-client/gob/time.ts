// time.Time as Go's GobEncoder writes it (time/time.go, MarshalBinary): the MarshalBinary bytes.
// Kept field by field so a Pong can echo a Ping's timestamp exactly.

import { GobError, GobErrorCode } from './errors.js';
import type { ExternalCodec, ExternalType } from './gotype.js';

export interface GoTimeValue {
  /** Seconds since 0001-01-01T00:00:00Z. */
  readonly sec: bigint;
  readonly nsec: number;
  /** Zone offset in minutes; -1 = UTC. */
  readonly offsetMinutes: number;
  /**
   * Extra zone-offset seconds: only for version-2 encodings. Kept as the signed byte Go writes;
   * note Go 1.19's UnmarshalBinary reads that byte unsigned, so Go mangles negative values.
   */
  readonly offsetSeconds?: number;
}

/** Seconds between 0001-01-01 and 1970-01-01. */
export const UNIX_TO_INTERNAL = 62135596800n;

export const ZERO_TIME: GoTimeValue = Object.freeze({ sec: 0n, nsec: 0, offsetMinutes: -1 });

function badTime(msg: string): never {
  throw new GobError(GobErrorCode.BadValue, `time.Time: ${msg}`);
}

export const goTimeCodec: ExternalCodec<GoTimeValue> = {
  decode(b: Uint8Array): GoTimeValue {
    if (b.length === 0) badTime('no data');
    const version = b[0];
    if (version !== 1 && version !== 2) badTime(`unsupported version ${version}`);
    if (b.length !== (version === 1 ? 15 : 16)) badTime(`invalid length ${b.length}`);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const sec = dv.getBigInt64(1, false);
    const nsec = dv.getInt32(9, false);
    const offsetMinutes = dv.getInt16(13, false);
    if (version === 2) return { sec, nsec, offsetMinutes, offsetSeconds: dv.getInt8(15) };
    return { sec, nsec, offsetMinutes };
  },
  encode(t: GoTimeValue): Uint8Array {
    if (typeof t !== 'object' || t === null || typeof t.sec !== 'bigint') {
      throw new GobError(GobErrorCode.BadInput, 'time.Time: expected { sec: bigint, nsec, offsetMinutes }');
    }
    const v2 = t.offsetSeconds !== undefined;
    const b = new Uint8Array(v2 ? 16 : 15);
    const dv = new DataView(b.buffer);
    b[0] = v2 ? 2 : 1;
    dv.setBigInt64(1, t.sec, false);
    dv.setInt32(9, t.nsec, false);
    dv.setInt16(13, t.offsetMinutes, false);
    if (v2) dv.setInt8(15, t.offsetSeconds!);
    return b;
  },
  isZero(t: GoTimeValue): boolean {
    return t.sec === 0n && t.nsec === 0 && t.offsetMinutes === -1 && t.offsetSeconds === undefined;
  },
  zero(): GoTimeValue {
    return ZERO_TIME;
  },
};

/** Go's time.Time: a GobEncoder named "Time". */
export const goTime: ExternalType = {
  kind: 'external',
  name: 'Time',
  via: 'gob',
  codec: goTimeCodec as ExternalCodec<unknown>,
};

/** Converts a JS Date (millisecond precision) to a UTC time.Time value. */
export function goTimeFromDate(d: Date): GoTimeValue {
  const ms = BigInt(d.getTime());
  let s = ms / 1000n;
  let rem = ms % 1000n;
  if (rem < 0n) {
    rem += 1000n;
    s -= 1n;
  }
  return { sec: s + UNIX_TO_INTERNAL, nsec: Number(rem) * 1_000_000, offsetMinutes: -1 };
}

export function goTimeToDate(t: GoTimeValue): Date {
  return new Date(Number((t.sec - UNIX_TO_INTERNAL) * 1000n) + Math.floor(t.nsec / 1_000_000));
}
