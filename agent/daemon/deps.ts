// What the main loop needs from its collaborators, as narrow interfaces, so that the loop can be
// tested with fakes and so the real classes (syncer-client, agent/calc, rules/driver) plug in.
import type { KVUpdate, SyncStatus, SyncerEvent } from '../../syncer-client/api.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import type { FelixConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { CalcCounts, DataplaneCounts } from '../metrics/index.js';

export interface SyncerLike {
  onEvent(listener: (ev: SyncerEvent) => void): () => void;
  start(): void;
  stop(): Promise<void>;
  /** Resolves when the client ends; an error value means it gave up. */
  readonly finished: Promise<unknown>;
  /** Keys in the client's view of the datastore (snapshot size). */
  readonly knownKeys?: number;
}

export interface CalcLike {
  onUpdates(kvs: readonly KVUpdate[]): void;
  onStatus(status: SyncStatus): void;
  flush(): ToDataplane[];
  stats?(): CalcCounts;
  /** For `felix-ts inspect endpoint`: JSON-able description, or null when unknown. */
  describeEndpoint?(nameOrIface: string): unknown;
}

export interface ApplyInfo {
  readonly durationMs: number;
}

export interface DriverLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  onMessages(msgs: readonly ToDataplane[]): void;
  on(ev: 'apply' | 'first-apply', l: (e: ApplyInfo) => void): unknown;
  on(ev: 'apply-error', l: (e: { readonly error: Error & { readonly code?: string } }) => void): unknown;
  /** Metric counts at scrape time. */
  counts?(): DataplaneCounts;
  /** For `felix-ts inspect chains`: JSON-able description. */
  describeChains?(): unknown;
  /** Last restore input per table (the demo prints it in dry-run mode). */
  lastRestoreInputs?(): ReadonlyMap<string, string>;
}

/** Factories; the real ones are in ./real-deps.ts. */
export interface DaemonDeps {
  makeSyncer(cfg: FelixConfig, logger: Logger): SyncerLike;
  makeCalc(cfg: FelixConfig, logger: Logger): CalcLike;
  /** Called once, at the first in-sync, with the config merged with the datastore's. */
  makeDriver(cfg: FelixConfig, logger: Logger): DriverLike;
}
