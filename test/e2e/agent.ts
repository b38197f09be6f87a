// Driver for the real agent process: `node dist/bundle/felix-ts.js run` (README), configured with
// Felix's FELIX_* environment variables (felix/config/config_params.go), started inside the node
// namespace so it programs that namespace's iptables and ipsets.
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { inNs } from './exec.js';
import { agentMain } from './paths.js';
import type { E2ePki } from './pki.js';
import { typhaClientEnv } from '../../tools/pki/index.js';
import { killHard, spawnTracked, waitExit } from './processes.js';
import { pollUntil } from './poll.js';
import type { Topology } from './topology.js';

export const HEALTH_PORT = 9099;

export interface AgentOpts {
  readonly topo: Topology;
  readonly pki: E2ePki;
  readonly hostname: string;
  /** FELIX_TYPHAADDR entries (host:port), tried in order/failover by the agent. */
  readonly typhaAddrs: readonly string[];
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export type HealthResult = { status: number; body: string } | { error: string };

export class AgentProcess {
  /** Every stdout/stderr line of every run of this agent, in arrival order. */
  readonly log: string[] = [];
  private child: ChildProcess | undefined;
  private runs = 0;

  constructor(private readonly opts: AgentOpts) {}

  env(): NodeJS.ProcessEnv {
    const o = this.opts;
    return {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env.HOME ?? '/root',
      FELIX_TYPHAADDR: o.typhaAddrs.join(','),
      ...typhaClientEnv(o.pki, o.pki.serverCN),
      FELIX_FELIXHOSTNAME: o.hostname,
      FELIX_HEALTHENABLED: 'true',
      FELIX_HEALTHHOST: '127.0.0.1',
      FELIX_HEALTHPORT: String(HEALTH_PORT),
      // E2E_AGENT_LOG_LEVEL=debug helps when a scenario fails (default info keeps CI output small).
      FELIX_LOGSEVERITYSCREEN: process.env.E2E_AGENT_LOG_LEVEL ?? 'info',
      FELIX_LOGFILEPATH: 'none',
      // Several agents share the host's file system: no endpoint status files in /var/run/calico.
      FELIX_ENDPOINTSTATUSPATHPREFIX: 'none',
      ...(o.extraEnv ?? {}),
    };
  }

  /** Starts (or restarts) the agent. */
  start(): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      throw new Error('agent already running');
    }
    const run = ++this.runs;
    const child = spawnTracked(inNs(this.opts.topo.nodeNs, [process.execPath, agentMain, 'run']), {
      env: this.env(),
      stdin: 'ignore',
    });
    this.log.push(`[e2e] agent run ${run} started pid=${child.pid}`);
    readline.createInterface({ input: child.stdout! }).on('line', (l) => this.log.push(l));
    readline.createInterface({ input: child.stderr! }).on('line', (l) => this.log.push(l));
    child.on('exit', (code, sig) =>
      this.log.push(`[e2e] agent run ${run} exited code=${code} signal=${sig}`),
    );
    this.child = child;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private killedCount = 0;

  /** Number of agent runs that exited on their own (not by our kill/stop). */
  unexpectedExits(): number {
    return this.log.filter((l) => /^\[e2e\] agent run \d+ exited/.test(l)).length - this.killedCount;
  }

  async kill9(): Promise<void> {
    if (!this.child) return;
    if (this.running) this.killedCount++;
    await killHard(this.child);
  }

  /** SIGTERM (the agent leaves its rules in place), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    this.killedCount++;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await waitExit(c);
    clearTimeout(t);
  }

  tail(n = 40): string {
    return this.log.slice(-n).join('\n');
  }

  /** Log lines from index `from` on (use `log.length` as a mark). */
  since(from: number): string[] {
    return this.log.slice(from);
  }

  private async health(path: 'readiness' | 'liveness'): Promise<HealthResult> {
    const w = await this.opts.topo.nodeWorker();
    return w.httpGet(`http://127.0.0.1:${HEALTH_PORT}/${path}`, 2000);
  }

  readiness(): Promise<HealthResult> {
    return this.health('readiness');
  }

  liveness(): Promise<HealthResult> {
    return this.health('liveness');
  }

  /** Polls /readiness until 200 (generous default: a loaded 2-core machine). */
  async waitReady(timeoutMs = 30_000): Promise<number> {
    try {
      const { elapsedMs } = await pollUntil(
        'agent readiness 200',
        async () => {
          if (!this.running) throw new Error('agent is not running');
          const r = await this.readiness();
          return {
            ok: 'status' in r && r.status === 200,
            value: r,
            describe: JSON.stringify(r).slice(0, 300),
          };
        },
        { timeoutMs, intervalMs: 100 },
      );
      return elapsedMs;
    } catch (err) {
      throw new Error(`${String(err)}\nagent log tail:\n${this.tail()}`);
    }
  }
}
