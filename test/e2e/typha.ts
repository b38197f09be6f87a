// Driver for the Typha-protocol server CLI (dist/tools/typha-server/cli.js), run inside a
// typha namespace and fed JSON-line commands: the e2e stand-in for a real Typha.
import { inNs } from './exec.js';
import { JsonLineProcess, killHard, waitExit, type JsonObject } from './processes.js';
import { typhaServerCli } from './paths.js';
import type { E2ePki } from './pki.js';
import type { TyphaSite } from './topology.js';
import type { KV } from './fixtures/kv.js';

export const TYPHA_PORT = 5473;

export class TyphaProcess {
  private readonly proc: JsonLineProcess;

  private constructor(
    readonly site: TyphaSite,
    pki: E2ePki,
    opts: { pingIntervalMs?: number },
  ) {
    const argv = [
      process.execPath,
      typhaServerCli,
      '--listen',
      `${site.ip}:${TYPHA_PORT}`,
      '--ca',
      pki.caFile,
      '--cert',
      pki.serverCertFile,
      '--key',
      pki.serverKeyFile,
      '--client-cn',
      pki.clientCN,
    ];
    if (opts.pingIntervalMs !== undefined) argv.push('--ping-interval-ms', String(opts.pingIntervalMs));
    this.proc = new JsonLineProcess(inNs(site.netns, argv), `typha[${site.ip}]`);
  }

  /** The address the agent dials (FELIX_TYPHAADDR entry). */
  get addr(): string {
    return `${this.site.ip}:${TYPHA_PORT}`;
  }

  get running(): boolean {
    return this.proc.running;
  }

  get log(): readonly string[] {
    return this.proc.log;
  }

  static async start(
    site: TyphaSite,
    pki: E2ePki,
    opts: { pingIntervalMs?: number } = {},
  ): Promise<TyphaProcess> {
    const t = new TyphaProcess(site, pki, opts);
    await t.proc.next((o) => o.event === 'listening', 30_000, 'listening');
    return t;
  }

  private async command(cmd: JsonObject): Promise<void> {
    this.proc.send(cmd);
    const r = await this.proc.next(
      (o) => o.event === 'ok' || o.event === 'error',
      15_000,
      `ack of ${String(cmd.op)}`,
    );
    if (r.event === 'error')
      throw new Error(`typha server refused ${JSON.stringify(cmd)}: ${JSON.stringify(r)}`);
  }

  async apply(kvs: readonly KV[]): Promise<void> {
    for (const kv of kvs) {
      if (kv.value === null) await this.command({ op: 'delete', key: kv.key });
      else await this.command({ op: 'put', key: kv.key, value: kv.value });
    }
  }

  async status(status: 'in-sync' | 'resync' | 'wait-for-ready'): Promise<void> {
    await this.command({ op: 'status', status });
  }

  async drop(): Promise<void> {
    await this.command({ op: 'drop' });
  }

  /** Writes raw bytes to every connected client, then closes those connections. */
  async raw(bytes: Uint8Array): Promise<void> {
    await this.command({ op: 'raw', base64: Buffer.from(bytes).toString('base64') });
  }

  /** Waits for the next client hello (consumes it); returns the client's hostname. */
  async nextClient(timeoutMs = 30_000): Promise<string> {
    const o = await this.proc.next((x) => x.event === 'client', timeoutMs, 'a client hello');
    return String(o.hostname);
  }

  /** Waits for the next disconnect event (consumes it); returns the reason. */
  async nextDisconnect(timeoutMs = 30_000): Promise<string> {
    const o = await this.proc.next((x) => x.event === 'disconnect', timeoutMs, 'a disconnect');
    return String(o.reason);
  }

  /** Number of client hellos this server has accepted so far. */
  clientsSeen(): number {
    return this.proc.history.filter((x) => x.event === 'client').length;
  }

  /** Number of disconnects this server has reported so far. */
  disconnectsSeen(): number {
    return this.proc.history.filter((x) => x.event === 'disconnect').length;
  }

  async kill(): Promise<void> {
    await killHard(this.proc.child);
  }

  async stop(): Promise<void> {
    if (!this.proc.running) return;
    this.proc.send({ op: 'exit' });
    const t = setTimeout(() => this.proc.child.kill('SIGKILL'), 3000);
    await waitExit(this.proc.child);
    clearTimeout(t);
  }
}
