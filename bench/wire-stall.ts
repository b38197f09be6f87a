// bench/wire-stall (issue 17 item 5): how long the real agent's event loop is held, and how much
// memory it takes, when Typha sends the largest legitimate snapshot in Typha's own message sizes,
// the same snapshot in messages of 100,000 KVs, a million tiny KVs in messages of 100,000 (the
// decoder's cap on elements), and the million in one message (a hostile Typha: refused). The agent runs with --dry-run (the calc and the compiler run, the kernel is not
// touched) against the test Typha server on loopback; a worker thread probes /liveness every
// 100 ms and samples RSS every 50 ms (bench/scale-probe.ts). See bench/wire-stall.md.
//
//   node dist/bench/wire-stall.js [--weps N] [--tiny N] [--only legit|packed|tiny]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { generateSnapshot, LOCAL_HOST, SCALE_SHAPE } from './calc-fixture.js';
import type { ProbeReport } from './scale-probe.js';
import { TyphaServer } from '../tools/typha-server/index.js';

// A port of its own per run, so that an agent left over from an interrupted run cannot answer.
const HEALTH_PORT = 20_000 + (process.pid % 20_000);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

function ready(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: HEALTH_PORT, path: '/readiness', timeout: 10_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

interface Scenario {
  readonly name: string;
  readonly kvs: readonly (readonly [string, string])[];
  /** KVs per message on both paths (default Typha's). */
  readonly perMessage?: number;
  /** The agent refuses this stream: run it this long instead of waiting for ready. */
  readonly refusedForMs?: number;
}

async function runOne(s: Scenario): Promise<Record<string, unknown>> {
  const one =
    s.perMessage === undefined ? {} : { maxKVsPerMessage: s.perMessage, snapshotBatchSize: s.perMessage };
  const server = new TyphaServer({ host: '127.0.0.1', port: 0, ...one });
  server.putMany(s.kvs);
  const port = await server.start();
  const bytes = s.kvs.reduce((n, [k, v]) => n + k.length + v.length, 0);
  const t0 = performance.now();
  const agent = spawn(
    process.execPath,
    [join(import.meta.dirname, '../bundle/felix-ts.js'), 'run', '--dry-run'],
    {
      stdio: ['ignore', process.env.BENCH_AGENT_LOG ? 'inherit' : 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        FELIX_TYPHAADDR: `127.0.0.1:${port}`,
        FELIX_FELIXHOSTNAME: LOCAL_HOST,
        FELIX_HEALTHENABLED: 'true',
        FELIX_HEALTHHOST: '127.0.0.1',
        FELIX_HEALTHPORT: String(HEALTH_PORT),
        FELIX_LOGSEVERITYSCREEN: process.env.BENCH_AGENT_LOG ?? 'error',
        FELIX_LOGFILEPATH: 'none',
      },
    },
  );
  const killAgent = (): void => void agent.kill('SIGKILL');
  process.once('exit', killAgent);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const worker = new Worker(new URL('./scale-probe.js', import.meta.url), {
    workerData: { pid: agent.pid, healthPort: HEALTH_PORT },
  });
  try {
    let readyMs: number | null = null;
    for (;;) {
      if (agent.exitCode !== null) throw new Error(`agent exited ${agent.exitCode}`);
      if (s.refusedForMs !== undefined && performance.now() - t0 > s.refusedForMs) break;
      if (await ready()) {
        readyMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'));
    // The probes stop before the agent does, so its shutdown is not counted as unanswered.
    worker.postMessage('stop');
    const probe = await new Promise<ProbeReport>((r) => worker.once('message', r));
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    return {
      scenario: s.name,
      kvs: s.kvs.length,
      MB: +(bytes / 1e6).toFixed(1),
      readyMs: readyMs === null ? 'never (refused)' : Math.round(readyMs),
      agentHwmMiB: hwm ? Math.round(Number(hwm[1]) / 1024) : null,
      ...probe,
    };
  } finally {
    agent.kill('SIGKILL');
    process.off('exit', killAgent);
    await worker.terminate();
    await server.stop();
  }
}

const weps = Number(arg('weps', '100000'));
const tiny = Number(arg('tiny', '1000000'));
const only = arg('only', '');
const legit = generateSnapshot({ ...SCALE_SHAPE, weps: weps + SCALE_SHAPE.localWeps }).map(
  (u) => [u.key, u.value!] as const,
);
// Keys the felix syncer could send and the calc ignores: the cost is the wire and the resync view.
const tinyKVs = [
  ...legit.filter(([k]) => k === '/calico/v1/Ready'),
  ...Array.from({ length: tiny }, (_, i) => [`/calico/v1/zz/${i.toString(36)}`, '1'] as const),
];
const scenarios: Scenario[] = [
  { name: 'legit (Typha message sizes)', kvs: legit },
  { name: 'legit in messages of 100,000 (the cap)', kvs: legit, perMessage: 100_000 },
  { name: `${tiny} tiny KVs in messages at the cap`, kvs: tinyKVs, perMessage: 100_000 },
  { name: `${tiny} tiny KVs in one message`, kvs: tinyKVs, perMessage: 10_000_000, refusedForMs: 30_000 },
].filter((s) => only === '' || s.name.startsWith(only));
console.error(
  `load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
const rows: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const r = await runOne(s);
  console.error(JSON.stringify(r));
  rows.push(r);
}
console.error(
  `load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
console.log(JSON.stringify(rows, null, 2));
