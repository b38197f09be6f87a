// The real collaborators: SyncerClient (syncer-client), CalcGraph (agent/calc) and
// DataplaneDriver with the rule compiler (rules/driver, rules/compiler).
import { SyncerClient } from '../../syncer-client/client/index.js';
import { CalcGraph } from '../calc/index.js';
import { CompilerSource, DataplaneDriver } from '../../rules/driver/index.js';
import type { DesiredStateSource } from '../../rules/driver/index.js';
import type { DesiredState } from '../../rules/model.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import type { FelixConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { DataplaneCounts } from '../metrics/index.js';
import { compilerConfigFrom } from './compiler-config.js';
import type { CalcLike, DaemonDeps, DriverLike, SyncerLike } from './deps.js';
import { describeChains } from './inspect.js';
import { VERSION } from './version.js';

export interface RealDepsOptions {
  /** Program this network namespace instead of the current one (demo, tests). */
  readonly netns?: string;
  /** Compute restore input without running restore (non-root demo). */
  readonly dryRun?: boolean;
  /** Syncer client failover tuning (demo: quicker retries). */
  readonly failover?: {
    readonly retryDelayMs?: number;
    readonly roundBackoffInitialMs?: number;
    readonly roundBackoffMaxMs?: number;
  };
}

/** Keeps the last compiled state so `inspect chains` can show exactly what was applied. */
class RecordingSource implements DesiredStateSource {
  last: DesiredState | undefined;
  constructor(readonly inner: CompilerSource) {}
  apply(msgs: readonly ToDataplane[]): void {
    this.inner.apply(msgs);
  }
  desired(): DesiredState {
    this.last = this.inner.desired();
    return this.last;
  }
}

function countChains(
  d: DesiredState | undefined,
): Pick<DataplaneCounts, 'iptablesChains' | 'iptablesRules' | 'ipsetsCalico'> {
  const chains: Record<string, number> = {};
  const rules: Record<string, number> = {};
  const sets: Record<string, number> = {};
  for (const t of d?.tables ?? []) {
    const k = `${t.family}/${t.table}`;
    chains[k] = t.chains.size;
    let n = 0;
    for (const c of t.chains.values()) n += c.rules.length;
    for (const r of t.inserts.values()) n += r.length;
    for (const r of t.appends.values()) n += r.length;
    rules[k] = n;
  }
  for (const s of d?.ipsets.values() ?? []) sets[String(s.family)] = (sets[String(s.family)] ?? 0) + 1;
  return { iptablesChains: chains, iptablesRules: rules, ipsetsCalico: sets };
}

export function realDeps(opts: RealDepsOptions = {}): DaemonDeps {
  return {
    makeSyncer(cfg: FelixConfig, logger: Logger): SyncerLike {
      const client = new SyncerClient({
        felixHostname: cfg.FelixHostname,
        ...(cfg.TyphaAddr ? { typhaAddr: cfg.TyphaAddr } : {}),
        ...(cfg.TyphaK8sServiceName ? { typhaK8sServiceName: cfg.TyphaK8sServiceName } : {}),
        typhaK8sNamespace: cfg.TyphaK8sNamespace,
        ...(cfg.TyphaCAFile ? { typhaCAFile: cfg.TyphaCAFile } : {}),
        ...(cfg.TyphaCertFile ? { typhaCertFile: cfg.TyphaCertFile } : {}),
        ...(cfg.TyphaKeyFile ? { typhaKeyFile: cfg.TyphaKeyFile } : {}),
        ...(cfg.TyphaCN ? { typhaCN: cfg.TyphaCN } : {}),
        ...(cfg.TyphaURISAN ? { typhaURISAN: cfg.TyphaURISAN } : {}),
        typhaReadTimeoutMs: cfg.TyphaReadTimeout,
        typhaWriteTimeoutMs: cfg.TyphaWriteTimeout,
        version: VERSION,
        info: 'felix-ts',
        logger,
        ...(opts.failover ? { failover: opts.failover } : {}),
      });
      return {
        onEvent: (l) => client.onEvent(l),
        start: () => client.start(),
        stop: () => client.stop(),
        finished: client.finished,
        get knownKeys() {
          return client.knownKeys;
        },
      };
    },
    makeCalc(cfg: FelixConfig, logger: Logger): CalcLike {
      const g = new CalcGraph({ hostname: cfg.FelixHostname, logger });
      return {
        onUpdates: (kvs) => g.onUpdates(kvs),
        onStatus: (s) => g.onStatus(s),
        flush: () => g.flush(),
        stats: () => {
          const s = g.stats();
          return {
            clusterWorkloadEndpoints: s.clusterWorkloadEndpoints,
            activeLocalEndpoints: s.localWorkloadEndpoints + s.localHostEndpoints,
            activeLocalPolicies: s.activePolicies,
          };
        },
        describeEndpoint: (n) => g.describeEndpoint(n) ?? null,
      };
    },
    makeDriver(cfg: FelixConfig, logger: Logger): DriverLike {
      const compilerConfig = compilerConfigFrom(cfg);
      const source = new RecordingSource(new CompilerSource(compilerConfig, logger));
      const d = new DataplaneDriver({
        compilerConfig,
        source,
        backend: cfg.IptablesBackend,
        ipv6: cfg.Ipv6Support,
        minApplyIntervalMs: cfg.DataplaneMinApplyIntervalMillis,
        refreshIntervalMs: cfg.IptablesRefreshInterval,
        maxIpsetSize: cfg.MaxIpsetSize,
        logger,
        ...(opts.netns ? { netns: opts.netns } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      const driver: DriverLike = {
        start: () => d.start(),
        stop: () => d.stop(),
        onMessages: (m) => d.onMessages(m),
        on: ((ev: 'apply' | 'first-apply' | 'apply-error', l: (e: unknown) => void) =>
          d.on(ev as 'apply', l as (e: unknown) => void)) as DriverLike['on'],
        counts: () => {
          const c = d.counters;
          return {
            iptablesRestoreCalls: c.iptablesRestoreCalls,
            iptablesRestoreErrors: c.iptablesRestoreErrors,
            iptablesSaveCalls: c.iptablesSaveCalls,
            iptablesSaveErrors: c.iptablesSaveErrors,
            ipsetCalls: c.ipsetCalls,
            ipsetErrors: c.ipsetErrors,
            ipsetsTotal: source.last?.ipsets.size ?? 0,
            ...countChains(source.last),
            ...(d.backend ? { backend: d.backend } : {}),
          };
        },
        describeChains: () => describeChains(source.last, source.inner.state, compilerConfig),
        lastRestoreInputs: () => d.lastRestoreInputs(),
      };
      return driver;
    },
  };
}
