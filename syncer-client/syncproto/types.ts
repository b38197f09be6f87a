// The syncproto message catalogue (typha/pkg/syncproto/sync_proto.go), as TypeScript values.
// The codec (./codec.ts, on top of ../gob) turns these into Go's gob layout and back.

/** Go's time.Time as carried by its GobEncoder (Go time.Time.MarshalBinary): full precision kept. */
export interface GoTime {
  /** Seconds since 0001-01-01 00:00:00 UTC (Go's internal epoch), as on the wire. */
  readonly sec: bigint;
  readonly nsec: number;
  /** Zone offset in minutes; -1 means UTC as Go writes it. */
  readonly offsetMinutes: number;
  /** Extra zone-offset seconds; present only when Go wrote a version-2 encoding (Go time.Time.MarshalBinary). */
  readonly offsetSeconds?: number;
}

export const REGISTERED_NAME_PREFIX = 'github.com/projectcalico/typha/pkg/syncproto.';

export interface SerializedUpdate {
  readonly key: string;
  /** null = delete (a nil Value is always a delete). */
  readonly value: Uint8Array | null;
  /** In practice always a Go string carried in an interface; "" when absent. */
  readonly revision: string;
  readonly v3ResourceVersion: string;
  /** time.Duration in nanoseconds; 0 in practice. */
  readonly ttl: bigint;
  /** api.UpdateType: 0 unknown, 1 new, 2 updated, 3 deleted. */
  readonly updateType: number;
}

export type Msg =
  | {
      readonly type: 'ClientHello';
      readonly hostname: string;
      readonly info: string;
      readonly version: string;
      readonly syncerType: string;
      readonly supportsDecoderRestart: boolean;
      readonly supportedCompressionAlgorithms: readonly string[];
      readonly supportsModernPolicyKeys: boolean;
      readonly clientConnID: bigint;
    }
  | {
      readonly type: 'ServerHello';
      readonly version: string;
      readonly syncerType: string;
      readonly supportsNodeResourceUpdates: boolean;
      readonly serverConnID: bigint;
    }
  | { readonly type: 'DecoderRestart'; readonly message: string; readonly compressionAlgorithm: string }
  | { readonly type: 'ACK' }
  /** api.SyncStatus: 0 wait-for-ready, 1 resync, 2 in-sync. */
  | { readonly type: 'SyncStatus'; readonly syncStatus: number }
  | { readonly type: 'Ping'; readonly timestamp: GoTime }
  | { readonly type: 'Pong'; readonly pingTimestamp: GoTime; readonly pongTimestamp: GoTime }
  | { readonly type: 'KVs'; readonly kvs: readonly SerializedUpdate[] };

export type MsgType = Msg['type'];
