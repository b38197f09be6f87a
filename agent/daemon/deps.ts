// What the main loop needs from its collaborators. The real classes satisfy these interfaces as
// they are (structural typing, no adapters): SyncerClient (syncer-client/client), CalcGraph
// (agent/calc) and DataplaneDriver (rules/driver). Tests plug in fakes.
import type { KVUpdate, SyncStatus, SyncerEvent } from '../../syncer-client/api.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import type { Key } from '../model/index.js';
import type { DesiredState } from '../../rules/model.js';
import type { CpuBeforeRestore, CpuClock } from '../../rules/driver/index.js';
import type { CompilerConfig, DataplaneState } from '../../rules/compiler/index.js';
import type { OverlayFacts } from '../calc/index.js';
import type { FelixConfig, ParamName, SourceKind } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { CalcCounts, CountedDriver, LineCounts } from '../metrics/index.js';

/** SyncerClient. */
export interface SyncerLike {
  onEvent(listener: (ev: SyncerEvent) => void): () => void;
  start(): void;
  stop(): Promise<void>;
  /** Resolves when the client ends; an error value means it gave up. */
  readonly finished: Promise<unknown>;
  /** Keys in the client's view of the datastore (snapshot size). */
  readonly knownKeys: number;
  /** Flow control: stop and restart reading from Typha (optional: test syncers). */
  pause?(): void;
  resume?(): void;
}

/** CalcGraph. */
export interface CalcLike {
  /** `keys`: parseKey of each update's key, when the caller has them (parsed once per update). */
  onUpdates(kvs: readonly KVUpdate[], keys?: readonly (Key | null)[]): void;
  onStatus(status: SyncStatus): void;
  flush(): ToDataplane[];
  stats(): CalcCounts;
  /** For `felix-ts inspect endpoint`: JSON-able description, or undefined when unknown. */
  describeEndpoint(nameOrIface: string): unknown;
  /** The endpoints a name matches (JSON-able; more than one: ambiguous). */
  endpointCandidates?(name: string): readonly unknown[];
  /** The pools' encapsulation and this node's tunnel addresses (issue 14); absent in fakes: no overlay. */
  overlay?(): OverlayFacts;
  /** What the datastore asks of this node that felix-ts does not enforce (agent/calc/unsupported.ts). */
  readonly unsupported?: {
    read(): {
      readonly changed: boolean;
      readonly uses: readonly { readonly feature: string; readonly detail: string; readonly uses: number }[];
    };
  };
}

export interface ApplyInfo {
  readonly durationMs: number;
  /** Chains and sets the kernel refused in this apply (isolated; the rest was programmed). */
  readonly refused?: readonly {
    readonly ipVersion: number;
    readonly table: string;
    readonly kind: 'chain' | 'set';
    readonly name: string;
    readonly reason: string;
  }[];
  /** The apply programmed the state of the first this-many messages handed to onMessages. */
  readonly messages?: number;
  /** Why our rules in the iptables backend not in use could not be removed (retried by the driver). */
  readonly otherBackendErrors?: readonly string[];
  /** CPU from the first update this apply covers to its first restore (rules/driver/cpu-clock.ts). */
  readonly cpuBeforeRestore?: CpuBeforeRestore | undefined;
}

/** DataplaneDriver. */
export interface DriverLike extends CountedDriver {
  start(): Promise<void>;
  stop(): Promise<void>;
  onMessages(msgs: readonly ToDataplane[], since?: CpuClock): void;
  on(ev: 'apply' | 'first-apply', l: (e: ApplyInfo) => void): unknown;
  on(ev: 'apply-error', l: (e: { readonly error: Error & { readonly code?: string } }) => void): unknown;
  /** Last restore input per table (the demo prints it in dry-run mode). */
  lastRestoreInputs(): ReadonlyMap<string, string>;
}

/** What the compiler last produced, and from what: metrics and `felix-ts inspect chains`. */
export interface CompiledView {
  /** Undefined until the first compile. */
  readonly last: DesiredState | undefined;
  readonly state: DataplaneState;
  readonly config: CompilerConfig;
}

export interface Dataplane {
  readonly driver: DriverLike;
  /** Absent when the driver's desired state does not come from the rule compiler (tests). */
  readonly compiled?: CompiledView;
  /** Restore lines run by the driver (felix_*_lines_executed); absent for test drivers. */
  readonly lines?: () => LineCounts;
  /** The driver computes the restore input but never runs iptables-restore/ipset (`run --dry-run`). */
  readonly dryRun?: boolean;
}

/** Factories; the real ones are in ./real-deps.ts. */
export interface DaemonDeps {
  makeSyncer(cfg: FelixConfig, logger: Logger): SyncerLike;
  /** `sources`: where each parameter came from (a locally set WorkloadSourceSpoofing beats the datastore's). */
  makeCalc(cfg: FelixConfig, logger: Logger, sources?: Readonly<Record<ParamName, SourceKind>>): CalcLike;
  /**
   * Called at the first in-sync, with the config merged with the datastore's and the calc's overlay facts
   * (again after a failed start).
   */
  makeDataplane(cfg: FelixConfig, logger: Logger, overlay?: OverlayFacts): Dataplane;
}
