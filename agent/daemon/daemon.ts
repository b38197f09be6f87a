// The felix-ts main loop: syncer client -> calculation graph -> dataplane driver
// (felix-operations.md §1.4 for the start-up sequence, health reporters and exits).
//
// * Health first (§6: "start health first"): FelixStartup, CalculationGraph and
//   InternalDataplaneMainLoop are registered before anything can block.
// * The driver is created at the first in-sync, with the local config merged with the
//   datastore's ConfigUpdate; from then on a change to a restart-requiring parameter ends
//   the daemon with rc 129 (§1.4), leaving the rules in place for the next process.
// * A Typha outage never touches the dataplane; the node is simply not ready until in sync again.
// * SIGTERM: stop and leave the rules as they are.
import type { SyncerEvent, SyncStatus } from '../../syncer-client/api.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import {
  dataplaneWatchdogMs,
  describeValue,
  diffConfig,
  restartRequired,
  withDatastore,
  RESTART_EXIT_CODE,
  type FelixConfig,
  type LoadedConfig,
} from '../config/index.js';
import {
  CALC_GRAPH_TIMEOUT_MS,
  HealthAggregator,
  HealthServer,
  REPORTER,
  type DebugHandler,
} from '../health/index.js';
import { AgentMetrics, MetricsServer, RESYNC_STATE } from '../metrics/index.js';
import type { Logger, RootLogger } from '../log/index.js';
import type { CalcLike, DaemonDeps, DriverLike, SyncerLike } from './deps.js';
import { newStatus, type DaemonStatus } from './status.js';
import { WorkQueue } from './work-queue.js';
import { VERSION } from './version.js';

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

export class Daemon {
  readonly health: HealthAggregator;
  readonly metrics: AgentMetrics;
  readonly status: DaemonStatus;
  private loaded: LoadedConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly queue: WorkQueue;
  private healthServer: HealthServer | undefined;
  private metricsServer: MetricsServer | undefined;
  private syncer: SyncerLike | undefined;
  private calc: CalcLike | undefined;
  private driver: DriverLike | undefined;
  private datastoreConfig: Readonly<Record<string, string>> = {};
  private pending: ToDataplane[] = [];
  /** Set at the first in-sync; a driver that failed to start is retried on each heartbeat. */
  private driverWanted = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;
  private resolveExit!: (code: number) => void;
  /** Resolves with the process exit code once the daemon has stopped. */
  readonly exited: Promise<number> = new Promise((r) => (this.resolveExit = r));
  private readonly loggedWarnings = new Set<string>();

  constructor(private readonly opts: DaemonOptions) {
    this.loaded = opts.loaded;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.status = newStatus(this.now());
    this.queue = new WorkQueue(opts.logger.child('mainloop'));
    this.health = new HealthAggregator({ now: this.now, logger: opts.logger.child('health') });
    this.health.setOverrides(this.config.HealthTimeoutOverrides);
    this.metrics = new AgentMetrics({
      hostname: this.config.FelixHostname,
      now: this.now,
      processMetrics: this.config.PrometheusProcessMetricsEnabled || this.config.PrometheusGoMetricsEnabled,
      calc: () => this.calc?.stats?.() ?? null,
      dataplane: () => this.driver?.counts?.() ?? null,
      typha: () => ({
        connected: this.status.typha.connected,
        endpoint: this.status.typha.endpoint,
        reconnects: this.status.typha.reconnects,
        snapshotSize: this.status.typha.snapshotSize,
        lastMessageMs: this.status.typha.lastUpdateMs,
      }),
    });
  }

  get config(): FelixConfig {
    return this.loaded.config;
  }

  /** Starts everything; resolves once the syncer has been started (not when connected). */
  async start(): Promise<void> {
    const cfg = this.config;
    this.log.info('Felix starting up', { version: VERSION, node: process.version, pid: process.pid });
    this.logWarnings(this.loaded.warnings);
    this.logConfigSources();
    // §1.4 step 1: FelixStartup is live but not ready until Typha is connected.
    this.health.register(REPORTER.startup, { live: true, ready: true }, 0);
    this.health.report(REPORTER.startup, { live: true, ready: false, detail: 'Starting up' });
    this.health.register(REPORTER.calcGraph, { live: true, ready: true }, CALC_GRAPH_TIMEOUT_MS);
    this.health.register(REPORTER.dataplane, { live: true, ready: true }, dataplaneWatchdogMs(cfg));
    await this.startServers(cfg);

    this.calc = this.opts.deps.makeCalc(cfg, this.opts.logger.child('calc'));
    this.log.info('Connecting to Typha.', {
      typhaAddr: cfg.TyphaAddr || undefined,
      typhaK8sServiceName: cfg.TyphaK8sServiceName || undefined,
      requiringTLS: cfg.TyphaCAFile !== '',
    });
    this.syncer = this.opts.deps.makeSyncer(cfg, this.opts.logger.child('typha'));
    this.syncer.onEvent((ev) => this.onSyncerEvent(ev));
    void this.syncer.finished.then((end) => {
      if (this.stopping) return;
      const reason = end instanceof Error ? end.message : 'client stopped';
      this.log.error('Failed to restart Typha client. Exiting...', { error: reason });
      void this.shutdown('Connection to Typha failed', 1);
    });
    this.syncer.start();
    const every = this.opts.heartbeatMs ?? 10_000;
    this.heartbeat = setInterval(() => void this.tick(), every);
    this.heartbeat.unref();
    void this.tick();
  }

  /** Queues a heartbeat through the main loop; resolves when it ran (never, if the loop is stuck). */
  tick(): Promise<void> {
    return this.queue.push('heartbeat', async () => {
      await this.ensureDriver();
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

  private async startServers(cfg: FelixConfig): Promise<void> {
    if (cfg.HealthEnabled) {
      this.healthServer ??= new HealthServer({
        aggregator: this.health,
        details: () => this.details(),
        debug: { ...this.debugHandlers(), ...(this.opts.debug ?? {}) },
        logger: this.opts.logger.child('health'),
      });
      await this.healthServer.listen(cfg.HealthHost, cfg.HealthPort);
    } else if (this.healthServer) {
      await this.healthServer.close();
      this.healthServer = undefined;
    }
    if (cfg.PrometheusMetricsEnabled && !this.metricsServer) {
      this.metricsServer = new MetricsServer(this.metrics, this.opts.logger.child('metrics'));
      try {
        await this.metricsServer.listen(cfg.PrometheusMetricsHost, cfg.PrometheusMetricsPort);
      } catch (e) {
        // A port clash must not stop the node agent (§1.7); say so loudly instead.
        this.log.error('Failed to start Prometheus metrics server', {
          error: e instanceof Error ? e.message : String(e),
        });
        this.metricsServer = undefined;
      }
    }
  }

  /** The last restore input per table, as the driver recorded it (dry-run demo). */
  restoreInputs(): ReadonlyMap<string, string> {
    return this.driver?.lastRestoreInputs?.() ?? new Map();
  }

  /** The health server's bound port (tests use port 0). */
  healthAddress(): { address: string; port: number } | null {
    return this.healthServer?.address() ?? null;
  }

  metricsAddress(): { address: string; port: number } | null {
    return this.metricsServer?.address() ?? null;
  }

  private onSyncerEvent(ev: SyncerEvent): void {
    const t = this.status.typha;
    switch (ev.kind) {
      case 'connecting':
        t.connectAttempts++;
        this.log.debug(`Connecting to typha endpoint ${ev.endpoint}.`, { attempt: ev.attempt });
        return;
      case 'connected': {
        const first = this.status.timeToTyphaMs < 0;
        if (!first) t.reconnects++;
        t.connected = true;
        t.endpoint = ev.endpoint;
        t.serverVersion = ev.serverVersion;
        if (first) this.status.timeToTyphaMs = this.now() - this.status.startedMs;
        this.log.debug('Connected to Typha.', { address: ev.endpoint, serverVersion: ev.serverVersion });
        if (first) {
          this.log.info(`Connected to Typha on attempt ${t.connectAttempts || 1}`, {
            msSinceStart: this.status.timeToTyphaMs,
          });
        }
        this.health.report(REPORTER.startup, { live: true, ready: true });
        return;
      }
      case 'disconnected':
        t.connected = false;
        t.lastDisconnectReason = ev.reason;
        // v3.31+ behaviour (§1.4): keep the dataplane, reconnect in the background, be not-ready.
        if (this.status.syncStatus !== 'not-connected') {
          this.log.warn('Typha connection failed; reconnecting. The dataplane keeps its last good state.', {
            address: ev.endpoint,
            reason: ev.reason,
          });
        } else {
          this.log.warn(
            `Failed to connect to typha endpoint ${ev.endpoint}.  Will try another if available...`,
            { reason: ev.reason },
          );
        }
        this.setSyncStatus('wait-for-ready');
        this.status.syncStatus = 'not-connected';
        void this.queue.push('disconnected', () => this.reportHealth());
        return;
      case 'batch':
        t.lastUpdateMs = this.now();
        void this.queue.push('batch', () => this.onBatch(ev.updates, ev.status));
        return;
    }
  }

  private setSyncStatus(s: SyncStatus): void {
    this.metrics.resyncState.set(RESYNC_STATE[s]);
  }

  private async onBatch(
    updates: Parameters<CalcLike['onUpdates']>[0],
    status: SyncStatus | undefined,
  ): Promise<void> {
    const calc = this.calc;
    if (!calc || this.stopping) return;
    if (updates.length > 0) {
      for (const u of updates) this.metrics.calcUpdatesProcessed.inc({ type: keyType(u.key) });
      this.status.kvsProcessed += updates.length;
      calc.onUpdates(updates);
    }
    if (status !== undefined) {
      this.log.debug('Status update from Typha.', { newStatus: status });
      if (status === 'resync') this.metrics.resyncsStarted.inc();
      this.status.syncStatus = status;
      this.setSyncStatus(status);
      if (status === 'in-sync') {
        this.status.typha.snapshotSize = this.syncer?.knownKeys ?? this.status.kvsProcessed;
        if (!this.status.inSyncOnce) this.log.info("First time we've been in sync");
        this.status.inSyncOnce = true;
      }
      calc.onStatus(status);
    }
    const out = calc.flush();
    if (out.length > 0) {
      this.metrics.calcOutputEvents.inc(out.length);
      await this.toDataplane(out);
    }
    this.reportHealth();
  }

  private async toDataplane(msgs: readonly ToDataplane[]): Promise<void> {
    const forDriver: ToDataplane[] = [];
    for (const m of msgs) {
      this.metrics.dataplaneMessages.inc({ type: m.kind });
      if (m.kind === 'configUpdate') {
        const exit = await this.onConfigUpdate(m.config);
        if (exit) return;
      }
      forDriver.push(m);
    }
    this.status.messagesToDataplane += forDriver.length;
    if (this.driver) {
      this.driver.onMessages(forDriver);
      return;
    }
    this.pending.push(...forDriver);
    if (forDriver.some((m) => m.kind === 'inSync')) {
      this.driverWanted = true;
      this.log.info('Datastore in sync, flushing the dataplane for the first time...');
      await this.ensureDriver();
    }
  }

  /** Merges the datastore config; returns true when the daemon is exiting for a restart. */
  private async onConfigUpdate(raw: Readonly<Record<string, string>>): Promise<boolean> {
    let next;
    try {
      next = withDatastore(this.loaded, raw);
    } catch (e) {
      this.log.error('Datastore configuration rejected; keeping the current configuration', {
        error: e instanceof Error ? e.message : String(e),
      });
      return false;
    }
    this.logWarnings(next.warnings);
    const changed = diffConfig(this.loaded.config, next.config);
    this.datastoreConfig = raw;
    if (changed.length === 0) return false;
    if (this.driver) {
      const restart = restartRequired(changed);
      if (restart.length > 0) {
        for (const key of restart) {
          this.log.info('Configuration value changed; change DOES require Felix to restart.', {
            key,
            oldValue: describeValue(this.loaded.config[key]),
            newValue: describeValue(next.config[key]),
          });
        }
        void this.shutdown('Config changed', RESTART_EXIT_CODE);
        return true;
      }
    }
    // Before the dataplane starts every change is taken in place (nothing is programmed yet);
    // afterwards only the hot ones get here.
    this.loaded = next;
    this.health.setOverrides(next.config.HealthTimeoutOverrides);
    this.opts.logger.setLevel(next.config.LogSeverityScreen);
    await this.startServers(next.config);
    this.log.info('Configuration updated from the datastore.', { changed: changed.join(',') });
    return false;
  }

  private async ensureDriver(): Promise<void> {
    if (this.driver || !this.driverWanted || this.stopping) return;
    const cfg = this.config;
    const dp = this.status.dataplane;
    let driver: DriverLike;
    try {
      driver = this.opts.deps.makeDriver(cfg, this.opts.logger.child('dataplane'));
      driver.on('apply', (e) => {
        dp.applies++;
        dp.lastApplyMs = this.now();
        dp.lastApplyDurationMs = e.durationMs;
        dp.lastApplyFailed = false;
        if (dp.firstApplyDone) this.metrics.applyTime.observe(e.durationMs / 1000);
        this.reportDataplane();
      });
      driver.on('first-apply', (e) => {
        dp.firstApplyDone = true;
        this.status.timeToFirstApplyMs = this.now() - this.status.startedMs;
        this.metrics.initialResyncTime.set(e.durationMs / 1000);
        this.log.info('Completed first update to dataplane.', {
          secsSinceStart: this.status.timeToFirstApplyMs / 1000,
          applyMs: Math.round(e.durationMs),
        });
        this.reportDataplane();
      });
      driver.on('apply-error', ({ error }) => {
        dp.lastApplyFailed = true;
        dp.lastApplyError = `${error.code ?? 'ERR'}: ${error.message}`;
        this.metrics.dataplaneFailures.inc();
        this.log.warn('Failed to program iptables, will retry', { code: error.code, error: error.message });
        this.reportDataplane();
      });
      await driver.start();
    } catch (e) {
      // E.g. no iptables binary, or a lock held for too long: not ready, retried on the next heartbeat.
      dp.lastApplyFailed = true;
      dp.lastApplyError = `dataplane start failed: ${e instanceof Error ? e.message : String(e)}`;
      this.log.error('Failed to start the dataplane driver; will retry', { error: dp.lastApplyError });
      this.reportDataplane();
      return;
    }
    this.driver = driver;
    dp.started = true;
    dp.lastApplyFailed = false;
    const msgs = this.pending;
    this.pending = [];
    driver.onMessages(msgs);
  }

  private reportDataplane(): void {
    const dp = this.status.dataplane;
    const ready = dp.firstApplyDone && !dp.lastApplyFailed;
    const detail = !dp.started
      ? dp.lastApplyFailed
        ? dp.lastApplyError
        : 'Waiting for the datastore to be in sync'
      : !dp.firstApplyDone
        ? dp.lastApplyFailed
          ? `First apply failed: ${dp.lastApplyError}`
          : 'Waiting for the first apply'
        : dp.lastApplyFailed
          ? `Last apply failed: ${dp.lastApplyError}`
          : '';
    this.health.report(REPORTER.dataplane, { live: true, ready, detail });
  }

  private reportHealth(): void {
    const t = this.status.typha;
    const inSync = t.connected && this.status.syncStatus === 'in-sync';
    const detail = !t.connected
      ? t.lastDisconnectReason
        ? `Not connected to Typha: ${t.lastDisconnectReason}`
        : 'Not connected to Typha'
      : inSync
        ? ''
        : `Sync status: ${this.status.syncStatus}`;
    this.health.report(REPORTER.calcGraph, { live: true, ready: inSync, detail });
    this.reportDataplane();
  }

  private details(): Record<string, unknown> {
    const s = this.status;
    const ageMs = (t: number): number | null => (t > 0 ? this.now() - t : null);
    return {
      version: VERSION,
      hostname: this.config.FelixHostname,
      typha: { ...s.typha, lastUpdateAgeMs: ageMs(s.typha.lastUpdateMs) },
      syncStatus: s.syncStatus,
      dataplane: {
        ...s.dataplane,
        lastApplyTime: s.dataplane.lastApplyMs > 0 ? new Date(s.dataplane.lastApplyMs).toISOString() : null,
        counts: this.driver?.counts?.() ?? null,
      },
      counts: {
        ...(this.calc?.stats?.() ?? {}),
        kvsProcessed: s.kvsProcessed,
        messagesToDataplane: s.messagesToDataplane,
      },
      mainLoop: { queued: this.queue.depth, jobs: this.queue.processed, errors: this.queue.errors },
      timeToTyphaMs: s.timeToTyphaMs,
      timeToFirstApplyMs: s.timeToFirstApplyMs,
      datastoreConfigKeys: Object.keys(this.datastoreConfig).length,
    };
  }

  private debugHandlers(): Record<string, DebugHandler> {
    return {
      endpoint: (q) => {
        const name = q.get('name') ?? '';
        if (name === '') return { status: 400, body: { error: 'name is required' } };
        const ep = this.calc?.describeEndpoint?.(name) ?? null;
        if (ep === null || ep === undefined)
          return { status: 404, body: { error: `no local endpoint ${JSON.stringify(name)}` } };
        return { status: 200, body: { endpoint: ep, chains: this.driver?.describeChains?.() ?? null } };
      },
      chains: () => ({ status: 200, body: this.driver?.describeChains?.() ?? { chains: [] } }),
    };
  }

  /** Felix logs where each value came from (§5 "Parsed value for ..."); one summary line here. */
  private logConfigSources(): void {
    const by: Record<string, string[]> = {};
    for (const [name, src] of Object.entries(this.loaded.sources)) {
      if (src === 'default') continue;
      (by[src] ??= []).push(name);
      this.log.debug(`Parsed value for ${name}: ${describeValue(this.config[name as keyof FelixConfig])}`, {
        source: src,
      });
    }
    this.log.info('Successfully loaded configuration.', {
      configFile: this.loaded.local.configFileFound ? this.loaded.local.configFile : 'none',
      ...Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v.sort().join(',')])),
    });
  }

  private logWarnings(ws: readonly string[]): void {
    for (const w of ws) {
      if (this.loggedWarnings.has(w)) continue;
      this.loggedWarnings.add(w);
      this.log.warn(w);
    }
  }

  private async shutdown(reason: string, code: number): Promise<number> {
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
    const step = async (what: string, f: () => Promise<void> | undefined): Promise<void> => {
      try {
        await f();
      } catch (e) {
        this.log.warn(`Error while stopping ${what}`, { error: e instanceof Error ? e.message : String(e) });
      }
    };
    await step('Typha client', () => this.syncer?.stop());
    // The driver stops its timers; the rules it programmed stay in place (§1.4 "Signals").
    await step('dataplane', () => this.driver?.stop());
    await step('metrics server', () => this.metricsServer?.close());
    await step('health server', () => this.healthServer?.close());
    clearTimeout(bound);
    if (code === RESTART_EXIT_CODE) this.log.info('Exiting for config change', { rc: code });
    this.resolveExit(code);
    return code;
  }
}

/** The key type for felix_calc_graph_updates_processed: "/calico/v1/policy/..." -> "policy". */
export function keyType(key: string): string {
  const p = key.split('/');
  if (p[1] === 'calico' && p[2] === 'v1') return p[3] === 'host' ? (p[5] ?? 'host') : (p[3] ?? 'unknown');
  if (p[1] === 'calico' && p[2] === 'resources') return (p[5] ?? 'unknown').toLowerCase();
  return 'other';
}
