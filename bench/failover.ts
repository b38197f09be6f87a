// Bench: time from killing the Typha a client is synced with to InSync on the surviving Typha, with a
// 10k-KV snapshot, beside the cold start (connect → InSync) of the same client as the baseline.
// Both Typhas are the TS test server running as separate processes (dist/tools/typha-server/cli.js),
// killed with SIGKILL. Run after building: node dist/bench/failover.js [--reps N] [--kvs N]. See bench/failover.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SyncerEvent } from '../syncer-client/api.js';
import { SyncerClient } from '../syncer-client/client/index.js';

const args = process.argv.slice(2);
const arg = (name: string, d: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : d;
  return Number.isFinite(v) && v > 0 ? v : d;
};
const REPS = arg('--reps', 5);
const KVS = arg('--kvs', 10_000);
const CLI = fileURLToPath(new URL('../tools/typha-server/cli.js', import.meta.url));

interface Typha {
  readonly child: ChildProcess;
  readonly port: number;
  readonly oks: { n: number };
}

async function startTypha(): Promise<Typha> {
  const child = spawn(process.execPath, [CLI, '--listen', '127.0.0.1:0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const oks = { n: 0 };
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const o = JSON.parse(l) as { event: string; port?: number };
      if (o.event === 'listening') resolve(o.port!);
      if (o.event === 'ok') oks.n++;
    });
    child.on('exit', (code) => reject(new Error(`typha exited with ${code}`)));
  });
  return { child, port, oks };
}

async function load(t: Typha, n: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = `/calico/v1/host/node-${i % 50}/workload/k8s/ns-${i % 20}%2fpod-${i}/endpoint/eth0`;
    const value = JSON.stringify({
      state: 'active',
      name: `cali${i.toString(16).padStart(11, '0')}`,
      mac: '02:00:00:00:00:01',
      profile_ids: [`kns.ns-${i % 20}`, `ksa.ns-${i % 20}.default`],
      ipv4_nets: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`],
      labels: { app: `app-${i % 100}`, 'projectcalico.org/namespace': `ns-${i % 20}` },
    });
    lines.push(JSON.stringify({ op: 'put', key, value }));
  }
  const target = t.oks.n + n;
  t.child.stdin!.write(lines.join('\n') + '\n');
  while (t.oks.n < target) await new Promise((r) => setTimeout(r, 10));
}

function waitFor(client: SyncerClient, pred: (ev: SyncerEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = client.onEvent((ev) => {
      if (pred(ev)) {
        off();
        resolve();
      }
    });
  });
}

const inSync = (ev: SyncerEvent): boolean => ev.kind === 'batch' && ev.status === 'in-sync';

interface RepResult {
  coldMs: number;
  failoverMs: number;
  /** kill → 'disconnected' event (detection). */
  detectMs: number;
  /** kill → 'connected' to the survivor (detection + dial + hello). */
  connectMs: number;
}

async function rep(compression: boolean): Promise<RepResult> {
  const [a, b] = await Promise.all([startTypha(), startTypha()]);
  try {
    await Promise.all([load(a, KVS), load(b, KVS)]);
    const client = new SyncerClient({
      felixHostname: 'bench',
      typhaAddr: `127.0.0.1:${a.port},127.0.0.1:${b.port}`,
      compression,
    });
    const t0 = performance.now();
    const cold = waitFor(client, inSync);
    client.start();
    await cold;
    const coldMs = performance.now() - t0;
    if (client.knownKeys !== KVS) throw new Error(`expected ${KVS} keys, have ${client.knownKeys}`);
    const resynced = waitFor(client, inSync);
    let detectMs = NaN;
    let connectMs = NaN;
    const t1 = performance.now();
    const off = client.onEvent((ev) => {
      if (ev.kind === 'disconnected' && Number.isNaN(detectMs)) detectMs = performance.now() - t1;
      if (ev.kind === 'connected' && Number.isNaN(connectMs)) connectMs = performance.now() - t1;
    });
    a.child.kill('SIGKILL');
    await resynced;
    const failoverMs = performance.now() - t1;
    off();
    if (client.connectedEndpoint !== `127.0.0.1:${b.port}`) throw new Error('not on the surviving server');
    if (client.knownKeys !== KVS)
      throw new Error(`expected ${KVS} keys after failover, have ${client.knownKeys}`);
    await client.stop();
    return { coldMs, failoverMs, detectMs, connectMs };
  } finally {
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
  }
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((x, y) => x - y);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

async function main(): Promise<void> {
  console.log(`failover bench: ${KVS} KVs, ${REPS} reps per path, Felix's default failover settings`);
  for (const compression of [true, false]) {
    const runs: RepResult[] = [];
    for (let i = 0; i < REPS; i++) runs.push(await rep(compression));
    const c = stats(runs.map((r) => r.coldMs));
    const f = stats(runs.map((r) => r.failoverMs));
    const d = stats(runs.map((r) => r.detectMs));
    const k = stats(runs.map((r) => r.connectMs));
    const path = compression ? 'compressed' : 'plain     ';
    console.log(
      `${path}  cold connect→InSync median ${c.median.toFixed(1)} ms (min ${c.min.toFixed(1)}, max ${c.max.toFixed(1)})` +
        `  |  kill→InSync on survivor median ${f.median.toFixed(1)} ms (min ${f.min.toFixed(1)}, max ${f.max.toFixed(1)})` +
        `  |  ratio failover/cold ${(f.median / c.median).toFixed(2)}`,
    );
    console.log(
      `            phases (median): kill→disconnected ${d.median.toFixed(1)} ms, kill→connected ${k.median.toFixed(1)} ms, connected→InSync ${(f.median - k.median).toFixed(1)} ms`,
    );
  }
}

await main();
