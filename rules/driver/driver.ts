// DataplaneDriver: the dataplane half of the agent. It absorbs calc->dataplane messages, and
// after the first InSync (graceful restart, felix/dataplane/linux/int_dataplane.go) applies the desired state in Felix's order:
// ipset creates/updates, then every iptables table (one restore each), then ipset destroys. The
// creates/updates and the tables run family by family, the two families side by side (apply-tables.ts).
// The tables written are the ones compile() returns, never a fixed list: a (table, family) the compiler
// has never returned is not read or written at all, so on a node Felix programmed its chains there
// (the raw RPF check, say) stay as they are until felix-ts programs that table. Once returned, a table
// stays ours: if it is later missing from the desired state it is written empty (stale cali- chains go).
// Bursts are coalesced: at most one apply per minApplyIntervalMs. A periodic refresh
// (IptablesRefreshInterval) forgets the cached kernel state so that drift is re-read and repaired.
import { EventEmitter } from 'node:events';
import type { ApplyEvent, DriverEvents } from './events.js';
import { RestoreClock, type CpuClock } from './cpu-clock.js';
import { finishSets, startEarlySets, type EarlySets } from './early-ipsets.js';
import { applyFamilies, summarize } from './apply-tables.js';
import type { ToDataplane } from '../dataplane-api/types.js';
import type { DesiredState, IpFamily, TableName, TableState } from '../model.js';
import { ExecaRunner, netnsPrefix, type CommandRunner } from '../backend/runner.js';
import { newCounters, type DataplaneCounters } from '../backend/counters.js';
import { detectBackend, type IptablesBackend, type IptablesBackendSetting } from '../backend/detect.js';
import { DataplaneError } from '../backend/errors.js';
import { detectAndLogFeatures } from '../backend/features.js';
import { sweepOtherBackend, type OtherBackendResult } from '../backend/other-backend.js';
import { TableWriter, type TableWriterOptions } from '../iptables/table-writer.js';
import { prefetchTables } from '../iptables/prefetch.js';
import { IpsetWriter } from '../ipsets/writer.js';
import { inputExcerpt, keptInput, refusedLine } from '../iptables/isolate.js';
import { silentLogger, type DriverLogger } from './logger.js';
import type { DesiredStateSource } from './source.js';
import { CompilerSource } from './compiler-source.js';
import { defaultCompilerConfig, type CompilerConfig } from '../compiler/index.js';
import { RpFilterWriter, type ProcSys } from './rp-filter.js';

export interface DataplaneDriverOptions {
  /** Compiler settings; the driver compiles messages with rules/compiler (default: Felix's defaults). */
  readonly compilerConfig?: CompilerConfig;
  /** Replaces the compiler as the producer of DesiredState (tests, bench). */
  readonly source?: DesiredStateSource;
  readonly backend?: IptablesBackendSetting;
  readonly ipv6?: boolean;
  /** Minimum time between the starts of two applies (coalescing window). Default 100 ms. */
  readonly minApplyIntervalMs?: number;
  /** IptablesRefreshInterval in ms; 0 disables. Default 90 s. */
  readonly refreshIntervalMs?: number;
  readonly logger?: DriverLogger;
  /** Run every command via `ip netns exec <netns>` (tests, demo). */
  readonly netns?: string;
  /** Extra environment for commands (e.g. XTABLES_LOCKFILE). */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the execa runner entirely. */
  readonly runner?: CommandRunner;
  /** How often a failed sweep of the other iptables backend is retried (ms, default 30 s). */
  readonly otherBackendRetryMs?: number;
  /** Compute and record restore inputs without executing restore or ipset (non-root). */
  readonly dryRun?: boolean;
  readonly lockWaitSecs?: number;
  /** Per-table attempts per apply (Felix: 10). */
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  /** MaxIpsetSize. */
  readonly maxIpsetSize?: number;
  /** Delay before re-applying after a failed apply (doubles up to 30 s). Default 1 s. */
  readonly errorRetryMs?: number;
  // ---- raw table (issue 12) ----
  /** Writes the workload interfaces' rp_filter sysctl through this (rp-filter.ts); absent: never written. */
  readonly procSys?: ProcSys;
  /** FeatureDetectOverride (e.g. MASQFullyRandom=false), applied over detection (rules/backend/features.ts). */
  readonly featureOverride?: Readonly<Record<string, string>>;
}

export type { ApplyEvent, DriverEvents, RefusedItem } from './events.js';

function tableKey(table: TableName, family: IpFamily): string {
  return `ipv${family}/${table}`;
}

function emptyTable(table: TableName, family: IpFamily): TableState {
  return { table, family, chains: new Map(), inserts: new Map(), appends: new Map() };
}

export class DataplaneDriver extends EventEmitter<DriverEvents> {
  private readonly opts: DataplaneDriverOptions;
  protected readonly source: DesiredStateSource;
  protected readonly runner: CommandRunner;
  private readonly clock: RestoreClock;
  protected readonly log: DriverLogger;
  private readonly ctrs: DataplaneCounters = newCounters();
  private readonly families: readonly IpFamily[];
  private readonly maxIpsetSize: number;
  /** One writer per (table, family) that compile() has returned so far, in first-seen order. */
  private tables = new Map<string, TableWriter>();
  private writerOpts: Omit<TableWriterOptions, 'table' | 'family'> | undefined;
  private ipsets: IpsetWriter | undefined;
  private chosenBackend: IptablesBackend | undefined;
  private inSync = false;
  private started = false;
  private dirty = false;
  private applying: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastApplyStart = 0;
  private applied = 0;
  private consecutiveErrors = 0;
  private readonly lastInputs = new Map<string, string>();
  protected readonly rpFilter: RpFilterWriter | undefined;
  private lastDestroyFailed = '';
  /** Messages received so far (ApplyEvent.messages). */
  private received = 0;
  private lastSweepMs = 0;
  private sweepRetry: NodeJS.Timeout | undefined;

  constructor(opts: DataplaneDriverOptions) {
    super();
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.families = opts.ipv6 ? [4, 6] : [4];
    const cfg = opts.compilerConfig ?? defaultCompilerConfig({ ipv6Support: opts.ipv6 ?? false });
    this.source = opts.source ?? new CompilerSource(cfg, this.log);
    this.maxIpsetSize = opts.maxIpsetSize ?? cfg.maxIpsetSize;
    if (opts.procSys && !opts.dryRun) this.rpFilter = new RpFilterWriter(opts.procSys, this.log);
    const runner =
      opts.runner ??
      new ExecaRunner({
        prefix: opts.netns ? netnsPrefix(opts.netns) : [],
        ...(opts.env ? { env: opts.env } : {}),
      });
    this.runner = this.clock = new RestoreClock(runner);
  }

  /** Counters for health and metrics (a copy). */
  get counters(): Readonly<DataplaneCounters> {
    return { ...this.ctrs };
  }

  /** What the start-up sweep of the other iptables backend did (undefined in dry-run). */
  otherBackend: OtherBackendResult | undefined;

  get backend(): IptablesBackend | undefined {
    return this.chosenBackend;
  }

  /** Number of successful applies so far. */
  get applyCount(): number {
    return this.applied;
  }

  /** The last restore input per table (`ipv4/filter`, …) and `ipset`; one over 1 MiB as a note of its size. */
  lastRestoreInputs(): ReadonlyMap<string, string> {
    return new Map(this.lastInputs);
  }

  /** Detects the backend, builds the writers and starts the refresh timer. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.prepare();
    this.begin();
  }

  /** Whether start() has finished (applies may run). */
  protected get isStarted(): boolean {
    return this.started;
  }

  /** start()'s first part: detection, the other backend's sweep and the writers. Applies nothing. */
  protected async prepare(): Promise<void> {
    const setting = this.opts.backend ?? 'auto';
    const det =
      this.opts.dryRun && setting === 'auto'
        ? { backend: 'legacy' as const, detected: undefined, reason: 'dry run' }
        : await detectBackend(this.runner, setting);
    this.chosenBackend = det.backend;
    this.log.info('iptables backend chosen', { backend: det.backend, reason: det.reason });
    const o = this.opts;
    const retry = {
      ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
      ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
    };
    const dryRun = o.dryRun ?? false;
    const lock = o.lockWaitSecs !== undefined ? { lockWaitSecs: o.lockWaitSecs } : {};
    this.writerOpts = {
      backend: det.backend,
      runner: this.runner,
      counters: this.ctrs,
      ...lock,
      ...retry,
      dryRun,
    };
    const sets = {
      runner: this.runner,
      counters: this.ctrs,
      families: this.families,
      maxElem: this.maxIpsetSize,
    };
    this.ipsets = new IpsetWriter({ ...sets, dryRun, ...retry });
    if (dryRun) return;
    // Three independent reads side by side (each is a child or two on the way to the first apply):
    // the features of the chosen backend; our chains and hooks in the backend not in use, which go as
    // Felix's cleanup-only tables do; and the kernel's IP sets, which the first apply plans against
    // (a failed read is read again, and reported, by that apply).
    await Promise.all([
      // Felix's feature detection for the chosen backend; the compiler source takes the result.
      detectAndLogFeatures(this.runner, det.backend, o.featureOverride ?? {}, this.log).then((f) =>
        this.source.setFeatures?.(f),
      ),
      this.sweepOther(det.backend),
      this.ipsets.prefetch().catch(() => undefined),
    ]);
  }

  /** start()'s second part: from here applies run (the first at once when in sync). */
  protected begin(): void {
    this.started = true;
    const refresh = this.opts.refreshIntervalMs ?? 90_000;
    if (refresh > 0) {
      this.refreshTimer = setInterval(() => this.refresh(), refresh);
      this.refreshTimer.unref();
    }
    if (this.inSync) this.schedule();
  }

  /** Stops timers and waits for an in-flight apply. Rules stay in place. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.sweepRetry) clearTimeout(this.sweepRetry);
    this.timer = undefined;
    this.refreshTimer = undefined;
    this.sweepRetry = undefined;
    await this.applying;
  }

  /**
   * Feeds messages to the desired-state source; applies only after the first InSync. `since`: the CPU
   * clock when their processing began (the daemon's batch), for ApplyEvent.cpuBeforeRestore.
   */
  onMessages(msgs: readonly ToDataplane[], since?: CpuClock): void {
    this.clock.mark(since);
    this.source.apply(msgs);
    this.received += msgs.length;
    if (msgs.some((m) => m.kind === 'inSync')) this.inSync = true;
    if (this.inSync) this.schedule();
  }

  /** Forces a re-read of every table and set on the next apply, and schedules one. */
  refresh(): void {
    for (const w of this.tables.values()) w.invalidate();
    this.ipsets?.invalidate();
    this.rpFilter?.invalidate();
    if (this.inSync) this.schedule();
  }

  /** Resolves once no apply is pending or running (tests and the demo). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.applying) {
        await this.applying;
        continue;
      }
      if (this.timer) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      return;
    }
  }

  private newWriter(table: TableName, family: IpFamily): TableWriter {
    return new TableWriter({
      ...this.writerOpts!,
      table,
      family,
      onRetry: (err, attempt) =>
        this.log.warn('iptables restore failed; re-reading and retrying', {
          table,
          family,
          attempt,
          code: err.code,
          error: err.message,
        }),
    });
  }

  private schedule(delayOverride?: number): void {
    this.dirty = true;
    if (!this.started || this.timer || this.applying) return;
    const minGap = this.opts.minApplyIntervalMs ?? 100;
    const delay = delayOverride ?? Math.max(0, this.lastApplyStart + minGap - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.applying = this.runApply().finally(() => {
        this.applying = undefined;
        if (this.dirty && this.started) this.schedule();
      });
    }, delay);
  }

  /** Sweeps our chains out of the backend not in use (Felix's cleanup-only tables, retried like them). */
  private async sweepOther(inUse: IptablesBackend): Promise<void> {
    this.lastSweepMs = Date.now();
    this.otherBackend = await sweepOtherBackend(
      this.runner,
      inUse,
      this.families,
      this.log,
      this.opts.lockWaitSecs,
    );
  }

  /** A failed sweep is tried again with an apply, at most every otherBackendRetryMs (default 30 s). */
  private async retrySweep(): Promise<void> {
    const retryMs = this.opts.otherBackendRetryMs ?? 30_000;
    if (!this.otherBackend?.errors.length || !this.chosenBackend) return;
    if (Date.now() - this.lastSweepMs >= retryMs) await this.sweepOther(this.chosenBackend);
    if (this.otherBackend.errors.length && !this.sweepRetry && this.started) {
      this.sweepRetry = setTimeout(
        () => {
          this.sweepRetry = undefined;
          if (this.started) this.schedule();
        },
        Math.max(0, this.lastSweepMs + retryMs - Date.now()),
      );
      this.sweepRetry.unref();
    }
  }

  private async runApply(): Promise<void> {
    this.dirty = false;
    this.lastApplyStart = Date.now();
    try {
      await this.retrySweep();
      this.clock.begin();
      // The sets start to be written before the tables compile (early-ipsets.ts), and nothing is
      // awaited between that and desired(), which reflects every message received so far.
      const early = await startEarlySets(this.ipsets!, this.source, this.families);
      const upTo = this.received;
      const ev = {
        ...(await this.applyDesired(this.source.desired(), upTo, early)),
        otherBackendErrors: this.otherBackend?.errors ?? [],
        cpuBeforeRestore: this.clock.end(),
      };
      this.applied++;
      this.emit('apply', ev);
      if (this.applied === 1) this.emit('first-apply', ev);
      if (ev.refused.length === 0) this.consecutiveErrors = 0;
      else this.retryLater(); // the refused items are tried again on the error back-off
    } catch (err) {
      const error =
        err instanceof DataplaneError
          ? err
          : new DataplaneError('ERR_COMMAND_FAILED', String(err), { cause: err });
      this.ctrs.lastError = `${error.code}: ${error.message}`;
      this.log.error('dataplane apply failed', {
        code: error.code,
        error: error.message,
        // Never the whole input (it can be megabytes): the lines around the refused one.
        input: inputExcerpt(error.input, error.stderr === undefined ? undefined : refusedLine(error.stderr)),
      });
      this.emit('apply-error', { error });
      // Try again later from a fresh read (the writers already dropped their belief).
      this.retryLater();
    }
  }

  /** A dry run keeps every input whole (showing them is what it is for); a real one not the huge ones. */
  private kept(input: string): string {
    return this.opts.dryRun ? input : keptInput(input);
  }

  private retryLater(): void {
    this.consecutiveErrors++;
    const base = this.opts.errorRetryMs ?? 1000;
    if (this.started) {
      this.dirty = false;
      const delay = Math.min(30_000, base * 2 ** (this.consecutiveErrors - 1));
      setTimeout(() => this.started && this.schedule(), delay).unref();
    }
  }

  private async applyDesired(
    desired: DesiredState,
    messages: number,
    early?: ReadonlyMap<IpFamily, EarlySets>,
  ): Promise<ApplyEvent> {
    const t0 = performance.now();
    const ipsets = this.ipsets!;
    // Every table compile() returns, and (empty) every one it returned before, so that stale cali-
    // chains go; a table never returned is left alone.
    const byKey = new Map<string, TableState>();
    for (const t of desired.tables) {
      const key = tableKey(t.table, t.family);
      byKey.set(key, t);
      if (!this.tables.has(key) && this.families.includes(t.family))
        this.tables.set(key, this.newWriter(t.table, t.family));
    }
    // Without an early write, one read of the kernel's sets serves both families.
    if (!early) await ipsets.prefetch().catch(() => undefined); // the write reads again and reports it
    const dryRun = this.writerOpts!.dryRun;
    // For each family: 1. its sets, so that no rule refers to a missing set; 2. its tables
    // (apply-tables.ts: the IPv6 tables need not wait for the IPv4 sets).
    const results = await applyFamilies(
      [...this.tables.values()],
      {
        prefetch: async (_f, ws) => (dryRun ? undefined : prefetchTables(ws, this.writerOpts!)),
        sets: (f) => finishSets(ipsets, early?.get(f), desired.ipsets, f),
        want: (w) => byKey.get(tableKey(w.table, w.family)) ?? emptyTable(w.table, w.family),
      },
      this.chosenBackend!,
      this.families,
    );
    const { setInput, changedSets, refused, changedChains, restoreCalls, tableInputs } = summarize(
      results,
      (w) => tableKey(w.table, w.family),
    );
    if (setInput) this.lastInputs.set('ipset', this.kept(setInput));
    for (const [key, input] of tableInputs) this.lastInputs.set(key, this.kept(input));
    // Per-interface sysctls (Felix's endpoint manager); a missing interface is retried on the next apply.
    if (this.rpFilter && desired.workloadInterfaces) await this.rpFilter.apply(desired.workloadInterfaces);
    // 3. Destroy stale sets once no rule uses them.
    for (const r of refused) {
      this.log.warn('Refused by the kernel; isolated it, programmed the rest, will retry', { ...r });
    }
    const del = await ipsets.applyDeletions();
    // Logged when the list changes, not on every apply while a set stays in use.
    const failed = del.failed.join(' ');
    if (failed !== '' && failed !== this.lastDestroyFailed)
      this.log.warn('ipset destroy failed; will retry', { sets: del.failed });
    this.lastDestroyFailed = failed;
    this.ctrs.lastApplyTime = Date.now();
    return {
      durationMs: performance.now() - t0,
      changedChains,
      restoreCalls,
      changedSets: [...changedSets, ...del.destroyed],
      refused,
      messages,
    };
  }

  /**
   * Applies a DesiredState directly, once, bypassing messages and throttling (bench, tests).
   * Requires start().
   */
  async applyNow(desired: DesiredState): Promise<ApplyEvent> {
    if (!this.ipsets)
      throw new DataplaneError('ERR_BAD_DESIRED_STATE', 'DataplaneDriver.applyNow called before start()');
    await this.applying;
    return this.applyDesired(desired, this.received);
  }
}
