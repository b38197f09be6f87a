// The dataplane side of the main loop: the driver is created at the first in-sync (messages are
// buffered until then), retried on each heartbeat if it fails to start, and its apply events
// become status, metrics and log lines (docs/operations.md).
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import type { CpuClock } from '../../rules/driver/index.js';
import type { OverlayFacts } from '../calc/index.js';
import type { FelixConfig } from '../config/index.js';
import type { RootLogger } from '../log/index.js';
import { dataplaneCounts, type AgentMetrics, type DataplaneCounts } from '../metrics/index.js';
import type { CompiledView, DaemonDeps, Dataplane } from './deps.js';
import type { DaemonStatus } from './status.js';
import { refusedDetail } from './health-report.js';
import { resolvedEncapsulation, unsupportedOverlay } from './compiler-config.js';
import { EndpointStatusFileReporter, EndpointStatusTracker, type StatusFs } from '../statusrep/index.js';

export interface DataplaneRunnerOptions {
  readonly deps: DaemonDeps;
  /** The main logger; the driver gets its "dataplane" child. */
  readonly logger: RootLogger;
  readonly status: DaemonStatus;
  readonly metrics: AgentMetrics;
  readonly now: () => number;
  /** Called whenever status.dataplane changed (the daemon reports health). */
  readonly changed: () => void;
  /** The calc's overlay facts, read when the driver is made; the daemon keeps the ones used (`startOverlay`). */
  readonly overlay?: () => OverlayFacts | undefined;
  /** File operations of the endpoint status files (tests); default node:fs. */
  readonly statusFs?: StatusFs;
}

/** Endpoint status files (EndpointStatusPathPrefix): what the applies programmed, and the writer. */
interface StatusFiles {
  readonly tracker: EndpointStatusTracker;
  readonly reporter: EndpointStatusFileReporter;
}

export class DataplaneRunner {
  private dp: Dataplane | undefined;
  private pending: ToDataplane[] = [];
  /** The CPU clock when the first pending message's batch was taken (cpuBeforeRestore). */
  private pendingSince: CpuClock | undefined;
  /** Set at the first in-sync; a driver that failed to start is retried on each heartbeat. */
  private wanted = false;
  private stopped = false;
  private _startOverlay: OverlayFacts | undefined;
  private statusFiles: StatusFiles | undefined;

  constructor(private readonly o: DataplaneRunnerOptions) {}

  get started(): boolean {
    return this.dp !== undefined;
  }

  /** The overlay facts the running driver was made with (Felix's configParams.Encapsulation at start). */
  get startOverlay(): OverlayFacts | undefined {
    return this.dp ? this._startOverlay : undefined;
  }

  get compiled(): CompiledView | undefined {
    return this.dp?.compiled;
  }

  /** Whether the running driver is a dry run (false before it runs). */
  get dryRun(): boolean {
    return this.dp?.dryRun ?? false;
  }

  counts(): DataplaneCounts | undefined {
    return this.dp && dataplaneCounts(this.dp.driver, this.dp.compiled?.last, this.dp.lines?.());
  }

  restoreInputs(): ReadonlyMap<string, string> {
    return this.dp?.driver.lastRestoreInputs() ?? new Map();
  }

  /** Hands messages to the driver, or buffers them until it runs; the first inSync starts it. */
  async send(msgs: readonly ToDataplane[], cfg: FelixConfig, since?: CpuClock): Promise<void> {
    this.o.status.messagesToDataplane += msgs.length;
    if (this.dp) {
      this.feed(this.dp, msgs, since);
      return;
    }
    this.pendingSince ??= since;
    this.pending.push(...msgs);
    if (!this.wanted && msgs.some((m) => m.kind === 'inSync')) {
      this.wanted = true;
      this.o.logger.info('Datastore in sync, flushing the dataplane for the first time...');
      await this.ensure(cfg);
    }
  }

  /** Starts the driver if it is wanted and not running; on failure the next heartbeat retries. */
  async ensure(cfg: FelixConfig): Promise<void> {
    if (this.dp || !this.wanted || this.stopped) return;
    const dp = this.o.status.dataplane;
    let made: Dataplane;
    let statusFiles: StatusFiles | undefined;
    let fed: ToDataplane[] = [];
    let fedSince: CpuClock | undefined;
    const overlay = this.o.overlay?.();
    try {
      made = this.o.deps.makeDataplane(cfg, this.o.logger.child('dataplane'), overlay);
      this.listen(made);
      statusFiles = this.makeStatusFiles(cfg, made);
      // The driver takes the messages while its start waits on its first commands (the interface
      // monitor's reads, feature detection, the other backend's and the IP sets' reads): at 100k
      // endpoints building its state from them is 60 ms of the main thread that would otherwise come
      // after. One turn of the event loop first lets the start spawn them. The driver applies nothing
      // before its start is done. If the start fails, the next driver gets them all again.
      const starting = made.driver.start();
      starting.catch(() => undefined); // awaited below; settled here should the feed throw first
      await new Promise((r) => setImmediate(r));
      fed = this.pending;
      fedSince = this.pendingSince;
      this.pending = [];
      this.pendingSince = undefined;
      this.feedTo(made, statusFiles, fed, fedSince);
      await starting;
    } catch (e) {
      // What arrived during the start comes after what was fed, for the next driver.
      this.pending = [...fed, ...this.pending];
      this.pendingSince = fedSince ?? this.pendingSince;
      // E.g. no iptables binary, or a lock held for too long: not ready, retried on the next heartbeat.
      dp.lastApplyFailed = true;
      dp.lastApplyError = `dataplane start failed: ${e instanceof Error ? e.message : String(e)}`;
      this.o.logger.error('Failed to start the dataplane driver; will retry', { error: dp.lastApplyError });
      this.o.changed();
      return;
    }
    this.dp = made;
    this._startOverlay = overlay;
    this.reportUnsupported(cfg, overlay);
    dp.started = true;
    dp.lastApplyFailed = false;
    this.statusFiles = statusFiles;
    // Messages that came while the driver started.
    const rest = this.pending;
    const since = this.pendingSince;
    this.pending = [];
    this.pendingSince = undefined;
    if (rest.length > 0) this.feed(made, rest, since);
  }

  /** Every message the driver gets goes through here, so the status tracker numbers them as the driver does. */
  private feed(dp: Dataplane, msgs: readonly ToDataplane[], since?: CpuClock): void {
    this.feedTo(dp, this.statusFiles, msgs, since);
  }

  private feedTo(
    dp: Dataplane,
    files: StatusFiles | undefined,
    msgs: readonly ToDataplane[],
    since?: CpuClock,
  ): void {
    files?.tracker.onMessages(msgs);
    dp.driver.onMessages(msgs, since);
  }

  /** Felix writes status files when EndpointStatusPathPrefix is set (felix/daemon/daemon.go); never in a dry run. */
  private makeStatusFiles(cfg: FelixConfig, made: Dataplane): StatusFiles | undefined {
    const prefix = cfg.EndpointStatusPathPrefix;
    if (prefix === '' || made.dryRun) return undefined;
    const log = this.o.logger.child('status-file');
    const reporter = new EndpointStatusFileReporter({
      prefix,
      log,
      ...(this.o.statusFs ? { fs: this.o.statusFs } : {}),
    });
    return { tracker: new EndpointStatusTracker(), reporter };
  }

  /**
   * After an apply that programmed everything (nothing refused), the endpoints of the messages it covered
   * are programmed: their files are due (Felix reports endpoint status at the end of a complete apply).
   */
  private onProgrammed(messages: number | undefined, refused: number): void {
    const sf = this.statusFiles;
    if (!sf || messages === undefined || refused > 0) return;
    // The first complete apply is Felix's DataplaneInSync: the reporter starts then, even with no files due.
    if (sf.tracker.programmed(messages) || !sf.reporter.started) sf.reporter.update(sf.tracker.files(), true);
  }

  /** Once per process (the driver is made once): what of the overlay in use is not enforced. */
  private reportUnsupported(cfg: FelixConfig, overlay: OverlayFacts | undefined): void {
    for (const u of unsupportedOverlay(cfg, resolvedEncapsulation(cfg, overlay?.pools))) {
      this.o.logger.warn(u.detail, { feature: u.feature });
      this.o.status.unsupported.push(u);
      this.o.metrics.unsupportedFeatures.set({ feature: u.feature }, 1);
    }
  }

  /** Stops the driver's timers; the rules it programmed stay in place (docs/operations.md "Signals"). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.dp?.driver.stop();
    await this.statusFiles?.reporter.stop();
  }

  /** The status file writer, when EndpointStatusPathPrefix is set (tests wait on it). */
  get statusReporter(): EndpointStatusFileReporter | undefined {
    return this.statusFiles?.reporter;
  }

  private listen({ driver }: Dataplane): void {
    const { status, metrics, now, logger, changed } = this.o;
    const dp = status.dataplane;
    driver.on('apply', (e) => {
      dp.applies++;
      dp.lastApplyMs = now();
      dp.lastApplyDurationMs = e.durationMs;
      dp.lastApplyCpuBeforeRestore = e.cpuBeforeRestore ?? null;
      dp.lastApplyFailed = false;
      const refused = e.refused ?? [];
      dp.refused = refusedDetail(refused);
      dp.otherBackend = (e.otherBackendErrors ?? []).join('; ');
      metrics.dataplaneQuarantined.reset();
      for (const r of refused)
        metrics.dataplaneQuarantined.inc({ ip_version: String(r.ipVersion), table: r.table });
      if (dp.firstApplyDone) metrics.applyTime.observe(e.durationMs / 1000);
      this.onProgrammed(e.messages, refused.length);
      changed();
    });
    driver.on('first-apply', (e) => {
      dp.firstApplyDone = true;
      status.timeToFirstApplyMs = now() - status.startedMs;
      metrics.initialResyncTime.set(e.durationMs / 1000);
      logger.info('Completed first update to dataplane.', {
        secsSinceStart: status.timeToFirstApplyMs / 1000,
        applyMs: Math.round(e.durationMs),
      });
      changed();
    });
    driver.on('apply-error', ({ error }) => {
      dp.lastApplyFailed = true;
      dp.lastApplyError = `${error.code ?? 'ERR'}: ${error.message}`;
      metrics.dataplaneFailures.inc();
      logger.warn('Failed to program iptables, will retry', { code: error.code, error: error.message });
      changed();
    });
  }
}
