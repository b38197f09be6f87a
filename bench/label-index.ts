// Bench: the label index alone (agent/calc/label-index.ts, issue 15 item 2). Items shaped like
// bench/calc-fixture.ts pods (6 own labels, a kns and a ksa profile with labels, 100 pods per
// namespace), 100 selectors shaped like the fixture's IP set selectors, half added before the
// items and half after. Prints build time, retained heap after a forced GC, the time to relabel
// 10,000 items, and the match count (it must not change between versions).
//   node --expose-gc dist/bench/label-index.js [items]   (default 100000)
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LabelIndex, toLabelMap } from '../agent/calc/label-index.js';
import { parseSelector } from '../agent/selector/index.js';

const gcFn = (globalThis as { gc?: () => void }).gc;
if (!gcFn) {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(r.status ?? 1);
}
const gc = gcFn as () => void;

const N = Number(process.argv[2] ?? 100_000);
const NS = Math.max(1, Math.round(N / 100));
const nsOf = (i: number): string => `ns-${Math.floor(i / Math.ceil(N / NS))}`;
const itemKey = (i: number): string =>
  `/calico/v1/host/node-${i % 997}/workload/k8s/${nsOf(i)}%2fpod-${i}/endpoint/eth0`;

let starts = 0;
let stops = 0;
gc();
const heap0 = process.memoryUsage().heapUsed;
const idx = new LabelIndex({
  onMatchStarted: () => starts++,
  onMatchStopped: () => stops++,
});
const t0 = performance.now();
for (let n = 0; n < NS; n++) {
  idx.updateParent(
    `kns.ns-${n}`,
    new Map([
      ['pcns.projectcalico.org/name', `ns-${n}`],
      ['pcns.team', `team-${n % 20}`],
    ]),
  );
  idx.updateParent(`ksa.ns-${n}.default`, new Map([['pcsa.projectcalico.org/name', 'default']]));
}
const sels: string[] = [];
for (let i = 0; i < 25; i++) {
  const ns = `ns-${i % NS}`;
  const app = `app-${i % 50}`;
  sels.push(
    `(projectcalico.org/namespace == '${ns}') && (tier == 'frontend')`,
    `tier == 'db' && app == '${app}'`,
    `pcns.team == 'team-${i % 20}'`,
    `has(projectcalico.org/namespace) && app == '${app}'`,
  );
}
const half = sels.length / 2;
sels.slice(0, half).forEach((s, k) => idx.updateSelector(`s${k}`, parseSelector(s)));
for (let i = 0; i < N; i++) {
  // The fixture's label hash (bench/calc-fixture.ts wepKV); JSON.parse as the syncer decodes.
  let h = Math.imul(i ^ (i >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  const labels = JSON.parse(
    JSON.stringify({
      app: `app-${h % 50}`,
      tier: ['frontend', 'backend', 'db'][(h >>> 8) % 3],
      version: `v${(h >>> 16) % 4}`,
      'projectcalico.org/namespace': nsOf(i),
      'projectcalico.org/orchestrator': 'k8s',
      'projectcalico.org/serviceaccount': 'default',
    }),
  ) as Record<string, string>;
  const parents = JSON.parse(`["kns.${nsOf(i)}","ksa.${nsOf(i)}.default"]`) as string[];
  idx.updateItem(itemKey(i), toLabelMap(labels), parents);
}
sels.slice(half).forEach((s, k) => idx.updateSelector(`s${half + k}`, parseSelector(s)));
const t1 = performance.now();
gc();
const heap1 = process.memoryUsage().heapUsed;
const t2 = performance.now();
for (let i = 0; i < Math.min(N, 10_000); i++) {
  const ns = nsOf(i);
  idx.updateItem(
    itemKey(i),
    new Map([
      ['app', 'app-1'],
      ['projectcalico.org/namespace', ns],
    ]),
    [`kns.${ns}`],
  );
}
const t3 = performance.now();
console.log(
  JSON.stringify({
    items: idx.itemCount,
    buildMs: Math.round(t1 - t0),
    retainedHeapMiB: Number(((heap1 - heap0) / 2 ** 20).toFixed(1)),
    relabel10kMs: Math.round(t3 - t2),
    starts,
    stops,
  }),
);
