// GET /metrics on PrometheusMetricsHost:PrometheusMetricsPort (felix/daemon/daemon.go).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.js';
import { nullLogger } from '../log/index.js';
import type { AgentMetrics } from './metrics.js';

export class MetricsServer {
  private server: http.Server | null = null;

  constructor(
    private readonly metrics: AgentMetrics,
    private readonly logger: Logger = nullLogger,
  ) {}

  /** host "" binds every interface, as Felix does when PrometheusMetricsHost is unset. */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const srv = http.createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path !== '/metrics') {
          res.writeHead(404);
          res.end('404 page not found\n');
          return;
        }
        this.metrics
          .text()
          .then((body) => {
            res.writeHead(200, { 'content-type': this.metrics.contentType });
            res.end(body);
          })
          .catch((e: unknown) => {
            this.logger.error('Failed to render metrics', {
              error: e instanceof Error ? e.message : String(e),
            });
            res.writeHead(500);
            res.end();
          });
      });
      srv.once('error', reject);
      const done = (): void => {
        srv.off('error', reject);
        srv.on('error', (e) => this.logger.error('Metrics server error', { error: e.message }));
        this.server = srv;
        this.logger.info('Started Prometheus metrics server.', { host, port: this.address()?.port ?? port });
        resolve();
      };
      if (host === '') srv.listen(port, done);
      else srv.listen(port, host, done);
    });
  }

  address(): AddressInfo | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : null;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}
