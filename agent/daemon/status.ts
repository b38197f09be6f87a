// Facts about the running daemon, for the JSON health body, metrics and `felix-ts status`.
import type { SyncStatus } from '../../syncer-client/api.js';
import type { CpuBeforeRestore } from '../../rules/driver/index.js';

export interface DaemonStatus {
  typha: {
    endpoint: string;
    connected: boolean;
    /** Successful connections after the first. */
    reconnects: number;
    connectAttempts: number;
    lastDisconnectReason: string;
    /** Clock time of the last batch from Typha (0 = none). */
    lastUpdateMs: number;
    snapshotSize: number;
    serverVersion: string;
  };
  syncStatus: SyncStatus | 'not-connected';
  inSyncOnce: boolean;
  dataplane: {
    started: boolean;
    firstApplyDone: boolean;
    applies: number;
    lastApplyMs: number;
    lastApplyDurationMs: number;
    /**
     * The agent's CPU (ms) from taking the first batch the last apply covered to that apply's first
     * restore, and to its first iptables restore (`tables`): all threads, and the main thread alone.
     * null when the apply ran no restore.
     */
    lastApplyCpuBeforeRestore: CpuBeforeRestore | null;
    lastApplyError: string;
    lastApplyFailed: boolean;
    /** What the kernel refused in the last apply ('' = nothing), e.g. "ipv4 filter chain cali-x". */
    refused: string;
    /** Why Calico rules in the iptables backend not in use could not be removed ('' = none left). */
    otherBackend: string;
  };
  startedMs: number;
  /** ms from start to the first Typha connection. */
  timeToTyphaMs: number;
  /** ms from start to the first in-sync from Typha (before the calc's flush of it). */
  timeToInSyncMs: number;
  timeToFirstApplyMs: number;
  kvsProcessed: number;
  messagesToDataplane: number;
  /** What in use felix-ts does not enforce, found when the dataplane started (compiler-config.ts). */
  unsupported: { readonly feature: string; readonly detail: string }[];
  /** In-use datastore features felix-ts does not enforce, with how many KVs use each (calc). */
  unsupportedInUse: readonly { readonly feature: string; readonly detail: string; readonly uses: number }[];
}

export function newStatus(nowMs: number): DaemonStatus {
  return {
    typha: {
      endpoint: '',
      connected: false,
      reconnects: 0,
      connectAttempts: 0,
      lastDisconnectReason: '',
      lastUpdateMs: 0,
      snapshotSize: 0,
      serverVersion: '',
    },
    syncStatus: 'not-connected',
    inSyncOnce: false,
    dataplane: {
      started: false,
      firstApplyDone: false,
      applies: 0,
      lastApplyMs: 0,
      lastApplyDurationMs: 0,
      lastApplyCpuBeforeRestore: null,
      lastApplyError: '',
      lastApplyFailed: false,
      refused: '',
      otherBackend: '',
    },
    startedMs: nowMs,
    timeToTyphaMs: -1,
    timeToInSyncMs: -1,
    timeToFirstApplyMs: -1,
    kvsProcessed: 0,
    messagesToDataplane: 0,
    unsupported: [],
    unsupportedInUse: [],
  };
}
