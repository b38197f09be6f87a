// Bench: calculation graph at cluster scale (issue 4 felix/calc/event_sequencer.go). Runs each scale in a child process
// (so peak RSS is per scale) and prints the figures side by side, with the ratio of the full
// scale to the 10% baseline to show how cost grows.
//   node dist/bench/calc.js            # baseline (10%), full scale, dense, and Felix's scale
//   node dist/bench/calc.js --child 1  # one scale, JSON on stdout
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CalcGraph } from '../agent/calc/index.js';
import type { ToDataplane } from '../rules/dataplane-api/types.js';
import type { KVUpdate } from '../syncer-client/api.js';
import {
  broadPolicyKV,
  generateSnapshot,
  policyKV,
  wepKV,
  LOCAL_HOST,
  type ClusterShape,
} from './calc-fixture.js';

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
  /** Median dataplane messages per timed change (never 0: the bench throws). */
  localLabelChangeMsgs: number;
  remoteLabelChangeMsgs: number;
  policyChangeMsgs: number;
  policiesPerLocalEndpoint: number;
  stats: ReturnType<CalcGraph['stats']>;
  /** Which KV each timed change flips, and the message kinds it produced (trial run). */
  picked: string[];
}

const FULL: ClusterShape = {
  weps: 100_000,
  localWeps: 250,
  policies: 10_000,
  netsets: 2_000,
  namespaces: 1_000,
};
/** Felix's own scale target (issue 15 item 3): 250,000 endpoints, 200 of them local, 10k policies. */
const FELIX: ClusterShape = { ...FULL, weps: 250_000, localWeps: 200 };
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

function runChild(scale: number, dense: boolean, felix: boolean): Result {
  const shape: ClusterShape = felix
    ? FELIX
    : dense
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

  // The timed changes are chosen by trial so that each one does real work (an earlier version
  // timed changes that produced no output at all): every candidate is a pair (snapshot KV, altered
  // KV); it is kept only if flipping to the altered KV and back both emit the required kinds.
  const stride = Math.max(1, Math.floor(shape.weps / shape.localWeps));
  const picked: string[] = [];
  const kindsOf = (msgs: readonly ToDataplane[]): Set<string> => new Set(msgs.map((m) => m.kind));
  function pick(
    what: string,
    candidates: Iterable<readonly [KVUpdate, KVUpdate]>,
    need: readonly ToDataplane['kind'][],
  ): readonly [KVUpdate, KVUpdate] {
    let tried = 0;
    for (const [orig, alt] of candidates) {
      if (++tried > 5000) break;
      g.onUpdates([alt]);
      const there = kindsOf(g.flush());
      g.onUpdates([orig]);
      const back = kindsOf(g.flush());
      if (need.every((k) => there.has(k) && back.has(k))) {
        picked.push(`${what}: ${alt.key} -> ${[...there].join(',')}; back -> ${[...back].join(',')}`);
        return [orig, alt];
      }
    }
    throw new Error(`bench: no ${what} candidate emits ${need.join(' + ')} both ways (${tried} tried)`);
  }
  function time(what: string, [orig, alt]: readonly [KVUpdate, KVUpdate]): { us: number; msgs: number } {
    const times: number[] = [];
    const counts: number[] = [];
    for (let k = 0; k < 200; k++) {
      const u = k % 2 ? orig : alt;
      const t = performance.now();
      g.onUpdates([u]);
      const n = g.flush().length;
      times.push((performance.now() - t) * 1000);
      if (n === 0) throw new Error(`bench: ${what} iteration ${k} produced no dataplane messages`);
      counts.push(n);
    }
    return { us: Math.round(median(times)), msgs: median(counts) };
  }
  const labelVariants = (labels: Record<string, string>): Array<Record<string, string>> => {
    const out: Array<Record<string, string>> = [];
    for (const tier of ['frontend', 'backend', 'db']) if (tier !== labels['tier']) out.push({ tier });
    for (let v = 0; v < 4; v++) if (`v${v}` !== labels['version']) out.push({ version: `v${v}` });
    for (let a = 0; a < 50; a++) if (`app-${a}` !== labels['app']) out.push({ app: `app-${a}` });
    return out;
  };
  const labelsOf = (u: KVUpdate): Record<string, string> =>
    (JSON.parse(u.value as string) as { labels: Record<string, string> }).labels;
  function* wepCandidates(indexes: Iterable<number>): Generator<readonly [KVUpdate, KVUpdate]> {
    for (const i of indexes) {
      const orig = wepKV(i, shape);
      for (const o of labelVariants(labelsOf(orig))) yield [orig, wepKV(i, shape, o)];
    }
  }
  const localIdx = Array.from({ length: shape.localWeps }, (_, k) => stride * k);
  // A local endpoint relabel that changes which policies select it (endpoint update both ways).
  const localPair = pick('local label change', wepCandidates(localIdx), ['workloadEndpointUpdate']);
  // A remote endpoint relabel that adds it to / removes it from an IP set of an active policy.
  const remoteIdx = function* (): Generator<number> {
    for (let i = 0; i < shape.weps; i++) if (i % stride !== 0 || i / stride >= shape.localWeps) yield i;
  };
  const remotePair = pick('remote label change', wepCandidates(remoteIdx()), ['ipsetDeltaUpdate']);
  // An active policy (one selecting a local endpoint) narrows its selector by one label value and
  // back: the policy is re-sent and the endpoints it drops/regains are re-sent.
  const activeNames = new Set<string>();
  for (const i of localIdx) {
    const d = g.describeEndpoint(wepKV(i, shape).key);
    for (const t of [...(d?.ingress ?? []), ...(d?.egress ?? [])])
      for (const p of t.policies) activeNames.add(p.slice(p.lastIndexOf('/') + 1));
  }
  function* policyCandidates(): Generator<readonly [KVUpdate, KVUpdate]> {
    // Global policies first, so every scale tends to time the same kind of policy.
    const order = Array.from({ length: shape.policies }, (_, i) => i).sort(
      (a, b) => +(a % 5 !== 3) - +(b % 5 !== 3),
    );
    const all = [
      ...order.map((i) => policyKV(i, shape)),
      ...Array.from({ length: shape.broadPolicies ?? 0 }, (_, j) => broadPolicyKV(j)),
    ];
    for (const orig of all) {
      if (!activeNames.has(orig.key.slice(orig.key.lastIndexOf('/') + 1))) continue;
      const v = JSON.parse(orig.value as string) as { selector: string };
      for (let n = 0; n < 4; n++) {
        const alt = {
          ...orig,
          value: JSON.stringify({ ...v, selector: `(${v.selector}) && version != 'v${n}'` }),
        };
        yield [orig, alt];
      }
    }
  }
  const policyPair = pick('policy selector change', policyCandidates(), [
    'activePolicyUpdate',
    'workloadEndpointUpdate',
  ]);
  const local = time('local label change', localPair);
  const remote = time('remote label change', remotePair);
  const policy = time('policy selector change', policyPair);
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
    localLabelChangeUs: local.us,
    remoteLabelChangeUs: remote.us,
    policyChangeUs: policy.us,
    localLabelChangeMsgs: local.msgs,
    remoteLabelChangeMsgs: remote.msgs,
    policyChangeMsgs: policy.msgs,
    policiesPerLocalEndpoint: Math.round((matched / shape.localWeps) * 10) / 10,
    stats: g.stats(),
    picked,
  };
}

const args = process.argv.slice(2);
const childIdx = args.indexOf('--child');
if (childIdx >= 0) {
  process.stdout.write(
    JSON.stringify(runChild(Number(args[childIdx + 1]), args.includes('--dense'), args.includes('--felix'))) +
      '\n',
  );
} else {
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  const runs: ReadonlyArray<readonly [number, string]> = [
    [0.1, ''],
    [1, ''],
    [1, '--dense'],
    [1, '--felix'],
  ];
  for (const [scale, mode] of runs) {
    const extra = mode ? [mode] : [];
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
  const [base, full, dense, felix] = results as [Result, Result, Result, Result];
  const rows: Array<[string, keyof Result]> = [
    ['KVs in snapshot', 'kvs'],
    ['snapshot → InSync (ms)', 'snapshotToInSyncMs'],
    ['messages to dataplane', 'messages'],
    ['peak RSS (MiB)', 'peakRssMiB'],
    ['heap used after (MiB)', 'heapUsedMiB'],
    ['local label change (µs, median)', 'localLabelChangeUs'],
    ['remote label change (µs, median)', 'remoteLabelChangeUs'],
    ['policy selector change (µs, median)', 'policyChangeUs'],
    ['  messages per local label change', 'localLabelChangeMsgs'],
    ['  messages per remote label change', 'remoteLabelChangeMsgs'],
    ['  messages per policy selector change', 'policyChangeMsgs'],
    ['policies per local endpoint (ingress)', 'policiesPerLocalEndpoint'],
  ];
  console.log(
    '| measure | 10% baseline | full (100k WEPs, 250 local, 10k policies, 2k netsets) | ratio full/10% | dense (10k WEPs, 2.5k local) | Felix scale (250k WEPs, 200 local, 10k policies) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [label, k] of rows) {
    const a = base[k] as number;
    const b = full[k] as number;
    console.log(
      `| ${label} | ${a} | ${b} | ${(b / Math.max(a, 1)).toFixed(2)} | ${dense[k] as number} | ${felix[k] as number} |`,
    );
  }
  console.log('\nfull-scale stats:', JSON.stringify(full.stats));
  console.log('dense stats:', JSON.stringify(dense.stats));
  for (const [name, r] of [
    ['10%', base],
    ['full', full],
    ['dense', dense],
    ['felix', felix],
  ] as const)
    for (const p of r.picked) console.log(`${name} ${p}`);
}
