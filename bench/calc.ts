// Bench: calculation graph at cluster scale (issue 4 §6). Runs each scale in a child process
// (so peak RSS is per scale) and prints the figures side by side, with the ratio of the full
// scale to the 10% baseline to show how cost grows.
//   node dist/bench/calc.js            # baseline (10%) and full scale
//   node dist/bench/calc.js --child 1  # one scale, JSON on stdout
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CalcGraph } from '../agent/calc/index.js';
import { generateSnapshot, policyKV, wepKV, LOCAL_HOST, type ClusterShape } from './calc-fixture.js';

interface Result {
  scale: number;
  kvs: number;
  snapshotToInSyncMs: number;
  messages: number;
  peakRssMiB: number;
  heapUsedMiB: number;
  localLabelChangeUs: number;
  remoteLabelChangeUs: number;
  policyChangeUs: number;
  policiesPerLocalEndpoint: number;
  stats: ReturnType<CalcGraph['stats']>;
}

const FULL: ClusterShape = {
  weps: 100_000,
  localWeps: 250,
  policies: 10_000,
  netsets: 2_000,
  namespaces: 1_000,
};
/** The node-density case: 2,500 local pods of 10k, each selected by 20+ policies. */
const DENSE: ClusterShape = {
  weps: 10_000,
  localWeps: 2_500,
  policies: 1_000,
  netsets: 200,
  namespaces: 100,
  broadPolicies: 100,
};

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

function runChild(scale: number, dense: boolean): Result {
  const shape: ClusterShape = dense
    ? DENSE
    : {
        weps: Math.round(FULL.weps * scale),
        localWeps: FULL.localWeps,
        policies: Math.round(FULL.policies * scale),
        netsets: Math.round(FULL.netsets * scale),
        namespaces: Math.round(FULL.namespaces * scale),
      };
  const snapshot = generateSnapshot(shape);
  const g = new CalcGraph({ hostname: LOCAL_HOST });
  let messages = 0;
  const t0 = performance.now();
  // Typha sends ≤100 KVs per message; Felix flushes on a short tick: flush every 10 batches.
  for (let i = 0; i < snapshot.length; i += 100) {
    g.onUpdates(snapshot.slice(i, i + 100));
    if ((i / 100) % 10 === 9) messages += g.flush().length;
  }
  g.onStatus('in-sync');
  messages += g.flush().length;
  const snapshotToInSyncMs = performance.now() - t0;

  // One local endpoint flips a label that changes which policies select it.
  const stride = Math.max(1, Math.floor(shape.weps / shape.localWeps));
  const localTimes: number[] = [];
  for (let k = 0; k < 200; k++) {
    const u = wepKV(stride * 7, shape, {
      app: k % 2 ? 'app-1' : 'app-2',
      tier: 'db',
      version: k % 2 ? 'v1' : 'v2',
    });
    const t = performance.now();
    g.onUpdates([u]);
    g.flush();
    localTimes.push((performance.now() - t) * 1000);
  }
  // One remote endpoint changes labels (IP set membership only).
  const remoteTimes: number[] = [];
  for (let k = 0; k < 200; k++) {
    const u = wepKV(stride * 7 + 1, shape, { tier: k % 2 ? 'frontend' : 'backend' });
    const t = performance.now();
    g.onUpdates([u]);
    g.flush();
    remoteTimes.push((performance.now() - t) * 1000);
  }
  // One policy changes its selector back and forth.
  const policyTimes: number[] = [];
  for (let k = 0; k < 200; k++) {
    const u = policyKV(5, shape, k % 2 ? 1 : 2);
    const t = performance.now();
    g.onUpdates([u]);
    g.flush();
    policyTimes.push((performance.now() - t) * 1000);
  }
  let matched = 0;
  for (let k = 0; k < shape.localWeps; k++) {
    const d = g.describeEndpoint(wepKV(stride * k, shape).key);
    matched += d ? d.ingress.reduce((n, t) => n + t.policies.length, 0) : 0;
  }
  const mem = process.memoryUsage();
  return {
    scale,
    kvs: snapshot.length,
    snapshotToInSyncMs: Math.round(snapshotToInSyncMs),
    messages,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    localLabelChangeUs: Math.round(median(localTimes)),
    remoteLabelChangeUs: Math.round(median(remoteTimes)),
    policyChangeUs: Math.round(median(policyTimes)),
    policiesPerLocalEndpoint: Math.round((matched / shape.localWeps) * 10) / 10,
    stats: g.stats(),
  };
}

const args = process.argv.slice(2);
const childIdx = args.indexOf('--child');
if (childIdx >= 0) {
  process.stdout.write(JSON.stringify(runChild(Number(args[childIdx + 1]), args.includes('--dense'))) + '\n');
} else {
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  const runs: ReadonlyArray<readonly [number, boolean]> = [
    [0.1, false],
    [1, false],
    [1, true],
  ];
  for (const [scale, dense] of runs) {
    const extra = dense ? ['--dense'] : [];
    const r = spawnSync(
      process.execPath,
      ['--max-old-space-size=4096', self, '--child', String(scale), ...extra],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(1);
    }
    results.push(JSON.parse(r.stdout) as Result);
  }
  const [base, full, dense] = results as [Result, Result, Result];
  const rows: Array<[string, keyof Result]> = [
    ['KVs in snapshot', 'kvs'],
    ['snapshot → InSync (ms)', 'snapshotToInSyncMs'],
    ['messages to dataplane', 'messages'],
    ['peak RSS (MiB)', 'peakRssMiB'],
    ['heap used after (MiB)', 'heapUsedMiB'],
    ['local label change (µs, median)', 'localLabelChangeUs'],
    ['remote label change (µs, median)', 'remoteLabelChangeUs'],
    ['policy selector change (µs, median)', 'policyChangeUs'],
    ['policies per local endpoint (ingress)', 'policiesPerLocalEndpoint'],
  ];
  console.log(
    '| measure | 10% baseline | full (100k WEPs, 250 local, 10k policies, 2k netsets) | ratio full/10% | dense (10k WEPs, 2.5k local) |',
  );
  console.log('|---|---|---|---|---|');
  for (const [label, k] of rows) {
    const a = base[k] as number;
    const b = full[k] as number;
    console.log(`| ${label} | ${a} | ${b} | ${(b / Math.max(a, 1)).toFixed(2)} | ${dense[k] as number} |`);
  }
  console.log('\nfull-scale stats:', JSON.stringify(full.stats));
  console.log('dense stats:', JSON.stringify(dense.stats));
}
