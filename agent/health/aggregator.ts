// Health aggregator with Felix's semantics (felix/health/health.go):
// reporters register with the kinds they report and a timeout; a new reporter starts live and
// not ready; a reporter whose last report is older than its timeout is neither live nor ready;
// the summary is recomputed lazily on each query (no watchdog thread), with an injected clock.
import type { Logger } from '../log/index.js';
import { nullLogger } from '../log/index.js';

export interface HealthReport {
  readonly live: boolean;
  readonly ready: boolean;
  readonly detail?: string;
}

export interface ReporterStatus {
  readonly name: string;
  readonly reportsLive: boolean;
  readonly reportsReady: boolean;
  /** Effective timeout in ms (0 = never times out). */
  readonly timeoutMs: number;
  readonly overridden: boolean;
  readonly timedOut: boolean;
  readonly live: boolean;
  readonly ready: boolean;
  readonly detail: string;
  /** Clock time of the last report. */
  readonly lastReportMs: number;
}

export interface HealthSummary {
  readonly live: boolean;
  readonly ready: boolean;
  /** Sorted by name, as Felix's table is. */
  readonly reporters: readonly ReporterStatus[];
}

interface Reporter {
  readonly name: string;
  readonly reportsLive: boolean;
  readonly reportsReady: boolean;
  readonly timeoutMs: number;
  latest: HealthReport;
  stamp: number;
}

export interface AggregatorOptions {
  readonly now?: () => number;
  readonly logger?: Logger;
}

export class HealthAggregator {
  private readonly reporters = new Map<string, Reporter>();
  private overrides: ReadonlyMap<string, number> = new Map();
  private readonly now: () => number;
  private readonly log: Logger;
  private everReady = false;
  private lastOverall: { live: boolean; ready: boolean } | null = null;
  private readonly busy = new Map<string, () => number | undefined>();

  constructor(opts: AggregatorOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? nullLogger;
  }

  /** RegisterReporter(name, reports, timeout): starts as live, not ready (libcalico-go/lib/health/health.go). */
  register(name: string, kinds: { live: boolean; ready: boolean }, timeoutMs: number): void {
    const existing = this.reporters.get(name);
    this.reporters.set(name, {
      name,
      reportsLive: kinds.live,
      reportsReady: kinds.ready,
      timeoutMs,
      latest: existing?.latest ?? { live: true, ready: false },
      stamp: existing?.stamp ?? this.now(),
    });
  }

  isRegistered(name: string): boolean {
    return this.reporters.has(name);
  }

  report(name: string, r: HealthReport): void {
    const rep = this.reporters.get(name);
    if (!rep) return;
    const old = rep.latest;
    rep.latest = r;
    rep.stamp = this.now();
    if (old.live !== r.live || old.ready !== r.ready || (old.detail ?? '') !== (r.detail ?? '')) {
      // newReport/oldReport keep Felix's Go text for runbooks that grep it; live/ready/detail say
      // the same as plain fields.
      this.log.info('Health of component changed', {
        name,
        live: r.live,
        ready: r.ready,
        ...(r.detail ? { detail: r.detail } : {}),
        newReport: fmt(r),
        oldReport: fmt(old),
      });
    }
  }

  /** HealthTimeoutOverrides: applied live, no restart (felix/config/config_params.go). */
  setOverrides(o: ReadonlyMap<string, number>): void {
    this.overrides = new Map(o);
  }

  /**
   * Work that blocks a reporter's loop: while `since()` gives a start time, reports made after it
   * do not count, as if the loop were blocked there (a Felix main loop stuck in an apply cannot
   * report, felix/dataplane/linux/int_dataplane.go), so the reporter times out once the work
   * runs longer than its timeout.
   */
  setBusySource(name: string, since: () => number | undefined): void {
    this.busy.set(name, since);
  }

  summary(): HealthSummary {
    const now = this.now();
    const reporters: ReporterStatus[] = [];
    let live = true;
    let ready = true;
    for (const rep of [...this.reporters.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const ov = this.overrides.get(rep.name);
      const timeoutMs = ov ?? rep.timeoutMs;
      const busySince = this.busy.get(rep.name)?.();
      const stamp = busySince !== undefined && busySince < rep.stamp ? busySince : rep.stamp;
      const timedOut = timeoutMs > 0 && now - stamp > timeoutMs;
      const rLive = rep.reportsLive ? rep.latest.live && !timedOut : true;
      const rReady = rep.reportsReady ? rep.latest.ready && !timedOut : true;
      if (rep.reportsLive && !rLive) live = false;
      if (rep.reportsReady && !rReady) ready = false;
      reporters.push({
        name: rep.name,
        reportsLive: rep.reportsLive,
        reportsReady: rep.reportsReady,
        timeoutMs,
        overridden: ov !== undefined,
        timedOut,
        live: rLive,
        ready: rReady,
        detail: rep.latest.detail ?? '',
        lastReportMs: stamp,
      });
    }
    const s: HealthSummary = { live, ready, reporters };
    this.logTransitions(s);
    return s;
  }

  private logTransitions(s: HealthSummary): void {
    if (!this.lastOverall || this.lastOverall.live !== s.live || this.lastOverall.ready !== s.ready) {
      this.log.info(`Overall health status changed: live=${s.live} ready=${s.ready}`);
      this.lastOverall = { live: s.live, ready: s.ready };
    }
    for (const r of s.reporters) {
      if (r.reportsReady && !r.ready) {
        const why = r.timedOut ? 'timed out' : r.detail || 'reporting non-ready';
        // WARN once we have ever been ready, INFO before (libcalico-go/lib/health/health.go).
        (this.everReady ? this.log.warn : this.log.info).call(this.log, `Reporter is not ready: ${why}.`, {
          name: r.name,
        });
      }
      if (r.reportsLive && !r.live)
        this.log.warn(
          `Reporter is not live: ${r.timedOut ? 'timed out' : r.detail || 'reporting non-live'}.`,
          { name: r.name },
        );
    }
    if (s.ready) this.everReady = true;
  }
}

function fmt(r: HealthReport): string {
  return `&{Live:${r.live} Ready:${r.ready} Detail:${r.detail ?? ''}}`;
}

/** Felix's reporter names and timeouts (felix/daemon/daemon.go). */
export const REPORTER = {
  startup: 'FelixStartup',
  calcGraph: 'CalculationGraph',
  dataplane: 'InternalDataplaneMainLoop',
} as const;

export const CALC_GRAPH_TIMEOUT_MS = 30_000;
