// Prometheus metrics with Felix's names where the meaning matches (felix/calc, felix/iptables, felix/ipsets),
// plus Typha client metrics, which Felix lacks. Each AgentMetrics owns its own
// registry, so tests and a restarted daemon never collide on the global one. Only what felix-ts
// can count is exported: a metric without a source would report a false 0.
import { registerCertExpiry, type CertFile } from './cert-expiry.js';
import { setExecObserver } from '../../rules/backend/runner.js';
import { logStats } from '../log/index.js';
import client from 'prom-client';
import type { KVUpdate } from '../../syncer-client/api.js';
import { ClusterCounts, type ClusterCountsView } from './cluster-counts.js';
import type { DataplaneCounts } from './dataplane-counts.js';
import { keyTypeLabelOf } from './key-type.js';
import { parseKey, type Key } from '../model/index.js';

/** The calculation graph's counts (CalcGraph.stats(), agent/calc), read at scrape time. */
export interface CalcCounts {
  readonly clusterWorkloadEndpoints: number;
  readonly localWorkloadEndpoints: number;
  readonly localHostEndpoints: number;
  readonly activePolicies: number;
  /** Active IP sets (selector, named-port and service sets): felix/calc/calc_graph.go OnIPSetActive. */
  readonly ipSets?: number;
}

export interface TyphaCounts {
  readonly connected: boolean;
  readonly endpoint: string;
  readonly reconnects: number;
  /** KVs in the last complete snapshot (resync up to in-sync). */
  readonly snapshotSize: number;
  /** Clock time (ms) of the last message from Typha, 0 = never. */
  readonly lastMessageMs: number;
}

export interface MetricsSources {
  readonly hostname: string;
  readonly calc?: () => CalcCounts | undefined;
  readonly dataplane?: () => DataplaneCounts | undefined;
  readonly typha?: () => TyphaCounts | undefined;
  readonly now?: () => number;
  /** The Typha client certificate and CA files, for the expiry gauge (cert-expiry.ts). */
  readonly certFiles?: () => readonly CertFile[];
  /** Node.js runtime + process metrics (PrometheusGoMetricsEnabled / PrometheusProcessMetricsEnabled). */
  readonly processMetrics?: boolean;
}

/** felix_resync_state values (felix/calc/async_calc_graph.go). */
export const RESYNC_STATE = { 'wait-for-ready': 1, resync: 2, 'in-sync': 3 } as const;

type Table<T> = readonly (readonly [name: string, help: string, pick: T])[];

/** Gauges read from the calculation graph at scrape time. */
const CALC_GAUGES: Table<(c: CalcCounts) => number | undefined> = [
  [
    'felix_cluster_num_workload_endpoints',
    'Total number of workload endpoints in the cluster.',
    (c) => c.clusterWorkloadEndpoints,
  ],
  [
    'felix_active_local_endpoints',
    'Number of active endpoints on this host.',
    (c) => c.localWorkloadEndpoints + c.localHostEndpoints,
  ],
  ['felix_active_local_policies', 'Number of active policies on this host.', (c) => c.activePolicies],
  ['felix_active_local_selectors', 'Number of active selectors on this host.', (c) => c.ipSets],
];

/** Gauges from the datastore updates seen (felix/calc/stats_collector.go). */
const CLUSTER_GAUGES: Table<(c: ClusterCountsView) => number> = [
  ['felix_cluster_num_hosts', 'Total number of calico hosts in the cluster.', (c) => c.hosts],
  [
    'felix_cluster_num_host_endpoints',
    'Total number of host endpoints cluster-wide.',
    (c) => c.hostEndpoints,
  ],
  ['felix_cluster_num_tiers', 'Total number of tiers cluster-wide.', (c) => c.tiers],
  ['felix_cluster_num_policies', 'Total number of policies cluster-wide.', (c) => c.policies],
  ['felix_cluster_num_profiles', 'Total number of profiles cluster-wide.', (c) => c.profiles],
];

/** Counters mirrored from the driver's cumulative counts (the delta is added on each scrape). */
const MIRRORED: Table<(d: DataplaneCounts) => number> = [
  ['felix_iptables_restore_calls', 'Number of iptables-restore calls.', (d) => d.iptablesRestoreCalls],
  ['felix_iptables_restore_errors', 'Number of iptables-restore errors.', (d) => d.iptablesRestoreErrors],
  ['felix_iptables_save_calls', 'Number of iptables-save calls.', (d) => d.iptablesSaveCalls],
  ['felix_iptables_save_errors', 'Number of iptables-save errors.', (d) => d.iptablesSaveErrors],
  ['felix_ipset_calls', 'Number of ipset restore calls.', (d) => d.ipsetCalls],
  ['felix_ipset_errors', 'Number of ipset restore errors.', (d) => d.ipsetErrors],
];

/** Gauges by label, from records keyed "<label 1>/<label 2>". */
const LABELLED: readonly (readonly [
  name: string,
  help: string,
  labelNames: readonly string[],
  pick: (d: DataplaneCounts) => Readonly<Record<string, number>>,
])[] = [
  ['felix_ipsets_calico', 'Number of Calico IP sets, by IP version.', ['ip_version'], (d) => d.ipsetsCalico],
  [
    'felix_iptables_chains',
    'Number of programmed iptables chains.',
    ['ip_version', 'table'],
    (d) => d.iptablesChains,
  ],
  [
    'felix_iptables_rules',
    'Number of programmed iptables rules.',
    ['ip_version', 'table'],
    (d) => d.iptablesRules,
  ],
];

export class AgentMetrics {
  readonly registry = new client.Registry();
  readonly resyncState: client.Gauge;
  readonly resyncsStarted: client.Counter;
  readonly applyTime: client.Summary;
  readonly initialResyncTime: client.Gauge;
  readonly dataplaneFailures: client.Counter;
  /** Chains/sets the kernel refused in the last apply (isolated; no Felix equivalent). */
  readonly dataplaneQuarantined: client.Gauge<'ip_version' | 'table'>;
  /** What in use felix-ts does not enforce (1 per feature; no Felix equivalent). */
  readonly unsupportedFeatures: client.Gauge<'feature'>;
  readonly dataplaneMessages: client.Counter<'type'>;
  readonly calcUpdatesProcessed: client.Counter<'type'>;
  readonly calcOutputEvents: client.Counter;
  readonly calcUpdateTime: client.Summary;
  readonly dataplaneBatchSize: client.Summary;
  private readonly cluster = new ClusterCounts();

  constructor(src: MetricsSources) {
    const registers = [this.registry];
    for (const [name, help, pick] of CLUSTER_GAUGES) {
      const cluster = this.cluster;
      new client.Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(cluster));
        },
      });
    }
    new client.Gauge({
      name: 'felix_host',
      help: 'Configured Felix hostname (as a label), value always 1.',
      labelNames: ['host'],
      registers,
    }).set({ host: src.hostname }, 1);
    this.resyncState = new client.Gauge({
      name: 'felix_resync_state',
      help: 'Current datastore state: 1 = wait-for-datastore, 2 = resync-in-progress, 3 = in-sync.',
      registers,
    });
    this.resyncsStarted = new client.Counter({
      name: 'felix_resyncs_started',
      help: 'Number of resyncs started with Typha.',
      registers,
    });
    this.applyTime = new client.Summary({
      name: 'felix_int_dataplane_apply_time_seconds',
      help: 'Time in seconds for each incremental dataplane apply (the first apply is excluded).',
      percentiles: [0.5, 0.9, 0.99],
      registers,
    });
    this.initialResyncTime = new client.Gauge({
      name: 'felix_int_dataplane_initial_resync_time_seconds',
      help: 'Time in seconds of the first full dataplane apply.',
      registers,
    });
    this.dataplaneFailures = new client.Counter({
      name: 'felix_int_dataplane_failures',
      help: 'Number of dataplane applies that failed and will be retried.',
      registers,
    });
    this.dataplaneQuarantined = new client.Gauge({
      name: 'felix_dataplane_quarantined',
      help: 'Chains and IP sets the kernel refused in the last apply, isolated while the rest was programmed.',
      labelNames: ['ip_version', 'table'],
      registers,
    });
    this.unsupportedFeatures = new client.Gauge({
      name: 'felix_ts_unsupported_features',
      help: 'Features in use that felix-ts does not enforce (1 each, or the number of datastore KVs using it); the log and the readiness detail say what.',
      labelNames: ['feature'],
      registers,
    });
    this.dataplaneMessages = new client.Counter({
      name: 'felix_int_dataplane_messages',
      help: 'Messages from the calculation graph to the dataplane, by type.',
      labelNames: ['type'],
      registers,
    });
    this.calcUpdatesProcessed = new client.Counter({
      name: 'felix_calc_graph_updates_processed',
      help: 'Datastore updates processed by the calculation graph, by key type.',
      labelNames: ['type'],
      registers,
    });
    // felix/calc/async_calc_graph.go: observed once per batch of datastore updates.
    this.calcUpdateTime = new client.Summary({
      name: 'felix_calc_graph_update_time_seconds',
      help: 'Seconds to update calculation graph for each datastore OnUpdate call.',
      registers,
    });
    // felix/dataplane/linux/int_dataplane.go: messages per batch; here one batch is what one calc flush
    // hands the dataplane (the driver may coalesce several into one apply).
    this.dataplaneBatchSize = new client.Summary({
      name: 'felix_int_dataplane_msg_batch_size',
      help: "Number of messages processed in each batch. Higher values indicate we're doing more batching to try to keep up.",
      registers,
    });
    // felix/ipsets/ipset_defs.go; observed for every child the dataplane starts (rules/backend/runner.ts).
    const execTime = new client.Summary({
      name: 'felix_exec_time_micros',
      help: 'Summary of time taken to fork/exec child processes',
      registers,
    });
    setExecObserver((us) => execTime.observe(us));
    // felix/logutils/logutils.go; counted in agent/log/logger.ts.
    mirrorCounter(
      registers,
      'felix_log_errors',
      'Number of errors encountered while logging.',
      () => logStats.errors,
    );
    mirrorCounter(
      registers,
      'felix_logs_dropped',
      'Number of logs dropped because the output stream was blocked.',
      () => logStats.dropped,
    );
    this.calcOutputEvents = new client.Counter({
      name: 'felix_calc_graph_output_events',
      help: 'Events emitted by the calculation graph towards the dataplane.',
      registers,
    });
    registerScraped(this.registry, src);
    if (src.certFiles) registerCertExpiry(this.registry, src.certFiles);
    if (src.processMetrics) client.collectDefaultMetrics({ register: this.registry });
  }

  /** One datastore update on its way to the calculation graph. */
  onUpdate(u: KVUpdate): void {
    this.onUpdates([u]);
  }

  /** A batch of updates: each key parsed once, the counter incremented once per key type. */
  onUpdates(updates: readonly KVUpdate[], keys?: readonly (Key | null)[]): void {
    const byType = new Map<string, number>();
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      const k = keys ? keys[i]! : parseKey(u.key);
      const type = keyTypeLabelOf(k);
      byType.set(type, (byType.get(type) ?? 0) + 1);
      this.cluster.onUpdate(u, k);
    }
    for (const [type, n] of byType) this.calcUpdatesProcessed.inc({ type }, n);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * A counter that mirrors a count kept elsewhere, read at scrape time (undefined: no source yet). A count
 * that went down was restarted (a new driver counts from 0): its whole value is new work.
 */
function mirrorCounter(
  registers: client.Registry[],
  name: string,
  help: string,
  read: () => number | undefined,
): void {
  let last = 0;
  new client.Counter({
    name,
    help,
    registers,
    collect() {
      const v = read();
      if (v === undefined) return;
      const delta = v >= last ? v - last : v;
      if (delta > 0) this.inc(delta);
      last = v;
    },
  });
}

/** The metrics whose value is read from the calc graph, the driver or the Typha client at scrape time. */
function registerScraped(registry: client.Registry, src: MetricsSources): void {
  const registers = [registry];
  const now = src.now ?? Date.now;
  for (const [name, help, pick] of CALC_GAUGES) {
    new client.Gauge({
      name,
      help,
      registers,
      collect() {
        const c = src.calc?.();
        const v = c && pick(c);
        if (v !== undefined) this.set(v);
      },
    });
  }
  for (const [name, help, pick] of MIRRORED) {
    mirrorCounter(registers, name, help, () => {
      const d = src.dataplane?.();
      return d && pick(d);
    });
  }
  for (const [name, help, labelNames, pick] of LABELLED) {
    new client.Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers,
      collect() {
        const d = src.dataplane?.();
        if (!d) return;
        this.reset();
        for (const [k, v] of Object.entries(pick(d))) {
          const parts = k.split('/');
          this.set(Object.fromEntries(labelNames.map((l, i) => [l, parts[i] ?? ''])), v);
        }
      },
    });
  }
  registerLines(registers, src);
  new client.Gauge({
    name: 'felix_ipsets_total',
    help: 'Total number of IP sets programmed.',
    registers,
    collect() {
      const d = src.dataplane?.();
      if (d) this.set(d.ipsetsTotal);
    },
  });
  new client.Gauge({
    name: 'felix_iptables_backend',
    help: 'The iptables backend in use (label), value always 1 (felix-ts extension).',
    labelNames: ['backend'],
    registers,
    collect() {
      const b = src.dataplane?.()?.backend;
      this.reset();
      if (b) this.set({ backend: b }, 1);
    },
  });
  registerTypha(registers, src, now);
}

/** Restore lines executed, mirrored from the counting runner (agent/metrics/line-counter.ts). */
function registerLines(registers: client.Registry[], src: MetricsSources): void {
  const last = new Map<string, number>();
  new client.Counter({
    name: 'felix_iptables_lines_executed',
    help: 'Number of iptables rule updates executed.',
    labelNames: ['ip_version', 'table'],
    registers,
    collect() {
      for (const [k, v] of Object.entries(src.dataplane?.()?.lines?.iptables ?? {})) {
        const prev = last.get(k) ?? 0;
        const delta = v >= prev ? v - prev : v;
        const [ipVersion = '', table = ''] = k.split('/');
        if (delta > 0) this.inc({ ip_version: ipVersion, table }, delta);
        last.set(k, v);
      }
    },
  });
  let lastIpset = 0;
  new client.Counter({
    name: 'felix_ipset_lines_executed',
    help: 'Number of ipset operations executed.',
    registers,
    collect() {
      const v = src.dataplane?.()?.lines?.ipset;
      if (v === undefined) return;
      const delta = v >= lastIpset ? v - lastIpset : v;
      if (delta > 0) this.inc(delta);
      lastIpset = v;
    },
  });
}

/** Typha client metrics (felix-ts extension; Felix has none). */
function registerTypha(registers: client.Registry[], src: MetricsSources, now: () => number): void {
  new client.Gauge({
    name: 'felix_typha_connected',
    help: '1 when connected to Typha, else 0.',
    labelNames: ['endpoint'],
    registers,
    collect() {
      const t = src.typha?.();
      this.reset();
      if (t) this.set({ endpoint: t.endpoint }, t.connected ? 1 : 0);
    },
  });
  let lastReconnects = 0;
  new client.Counter({
    name: 'felix_typha_reconnects',
    help: 'Number of times the Typha connection was re-established after a loss.',
    registers,
    collect() {
      const v = src.typha?.()?.reconnects;
      if (v === undefined) return;
      if (v > lastReconnects) this.inc(v - lastReconnects);
      lastReconnects = v;
    },
  });
  new client.Gauge({
    name: 'felix_typha_snapshot_size',
    help: 'Number of KVs in the last complete snapshot received from Typha.',
    registers,
    collect() {
      const t = src.typha?.();
      if (t) this.set(t.snapshotSize);
    },
  });
  new client.Gauge({
    name: 'felix_typha_last_message_age_seconds',
    help: 'Seconds since the last message (including pings) from Typha; -1 if none yet.',
    registers,
    collect() {
      const t = src.typha?.();
      if (t) this.set(t.lastMessageMs > 0 ? (now() - t.lastMessageMs) / 1000 : -1);
    },
  });
}
