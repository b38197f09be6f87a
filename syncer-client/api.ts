// The public contract of syncer-client/: what the agent receives from Typha.
// Everything downstream (agent/calc, agent/health) depends only on these types.

/** api.SyncStatus on the wire (typha/pkg/syncproto/sync_proto.go, Enums). */
export type SyncStatus = 'wait-for-ready' | 'resync' | 'in-sync';

/** api.UpdateType on the wire. */
export const enum UpdateType {
  Unknown = 0,
  New = 1,
  Updated = 2,
  Deleted = 3,
}

/**
 * One key/value from the felix syncer. `value === null` means "delete" (any nil Value is a
 * delete, whatever UpdateType says: typha/pkg/syncproto/sync_proto.go). `value` is the raw JSON text
 * (or a raw string for config keys); parsing it is the agent's job (agent/model).
 */
export interface KVUpdate {
  readonly key: string;
  readonly value: string | null;
  readonly revision: string;
  readonly updateType: UpdateType;
}

/** What the syncer client emits, in order. */
export type SyncerEvent =
  | { readonly kind: 'connecting'; readonly endpoint: string; readonly attempt: number }
  | { readonly kind: 'connected'; readonly endpoint: string; readonly serverVersion: string }
  | { readonly kind: 'disconnected'; readonly endpoint: string; readonly reason: string }
  | {
      readonly kind: 'batch';
      /** KV changes, already de-duplicated against the client's view of the datastore. */
      readonly updates: readonly KVUpdate[];
      /** Set when the sync status changed with (or after) this batch. */
      readonly status?: SyncStatus;
    };
