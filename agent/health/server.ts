// The health HTTP server: /readiness and /liveness with Felix's codes and table body
// (felix/health/health.go), a JSON form with details (?format=json or Accept: application/json),
// and optional /debug/* routes for `felix-ts inspect` (loopback clients only). Only GET and HEAD
// are answered; other methods get 405 with an Allow header. Unlike Felix (docs/operations.md) it rebinds when
// HealthHost/HealthPort change, and it retries a failed bind every second instead of dying.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.js';
import { nullLogger } from '../log/index.js';
import type { HealthAggregator, HealthSummary } from './aggregator.js';
import { renderHealthTable } from './table.js';

export interface DebugResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A /debug/<name> handler: gets the query, returns JSON. */
export type DebugHandler = (query: URLSearchParams) => DebugResponse | Promise<DebugResponse>;

export interface HealthServerOptions {
  readonly aggregator: HealthAggregator;
  /** Extra facts for the JSON form (Typha endpoint, sync status, last apply, counts). */
  readonly details?: () => Record<string, unknown>;
  readonly debug?: Readonly<Record<string, DebugHandler>>;
  readonly logger?: Logger;
  readonly retryMs?: number;
}

export interface HealthJson {
  readonly live: boolean;
  readonly ready: boolean;
  readonly reporters: HealthSummary['reporters'];
  readonly details: Record<string, unknown>;
}

/** Methods every local surface answers; anything else gets 405 with this Allow header. */
export const ALLOWED_METHODS = 'GET, HEAD';

/** Answers 405 (with Allow) unless the method is GET or HEAD; true when it did. */
export function refuseMethod(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  res.writeHead(405, { allow: ALLOWED_METHODS, 'content-type': 'text/plain; charset=utf-8' });
  res.end('405 method not allowed\n');
  return true;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  const a = addr.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

function wantsJson(req: http.IncomingMessage, url: URL): boolean {
  return url.searchParams.get('format') === 'json' || /application\/json/i.test(req.headers.accept ?? '');
}

export class HealthServer {
  private server: http.Server | null = null;
  private host = '';
  private port = 0;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly opts: HealthServerOptions) {
    this.log = opts.logger ?? nullLogger;
  }

  /** Starts (or rebinds to a new address). Resolves once listening or after the first failure. */
  async listen(host: string, port: number): Promise<void> {
    if (this.server && this.host === host && this.port === port) return;
    if (this.server) {
      this.log.info('Health server address changed; rebinding.', {
        host,
        port,
        oldHost: this.host,
        oldPort: this.port,
      });
      await this.close();
    }
    this.stopped = false;
    this.host = host;
    this.port = port;
    await this.tryListen();
  }

  private tryListen(): Promise<void> {
    return new Promise((resolve) => {
      const srv = http.createServer((req, res) => {
        void this.handle(req, res).catch((e: unknown) => {
          this.log.error('Health request failed', { error: e instanceof Error ? e.message : String(e) });
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      });
      srv.keepAliveTimeout = 1000;
      srv.once('error', (err) => {
        this.log.error('Health endpoint failed, trying to restart it...', {
          error: err.message,
          host: this.host,
          port: this.port,
        });
        this.server = null;
        if (!this.stopped) this.retry = setTimeout(() => void this.tryListen(), this.opts.retryMs ?? 1000);
        resolve();
      });
      srv.listen(this.port, this.host, () => {
        this.server = srv;
        // The bound port (differs from the configured one when that is 0).
        this.log.info('Health enabled.  Starting server.', { host: this.host, port: this.address()?.port });
        resolve();
      });
    });
  }

  /** The bound address (useful with port 0 in tests). */
  address(): AddressInfo | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : null;
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (refuseMethod(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/readiness' || path === '/liveness') {
      const s = this.opts.aggregator.summary();
      const good = path === '/readiness' ? s.ready : s.live;
      const code = good ? 200 : 503;
      if (wantsJson(req, url)) {
        const body: HealthJson = {
          live: s.live,
          ready: s.ready,
          reporters: s.reporters,
          details: this.details(),
        };
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body, null, 2) + '\n');
      } else {
        res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(renderHealthTable(s));
      }
      return;
    }
    if ((path === '/debug' || path.startsWith('/debug/')) && !isLoopbackAddress(req.socket.remoteAddress)) {
      // The rule dump is for `felix-ts inspect` on the node itself: whatever HealthHost is, a
      // request from another address is refused (docs/operations.md, "Local surfaces").
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('403 /debug is served to loopback clients only\n');
      return;
    }
    const debugName = path.startsWith('/debug/') ? path.slice(7) : null;
    const handler = debugName !== null ? this.opts.debug?.[debugName] : undefined;
    if (handler) {
      const r = await handler(url.searchParams);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body, null, 2) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  }

  private details(): Record<string, unknown> {
    try {
      return this.opts.details?.() ?? {};
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }
}
