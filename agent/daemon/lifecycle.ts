// Start-up and shut-down plumbing of the daemon: the health and metrics HTTP servers (started
// before anything can block, re-bound when the datastore changes their config) and the ordered,
// bounded stop sequence (felix/daemon/daemon.go "Signals", docs/operations.md).
import type { FelixConfig } from '../config/index.js';
import { HealthServer, type DebugHandler, type HealthAggregator } from '../health/index.js';
import { MetricsServer, type AgentMetrics } from '../metrics/index.js';
import type { Logger, RootLogger } from '../log/index.js';

export interface ServersOptions {
  readonly health: HealthAggregator;
  readonly metrics: AgentMetrics;
  readonly details: () => Record<string, unknown>;
  readonly debug: Readonly<Record<string, DebugHandler>>;
  readonly logger: RootLogger;
}

type Address = { address: string; port: number } | null;

export class Servers {
  private healthServer: HealthServer | undefined;
  private metricsServer: MetricsServer | undefined;

  constructor(private readonly o: ServersOptions) {}

  /** Starts (or stops) the servers the config asks for. */
  async apply(cfg: FelixConfig): Promise<void> {
    if (cfg.HealthEnabled) {
      this.healthServer ??= new HealthServer({
        aggregator: this.o.health,
        details: this.o.details,
        debug: this.o.debug,
        logger: this.o.logger.child('health'),
      });
      await this.healthServer.listen(cfg.HealthHost, cfg.HealthPort);
    } else if (this.healthServer) {
      await this.healthServer.close();
      this.healthServer = undefined;
    }
    if (cfg.PrometheusMetricsEnabled && !this.metricsServer) {
      this.metricsServer = new MetricsServer(this.o.metrics, this.o.logger.child('metrics'));
      try {
        await this.metricsServer.listen(cfg.PrometheusMetricsHost, cfg.PrometheusMetricsPort);
      } catch (e) {
        // A port clash must not stop the node agent (docs/operations.md); say so loudly instead.
        this.o.logger.error('Failed to start Prometheus metrics server', {
          error: e instanceof Error ? e.message : String(e),
        });
        this.metricsServer = undefined;
      }
    }
  }

  healthAddress(): Address {
    return this.healthServer?.address() ?? null;
  }

  metricsAddress(): Address {
    return this.metricsServer?.address() ?? null;
  }

  closeMetrics(): Promise<void> | undefined {
    return this.metricsServer?.close();
  }

  closeHealth(): Promise<void> | undefined {
    return this.healthServer?.close();
  }
}

export type StopStep = readonly [what: string, stop: () => Promise<void> | undefined];

/** Runs the steps in order; a step that throws is logged and the next one still runs. */
export async function stopInOrder(log: Logger, steps: readonly StopStep[]): Promise<void> {
  for (const [what, stop] of steps) {
    try {
      await stop();
    } catch (e) {
      log.warn(`Error while stopping ${what}`, { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
