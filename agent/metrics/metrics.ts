// Prometheus metrics with Felix's names where the meaning matches (felix-operations.md §3),
// plus Typha client metrics, which Felix lacks (§7 "Exceed"). Each AgentMetrics owns its own
// registry, so tests and a restarted daemon never collide on the global one.
import client from 'prom-client';

/** Counts from the calculation graph, read at scrape time. Missing fields are not exported. */
export interface CalcCounts {
  readonly clusterHosts?: number;
  readonly clusterWorkloadEndpoints?: number;
  readonly clusterHostEndpoints?: number;
  readonly clusterPolicies?: number;
  readonly clusterProfiles?: number;
  readonly clusterTiers?: number;
  readonly activeLocalEndpoints?: number;
  readonly activeLocalPolicies?: number;
  readonly activeLocalSelectors?: number;
}

/** Cumulative counters and current sizes from the dataplane driver, read at scrape time. */
export interface DataplaneCounts {
  readonly iptablesRestoreCalls?: number;
  readonly iptablesRestoreErrors?: number;
  readonly iptablesSaveCalls?: number;
  readonly iptablesSaveErrors?: number;
  readonly iptablesLinesExecuted?: number;
  readonly ipsetCalls?: number;
  readonly ipsetErrors?: number;
  readonly ipsetLinesExecuted?: number;
  readonly ipsetsTotal?: number;
  /** Calico ipsets by IP version. */
  readonly ipsetsCalico?: Readonly<Record<string, number>>;
  /** Programmed chains / rules keyed by "<ipVersion>/<table>". */
  readonly iptablesChains?: Readonly<Record<string, number>>;
  readonly iptablesRules?: Readonly<Record<string, number>>;
  readonly backend?: string;
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
  readonly calc?: () => CalcCounts | null;
  readonly dataplane?: () => DataplaneCounts | null;
  readonly typha?: () => TyphaCounts | null;
  readonly now?: () => number;
  /** Node.js runtime + process metrics (PrometheusGoMetricsEnabled / PrometheusProcessMetricsEnabled). */
  readonly processMetrics?: boolean;
}

/** felix_resync_state values (§3). */
export const RESYNC_STATE = { 'wait-for-ready': 1, resync: 2, 'in-sync': 3 } as const;

export class AgentMetrics {
  readonly registry = new client.Registry();
  readonly resyncState: client.Gauge;
  readonly resyncsStarted: client.Counter;
  readonly applyTime: client.Summary;
  readonly initialResyncTime: client.Gauge;
  readonly dataplaneFailures: client.Counter;
  readonly dataplaneMessages: client.Counter<'type'>;
  readonly calcUpdatesProcessed: client.Counter<'type'>;
  readonly calcOutputEvents: client.Counter;

  constructor(private readonly src: MetricsSources) {
    const r = [this.registry];
    const now = src.now ?? Date.now;
    new client.Gauge({
      name: 'felix_host',
      help: 'Configured Felix hostname (as a label), value always 1.',
      labelNames: ['host'],
      registers: r,
    }).set({ host: src.hostname }, 1);
    this.resyncState = new client.Gauge({
      name: 'felix_resync_state',
      help: 'Current datastore state: 1 = wait-for-datastore, 2 = resync-in-progress, 3 = in-sync.',
      registers: r,
    });
    this.resyncsStarted = new client.Counter({
      name: 'felix_resyncs_started',
      help: 'Number of resyncs started with Typha.',
      registers: r,
    });
    this.applyTime = new client.Summary({
      name: 'felix_int_dataplane_apply_time_seconds',
      help: 'Time in seconds for each incremental dataplane apply (the first apply is excluded).',
      percentiles: [0.5, 0.9, 0.99],
      registers: r,
    });
    this.initialResyncTime = new client.Gauge({
      name: 'felix_int_dataplane_initial_resync_time_seconds',
      help: 'Time in seconds of the first full dataplane apply.',
      registers: r,
    });
    this.dataplaneFailures = new client.Counter({
      name: 'felix_int_dataplane_failures',
      help: 'Number of dataplane applies that failed and will be retried.',
      registers: r,
    });
    this.dataplaneMessages = new client.Counter({
      name: 'felix_int_dataplane_messages',
      help: 'Messages from the calculation graph to the dataplane, by type.',
      labelNames: ['type'],
      registers: r,
    });
    this.calcUpdatesProcessed = new client.Counter({
      name: 'felix_calc_graph_updates_processed',
      help: 'Datastore updates processed by the calculation graph, by key type.',
      labelNames: ['type'],
      registers: r,
    });
    this.calcOutputEvents = new client.Counter({
      name: 'felix_calc_graph_output_events',
      help: 'Events emitted by the calculation graph towards the dataplane.',
      registers: r,
    });

    // Gauges read from the calculation graph at scrape time.
    const calcGauge = (name: string, help: string, pick: (c: CalcCounts) => number | undefined): void => {
      new client.Gauge({
        name,
        help,
        registers: r,
        collect() {
          const c = src.calc?.();
          const v = c ? pick(c) : undefined;
          if (v !== undefined) this.set(v);
        },
      });
    };
    calcGauge('felix_cluster_num_hosts', 'Total number of hosts in the cluster.', (c) => c.clusterHosts);
    calcGauge(
      'felix_cluster_num_workload_endpoints',
      'Total number of workload endpoints in the cluster.',
      (c) => c.clusterWorkloadEndpoints,
    );
    calcGauge(
      'felix_cluster_num_host_endpoints',
      'Total number of host endpoints in the cluster.',
      (c) => c.clusterHostEndpoints,
    );
    calcGauge(
      'felix_cluster_num_policies',
      'Total number of policies in the cluster.',
      (c) => c.clusterPolicies,
    );
    calcGauge(
      'felix_cluster_num_profiles',
      'Total number of profiles in the cluster.',
      (c) => c.clusterProfiles,
    );
    calcGauge('felix_cluster_num_tiers', 'Total number of tiers in the cluster.', (c) => c.clusterTiers);
    calcGauge(
      'felix_active_local_endpoints',
      'Number of active endpoints on this host.',
      (c) => c.activeLocalEndpoints,
    );
    calcGauge(
      'felix_active_local_policies',
      'Number of active policies on this host.',
      (c) => c.activeLocalPolicies,
    );
    calcGauge(
      'felix_active_local_selectors',
      'Number of active selectors on this host.',
      (c) => c.activeLocalSelectors,
    );

    // Counters mirrored from the driver's cumulative counts (delta on each scrape).
    const mirrored = (name: string, help: string, pick: (d: DataplaneCounts) => number | undefined): void => {
      let last = 0;
      new client.Counter({
        name,
        help,
        registers: r,
        collect() {
          const d = src.dataplane?.();
          const v = d ? pick(d) : undefined;
          if (v === undefined) return;
          // A new driver restarts its counts from 0; count its total as new work.
          const delta = v >= last ? v - last : v;
          if (delta > 0) this.inc(delta);
          last = v;
        },
      });
    };
    mirrored(
      'felix_iptables_restore_calls',
      'Number of iptables-restore calls.',
      (d) => d.iptablesRestoreCalls,
    );
    mirrored(
      'felix_iptables_restore_errors',
      'Number of iptables-restore errors.',
      (d) => d.iptablesRestoreErrors,
    );
    mirrored('felix_iptables_save_calls', 'Number of iptables-save calls.', (d) => d.iptablesSaveCalls);
    mirrored('felix_iptables_save_errors', 'Number of iptables-save errors.', (d) => d.iptablesSaveErrors);
    mirrored(
      'felix_iptables_lines_executed',
      'Number of iptables rule lines written.',
      (d) => d.iptablesLinesExecuted,
    );
    mirrored('felix_ipset_calls', 'Number of ipset restore calls.', (d) => d.ipsetCalls);
    mirrored('felix_ipset_errors', 'Number of ipset restore errors.', (d) => d.ipsetErrors);
    mirrored(
      'felix_ipset_lines_executed',
      'Number of ipset operations executed.',
      (d) => d.ipsetLinesExecuted,
    );

    new client.Gauge({
      name: 'felix_ipsets_total',
      help: 'Total number of IP sets programmed.',
      registers: r,
      collect() {
        const v = src.dataplane?.()?.ipsetsTotal;
        if (v !== undefined) this.set(v);
      },
    });
    const labelled = (
      name: string,
      help: string,
      labelNames: string[],
      pick: (d: DataplaneCounts) => Readonly<Record<string, number>> | undefined,
    ): void => {
      new client.Gauge({
        name,
        help,
        labelNames,
        registers: r,
        collect() {
          const m = src.dataplane?.();
          const rec = m ? pick(m) : undefined;
          if (!rec) return;
          this.reset();
          for (const [k, v] of Object.entries(rec)) {
            const parts = k.split('/');
            const labels: Record<string, string> = {};
            labelNames.forEach((l, i) => (labels[l] = parts[i] ?? ''));
            this.set(labels, v);
          }
        },
      });
    };
    labelled(
      'felix_ipsets_calico',
      'Number of Calico IP sets, by IP version.',
      ['ip_version'],
      (d) => d.ipsetsCalico,
    );
    labelled(
      'felix_iptables_chains',
      'Number of programmed iptables chains.',
      ['ip_version', 'table'],
      (d) => d.iptablesChains,
    );
    labelled(
      'felix_iptables_rules',
      'Number of programmed iptables rules.',
      ['ip_version', 'table'],
      (d) => d.iptablesRules,
    );
    new client.Gauge({
      name: 'felix_iptables_backend',
      help: 'The iptables backend in use (label), value always 1 (felix-ts extension).',
      labelNames: ['backend'],
      registers: r,
      collect() {
        const b = src.dataplane?.()?.backend;
        this.reset();
        if (b) this.set({ backend: b }, 1);
      },
    });

    // Typha client metrics (felix-ts extension; Felix has none, §3).
    new client.Gauge({
      name: 'felix_typha_connected',
      help: '1 when connected to Typha, else 0.',
      labelNames: ['endpoint'],
      registers: r,
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
      registers: r,
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
      registers: r,
      collect() {
        const t = src.typha?.();
        if (t) this.set(t.snapshotSize);
      },
    });
    new client.Gauge({
      name: 'felix_typha_last_message_age_seconds',
      help: 'Seconds since the last message (including pings) from Typha; -1 if none yet.',
      registers: r,
      collect() {
        const t = src.typha?.();
        if (t) this.set(t.lastMessageMs > 0 ? (now() - t.lastMessageMs) / 1000 : -1);
      },
    });

    if (src.processMetrics) client.collectDefaultMetrics({ register: this.registry });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
