// Driver for netns-worker.js: one long-lived traffic process per network namespace.
import { fileURLToPath } from 'node:url';
import { inNs } from './exec.js';
import { JsonLineProcess, type JsonObject } from './processes.js';

const workerScript = fileURLToPath(new URL('./netns-worker.js', import.meta.url));

export interface ConnectResult {
  readonly ok: boolean;
  readonly error?: string;
}

export class NetnsWorker {
  private readonly proc: JsonLineProcess;
  private nextId = 1;

  private constructor(
    readonly ns: string,
    listenPorts: readonly number[],
  ) {
    const argv = inNs(ns, [process.execPath, workerScript, '--listen', listenPorts.join(',') || '']);
    this.proc = new JsonLineProcess(argv, `worker[${ns}]`);
  }

  /** Starts a worker in `ns` serving TCP echo on `listenPorts`, and waits until it listens. */
  static async start(ns: string, listenPorts: readonly number[]): Promise<NetnsWorker> {
    const w = new NetnsWorker(ns, listenPorts);
    await w.proc.next((o) => o.event === 'ready', 30_000, 'worker ready');
    return w;
  }

  private async call(cmd: JsonObject, timeoutMs: number): Promise<JsonObject> {
    const id = this.nextId++;
    this.proc.send({ ...cmd, id });
    // The worker enforces its own timeout; the extra margin covers a busy event loop.
    return this.proc.next((o) => o.id === id, timeoutMs + 15_000, `reply to ${String(cmd.op)}`);
  }

  /** A fresh TCP connection with one echoed round trip. */
  async connect(host: string, port: number, timeoutMs = 1000): Promise<ConnectResult> {
    const r = await this.call({ op: 'connect', host, port, timeoutMs }, timeoutMs);
    return r.ok === true ? { ok: true } : { ok: false, error: String(r.error) };
  }

  /** Opens a long-lived connection; returns its handle. */
  async open(host: string, port: number, timeoutMs = 2000): Promise<number> {
    const r = await this.call({ op: 'open', host, port, timeoutMs }, timeoutMs);
    if (r.ok !== true) throw new Error(`open ${host}:${port} from ${this.ns} failed: ${String(r.error)}`);
    return Number(r.conn);
  }

  /** One round trip on a long-lived connection. */
  async echo(conn: number, timeoutMs = 1000): Promise<ConnectResult> {
    const r = await this.call({ op: 'echo', conn, timeoutMs }, timeoutMs);
    return r.ok === true ? { ok: true } : { ok: false, error: String(r.error) };
  }

  async close(conn: number): Promise<void> {
    await this.call({ op: 'close', conn }, 1000);
  }

  /** HTTP GET from inside the namespace (used for the agent's health endpoint). */
  async httpGet(
    url: string,
    timeoutMs = 2000,
  ): Promise<{ status: number; body: string } | { error: string }> {
    const r = await this.call({ op: 'http', url, timeoutMs }, timeoutMs);
    if (r.ok !== true) return { error: String(r.error) };
    return { status: Number(r.status), body: String(r.body) };
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
