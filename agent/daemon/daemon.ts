// The felix-ts main loop: syncer client -> calculation graph -> dataplane driver
// (felix/daemon/daemon.go for the start-up sequence, health reporters and exits).
//
// * Health first (docs/operations.md: "start health first"): FelixStartup, CalculationGraph and
//   InternalDataplaneMainLoop are registered before anything can block.
// * The driver is created at the first in-sync, with the local config merged with the
//   datastore's ConfigUpdate; from then on a change to a restart-requiring parameter ends
//   the daemon with rc 129 (felix/daemon/daemon.go), leaving the rules in place for the next process.
// * A Typha outage never touches the dataplane; the node is simply not ready until in sync again.
// * SIGTERM: stop and leave the rules as they are.
// The parts live next to this file: ./typha-status.ts (sync status), ./dataplane.ts (driver),
// ./config-reload.ts, ./health-report.ts, ./debug-api.ts and ./lifecycle.ts (servers, stop).
import type { KVUpdate, SyncerEvent, SyncStatus } from '../../syncer-client/api.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { oldestChildStartMs } from '../../rules/backend/index.js';
import {
  dataplaneWatchdogMs,
  noEffectSettings,
  PARAMS,
  RESTART_EXIT_CODE,
  type FelixConfig,
  type LoadedConfig,
} from '../config/index.js';
import { CALC_GRAPH_TIMEOUT_MS, HealthAggregator, REPORTER, type DebugHandler } from '../health/index.js';
import { AgentMetrics } from '../metrics/index.js';
import type { RootLogger } from '../log/index.js';
import { encapChanged, ENCAP_CHANGED_LOG } from '../calc/index.js';
import { resolvedEncapsulation, TUNNEL_ADDR_PARAMS, tunnelAddr } from './compiler-config.js';
import { ConfigLog, decideConfigUpdate } from './config-reload.js';
import { DataplaneRunner } from './dataplane.js';
import { debugHandlers } from './debug-api.js';
import type { CalcLike, DaemonDeps, SyncerLike } from './deps.js';
import { calcGraphReport, dataplaneReport, healthDetails } from './health-report.js';
import { Servers, stopInOrder } from './lifecycle.js';
import { newStatus, type DaemonStatus } from './status.js';
import { TyphaStatus } from './typha-status.js';
import { WorkQueue } from './work-queue.js';
import { VERSION } from './version.js';
import { parseKey } from '../model/index.js';
import { readCpuClock, type CpuClock } from '../../rules/driver/index.js';

export interface DaemonOptions {
  readonly loaded: LoadedConfig;
  readonly logger: RootLogger;
  readonly deps: DaemonDeps;
  /** Clock for health timeouts and ages (tests inject one). */
  readonly now?: () => number;
  /** Heartbeat period of the main loop (Felix: 10 s). */
  readonly heartbeatMs?: number;
  /** Graceful shutdown bound (Felix: 30 s). */
  readonly shutdownTimeoutMs?: number;
  /** Extra /debug handlers (the demo adds none; inspect uses the built-in ones). */
  readonly debug?: Readonly<Record<string, DebugHandler>>;
}

/** Main-loop jobs queued at which the Typha reader pauses, and resumes (issue 15: snapshot memory). */
const PAUSE_DEPTH = 4;
const RESUME_DEPTH = 1;

export class Daemon {
  readonly health: HealthAggregator;
  readonly metrics: AgentMetrics;
  readonly status: DaemonStatus;
  private loaded: LoadedConfig;
  private readonly log: RootLogger;
  private readonly now: () => number;
  private readonly queue: WorkQueue;
  private readonly typha: TyphaStatus;
  private readonly configLog: ConfigLog;
  private readonly dataplane: DataplaneRunner;
  private readonly servers: Servers;
  private syncer: SyncerLike | undefined;
  private calc: CalcLike | undefined;
  private datastoreConfig: Readonly<Record<string, string>> = {};
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;
  private resolveExit!: (code: number) => void;
  /** Resolves with the process exit code once the daemon has stopped. */
  readonly exited: Promise<number> = new Promise((r) => (this.resolveExit = r));

  constructor(private readonly opts: DaemonOptions) {
    this.loaded = opts.loaded;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.status = newStatus(this.now());
    // After each job (batch or not), a paused Typha reader resumes once the loop has caught up.
    this.queue = new WorkQueue(opts.logger.child('mainloop'), () => {
      if (this.queue.depth <= RESUME_DEPTH) this.syncer?.resume?.();
    });
    this.health = new HealthAggregator({ now: this.now, logger: opts.logger.child('health') });
    this.health.setOverrides(this.config.HealthTimeoutOverrides);
    this.metrics = new AgentMetrics({
      hostname: this.config.FelixHostname,
      now: this.now,
      processMetrics: this.config.PrometheusProcessMetricsEnabled || this.config.PrometheusGoMetricsEnabled,
      calc: () => this.calc?.stats(),
      dataplane: () => this.dataplane.counts(),
      typha: () => this.typha.counts(),
      certFiles: () => [
        { role: 'client', path: this.config.TyphaCertFile },
        { role: 'ca', path: this.config.TyphaCAFile },
      ],
    });
    this.typha = new TyphaStatus(this.status, this.metrics, this.log, this.now);
    this.configLog = new ConfigLog(this.log);
    this.dataplane = new DataplaneRunner({
      deps: opts.deps,
      logger: this.log,
      status: this.status,
      metrics: this.metrics,
      now: this.now,
      changed: () => this.health.report(REPORTER.dataplane, dataplaneReport(this.status.dataplane)),
      overlay: () => this.calc?.overlay?.(),
    });
    this.servers = new Servers({
      health: this.health,
      metrics: this.metrics,
      details: () => this.details(),
      debug: {
        ...debugHandlers({
          calc: () => this.calc,
          compiled: () => this.dataplane.compiled,
          dryRun: () => this.dataplane.dryRun,
          loaded: () => this.loaded,
        }),
        ...(opts.debug ?? {}),
      },
      logger: this.log,
    });
  }

  get config(): FelixConfig {
    return this.loaded.config;
  }

  /** Starts everything; resolves once the syncer has been started (not when connected). */
  async start(): Promise<void> {
    const cfg = this.config;
    // Felix's fields (felix/daemon/daemon.go); the Node.js runtime stands where Felix logs GOMAXPROCS.
    this.log.info('Felix starting up', { version: VERSION, nodejs: process.version, pid: process.pid });
    this.configLog.loaded(this.loaded);
    // felix/daemon/daemon.go step 1: FelixStartup is live but not ready until Typha is connected.
    this.health.register(REPORTER.startup, { live: true, ready: true }, 0);
    this.health.report(REPORTER.startup, { live: true, ready: false, detail: 'Starting up' });
    this.health.register(REPORTER.calcGraph, { live: true, ready: true }, CALC_GRAPH_TIMEOUT_MS);
    this.health.register(REPORTER.dataplane, { live: true, ready: true }, dataplaneWatchdogMs(cfg));
    // A restore/save/ipset child still running counts against the watchdog timeout.
    this.health.setBusySource(REPORTER.dataplane, oldestChildStartMs);
    await this.servers.apply(cfg);

    // Settings felix-ts accepts without effect (logged by configLog) are reported like other unsupported uses.
    for (const n of noEffectSettings(cfg)) {
      this.status.unsupported.push({
        feature: `config-${n}`,
        detail: `${n}: ${PARAMS[n].noEffect ?? 'no effect'}`,
      });
      this.metrics.unsupportedFeatures.set({ feature: `config-${n}` }, 1);
    }
    this.calc = this.opts.deps.makeCalc(cfg, this.log.child('calc'), this.loaded.sources);
    this.log.info('Connecting to Typha.', {
      typhaAddr: cfg.TyphaAddr || undefined,
      typhaK8sServiceName: cfg.TyphaK8sServiceName || undefined,
      requiringTLS: cfg.TyphaCAFile !== '',
    });
    const syncer = this.opts.deps.makeSyncer(cfg, this.log.child('typha'));
    this.syncer = syncer;
    syncer.onEvent((ev) => this.onSyncerEvent(ev));
    void syncer.finished.then((end) => {
      if (this.stopping) return;
      const reason = end instanceof Error ? end.message : 'client stopped';
      this.log.error('Failed to restart Typha client. Exiting...', { error: reason });
      void this.shutdown('Connection to Typha failed', 1);
    });
    syncer.start();
    this.heartbeat = setInterval(() => void this.tick(), this.opts.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
    void this.tick();
  }

  /** Queues a heartbeat through the main loop; resolves when it ran (never, if the loop is stuck). */
  tick(): Promise<void> {
    return this.queue.push('heartbeat', async () => {
      await this.dataplane.ensure(this.config);
      this.reportHealth();
    });
  }

  /** SIGTERM/SIGINT: stop, leave the rules in place, exit 0. */
  stop(reason = 'Received SIGTERM'): Promise<number> {
    return this.shutdown(reason, 0);
  }

  /** SIGHUP or an internal reason: stop and exit with rc 129 so the supervisor restarts us. */
  restart(reason: string): Promise<number> {
    return this.shutdown(reason, RESTART_EXIT_CODE);
  }

  /** The last restore input per table, as the driver recorded it (dry-run demo). */
  restoreInputs(): ReadonlyMap<string, string> {
    return this.dataplane.restoreInputs();
  }

  /** The health server's bound port (tests use port 0). */
  healthAddress(): { address: string; port: number } | null {
    return this.servers.healthAddress();
  }

  metricsAddress(): { address: string; port: number } | null {
    return this.servers.metricsAddress();
  }

  private onSyncerEvent(ev: SyncerEvent): void {
    if (ev.kind === 'batch') {
      this.typha.onBatch();
      void this.queue.push('batch', () => this.onBatch(ev.updates, ev.status));
      // Backpressure: decoded batches waiting in the main loop are memory (the whole snapshot, at
      // 100k endpoints); past a few, stop reading from Typha until the loop catches up.
      if (this.queue.depth >= PAUSE_DEPTH) this.syncer?.pause?.();
      return;
    }
    this.typha.onConnection(ev);
    if (ev.kind === 'connected') this.health.report(REPORTER.startup, { live: true, ready: true });
    if (ev.kind === 'disconnected') void this.queue.push('disconnected', () => this.reportHealth());
  }

  private async onBatch(updates: readonly KVUpdate[], status: SyncStatus | undefined): Promise<void> {
    const calc = this.calc;
    if (!calc || this.stopping) return;
    const since = readCpuClock(); // for the apply's cpuBeforeRestore
    if (updates.length > 0) {
      // Each key parsed once, for the metrics and the calc.
      const keys = updates.map((u) => parseKey(u.key));
      this.metrics.onUpdates(updates, keys);
      this.status.kvsProcessed += updates.length;
      const t0 = performance.now();
      calc.onUpdates(updates, keys);
      this.metrics.calcUpdateTime.observe((performance.now() - t0) / 1000);
    }
    if (status !== undefined) {
      this.typha.onStatus(status, this.syncer?.knownKeys ?? this.status.kvsProcessed);
      calc.onStatus(status);
    }
    const out = calc.flush();
    this.reportUnsupportedInUse(calc);
    // felix/daemon/daemon.go: an encapsulation or tunnel address other than the dataplane started with is a
    // restart; nothing of this batch reaches the driver.
    if (this.overlayRestart()) return;
    if (out.length > 0) {
      this.metrics.calcOutputEvents.inc(out.length);
      await this.toDataplane(out, since);
    }
    this.reportHealth();
  }

  /** The calc's count of KVs using what felix-ts does not enforce: readiness detail and metric. */
  private reportUnsupportedInUse(calc: CalcLike): void {
    const r = calc.unsupported?.read();
    if (!r?.changed) return;
    for (const old of this.status.unsupportedInUse)
      if (!r.uses.some((u) => u.feature === old.feature))
        this.metrics.unsupportedFeatures.remove({ feature: old.feature });
    for (const u of r.uses) this.metrics.unsupportedFeatures.set({ feature: u.feature }, u.uses);
    this.status.unsupportedInUse = r.uses;
  }

  private async toDataplane(msgs: readonly ToDataplane[], since?: CpuClock): Promise<void> {
    this.metrics.dataplaneBatchSize.observe(msgs.length);
    for (const m of msgs) {
      this.metrics.dataplaneMessages.inc({ type: m.kind });
      // A restart-requiring change ends the daemon here: nothing after it reaches the driver.
      if (m.kind === 'configUpdate' && (await this.onConfigUpdate(m.config))) return;
    }
    await this.dataplane.send(msgs, this.config, since);
  }

  /** Merges the datastore config; returns true when the daemon is exiting for a restart. */
  private async onConfigUpdate(raw: Readonly<Record<string, string>>): Promise<boolean> {
    const d = decideConfigUpdate(this.loaded, raw, this.dataplane.started);
    if (d.kind === 'rejected') {
      this.log.error('Datastore configuration rejected; keeping the current configuration', {
        error: d.error,
      });
      return false;
    }
    this.configLog.warnings(d.next);
    this.datastoreConfig = raw;
    if (d.kind === 'unchanged') return false;
    if (d.kind === 'restart') {
      this.configLog.restarting(d.keys, this.loaded.config, d.next.config);
      void this.shutdown('Config changed', RESTART_EXIT_CODE);
      return true;
    }
    this.loaded = d.next;
    this.health.setOverrides(d.next.config.HealthTimeoutOverrides);
    this.opts.logger.setLevel(d.next.config.LogSeverityScreen);
    await this.servers.apply(d.next.config);
    this.log.info('Configuration updated from the datastore.', { changed: d.changed.join(',') });
    return false;
  }

  /**
   * Felix restarts when the encapsulation resolved from the pools changes (the Encapsulation message), and for
   * a changed tunnel address (a config change of IpInIpTunnelAddr & co; here also one seen on the Node alone).
   */
  private overlayRestart(): boolean {
    const start = this.dataplane.startOverlay;
    const now = this.calc?.overlay?.();
    if (!start || !now) return false;
    const c = this.config;
    if (encapChanged(resolvedEncapsulation(c, start.pools), resolvedEncapsulation(c, now.pools))) {
      this.log.warn(ENCAP_CHANGED_LOG);
      void this.shutdown('encapsulation changed', RESTART_EXIT_CODE, 'Exiting for encapsulation change');
      return true;
    }
    const keys = TUNNEL_ADDR_PARAMS.filter(
      (n) => tunnelAddr(c, n, start.tunnels) !== tunnelAddr(c, n, now.tunnels),
    );
    if (keys.length === 0) return false;
    for (const key of keys)
      this.log.info('Configuration value changed; change DOES require Felix to restart.', {
        key,
        oldValue: tunnelAddr(c, key, start.tunnels) || 'none',
        newValue: tunnelAddr(c, key, now.tunnels) || 'none',
      });
    void this.shutdown('Config changed', RESTART_EXIT_CODE);
    return true;
  }

  private reportHealth(): void {
    this.health.report(REPORTER.calcGraph, calcGraphReport(this.status));
    this.health.report(REPORTER.dataplane, dataplaneReport(this.status.dataplane));
  }

  private details(): Record<string, unknown> {
    return healthDetails({
      status: this.status,
      version: VERSION,
      hostname: this.config.FelixHostname,
      nowMs: this.now(),
      dataplaneCounts: this.dataplane.counts(),
      calcCounts: this.calc?.stats(),
      mainLoop: { queued: this.queue.depth, jobs: this.queue.processed, errors: this.queue.errors },
      datastoreConfigKeys: Object.keys(this.datastoreConfig).length,
    });
  }

  private async shutdown(
    reason: string,
    code: number,
    exitLog = 'Exiting for config change',
  ): Promise<number> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    this.log.info('Felix is shutting down', { reason });
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.queue.close();
    const bound = setTimeout(() => {
      this.log.error('Graceful shutdown timed out; exiting anyway');
      this.resolveExit(code);
    }, this.opts.shutdownTimeoutMs ?? 30_000);
    bound.unref();
    await stopInOrder(this.log, [
      ['Typha client', () => this.syncer?.stop()],
      ['dataplane', () => this.dataplane.stop()],
      ['metrics server', () => this.servers.closeMetrics()],
      ['health server', () => this.servers.closeHealth()],
    ]);
    clearTimeout(bound);
    if (code === RESTART_EXIT_CODE) this.log.info(exitLog, { rc: code });
    this.resolveExit(code);
    return code;
  }
}
