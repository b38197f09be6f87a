// The real collaborators, built from the configuration: SyncerClient (syncer-client), CalcGraph
// (agent/calc) and DataplaneDriver with the rule compiler (rules/driver, rules/compiler). Each is
// returned as it is; see ./deps.ts for the interfaces they satisfy.
import { SyncerClient } from '../../syncer-client/client/index.js';
import { CalcGraph } from '../calc/index.js';
import { CompilerSource, InterfaceAwareDriver, fsProcSys, runnerProcSys } from '../../rules/driver/index.js';
import { ExecaRunner, netnsPrefix } from '../../rules/backend/runner.js';
import { LineCountingRunner } from '../metrics/index.js';
import type { OverlayFacts } from '../calc/index.js';
import type { FelixConfig, ParamName, SourceKind } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { compilerConfigFrom } from './compiler-config.js';
import type { DaemonDeps } from './deps.js';
import { syncerClientOptions } from './syncer-options.js';

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

/** env, config file or flag: the sources that rank above the datastore (agent/config/resolve.ts). */
function isLocalSource(k: SourceKind | undefined): boolean {
  return k === 'env' || k === 'file' || k === 'flag';
}

export function realDeps(opts: RealDepsOptions = {}): DaemonDeps {
  return {
    makeSyncer: (cfg: FelixConfig, logger: Logger) =>
      new SyncerClient(syncerClientOptions(cfg, logger, opts.failover)),
    makeCalc: (cfg: FelixConfig, logger: Logger, sources?: Readonly<Record<ParamName, SourceKind>>) =>
      new CalcGraph({
        hostname: cfg.FelixHostname,
        logger,
        // raw table (issue 12): a local WorkloadSourceSpoofing wins over the datastore's.
        ...(isLocalSource(sources?.WorkloadSourceSpoofing)
          ? { workloadSourceSpoofing: cfg.WorkloadSourceSpoofing }
          : {}),
      }),
    makeDataplane(cfg: FelixConfig, logger: Logger, overlay?: OverlayFacts) {
      // The compiler source keeps what it compiled last: it is also the daemon's CompiledView.
      const source = new CompilerSource(compilerConfigFrom(cfg, overlay), logger);
      // Counts the lines of every restore input (felix_iptables_lines_executed, felix_ipset_lines_executed).
      const runner = new LineCountingRunner(
        new ExecaRunner({ prefix: opts.netns ? netnsPrefix(opts.netns) : [] }),
      );
      // The driver plus the interface monitor (this-host, kube-ipvs0; issue 13 item 4).
      const driver = new InterfaceAwareDriver({
        compilerConfig: source.config,
        source,
        // raw table (issue 12): rp_filter of workload interfaces, in the programmed namespace.
        procSys: opts.netns ? runnerProcSys(runner) : fsProcSys,
        backend: cfg.IptablesBackend,
        featureOverride: cfg.FeatureDetectOverride,
        ipv6: cfg.Ipv6Support,
        minApplyIntervalMs: cfg.DataplaneMinApplyIntervalMillis,
        refreshIntervalMs: cfg.IptablesRefreshInterval,
        maxIpsetSize: cfg.MaxIpsetSize,
        logger,
        netns: opts.netns,
        runner,
        dryRun: opts.dryRun,
        hostInterfaces: { resyncMs: cfg.InterfaceRefreshInterval, events: true },
      });
      return { driver, compiled: source, lines: () => runner.counts(), dryRun: opts.dryRun ?? false };
    },
  };
}
