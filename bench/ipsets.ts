// Bench: the IP-set member path at issue 15's size (432k members). Times and heap of
// DataplaneState taking the calc's ipsetUpdate messages, of planIpsets on an empty node (the
// startup plan) and on an unchanged one (the memo), and with --kernel (root) of `ipset restore` of
// that startup text in a scratch namespace, with and without the `hashsize` on create. See
// bench/ipsets.md. Run after building: node --expose-gc dist/bench/ipsets.js [--members N]
// [--reps N] [--kernel].
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { DataplaneState, compile, defaultCompilerConfig } from '../rules/compiler/index.js';
import type { ToDataplane } from '../rules/dataplane-api/types.js';
import { planIpsets, type SetSnapshot } from '../rules/ipsets/index.js';
import type { IpSetState } from '../rules/model.js';
import { delNetns, median, netns, run } from './kernel.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MEMBERS = arg('members', 432_000);
const REPS = arg('reps', 3);
const KERNEL = args.includes('--kernel');

/** 40 selector sets and 8 named-port sets in the calc's canonical form, sizes skewed like a cluster's. */
export function ipsetMessages(total: number): ToDataplane[] {
  const msgs: ToDataplane[] = [];
  const weights = Array.from({ length: 48 }, (_, i) => 1 / (i + 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  let addr = 0;
  const v4 = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  weights.forEach((w, i) => {
    const n = Math.max(1, Math.round((total * w) / sum));
    const members: string[] = [];
    const namedPort = i % 6 === 5;
    for (let k = 0; k < n; k++) {
      const a = addr++ % 4_000_000;
      if (namedPort) members.push(`${v4(a)},tcp:${8000 + (i % 7)}`);
      else if (k % 50 === 49)
        members.push(`fd00::${(a >> 16).toString(16)}:${(a & 0xffff).toString(16)}/128`);
      else if (k % 20 === 19) members.push(`172.${16 + (a % 16)}.${(a >> 4) & 255}.0/24`);
      else members.push(`${v4(a)}/32`);
    }
    msgs.push({ kind: 'ipsetUpdate', id: `s:bench-${i}`, type: namedPort ? 1 : 2, members });
  });
  return msgs;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function restoreMs(text: string, tag: string): Promise<number> {
  const ns = await netns('hips', tag);
  try {
    return await run(ns, 'ipset', ['restore'], text);
  } finally {
    await delNetns(ns);
  }
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: () => void }).gc) console.error('run with node --expose-gc for heap figures');
  const load0 = loadavg()[0]!.toFixed(2);
  const msgs = ipsetMessages(MEMBERS);
  const count = msgs.reduce((n, m) => n + (m.kind === 'ipsetUpdate' ? m.members.length : 0), 0);
  const cfg = defaultCompilerConfig({ ipv6Support: true });
  const applyTimes: number[] = [];
  let state = new DataplaneState();
  let stateHeap = 0;
  for (let r = 0; r < REPS; r++) {
    state = new DataplaneState();
    const h0 = heapMiB();
    const t0 = performance.now();
    for (const m of msgs) state.apply(m);
    applyTimes.push(performance.now() - t0);
    stateHeap = heapMiB() - h0;
  }
  const desired = compile(state, cfg).ipsets;
  const planTimes: number[] = [];
  let beliefHeap = 0;
  let text = '';
  let after: Map<string, SetSnapshot> = new Map();
  for (let r = 0; r < REPS; r++) {
    after = new Map();
    text = '';
    const h0 = heapMiB();
    const t0 = performance.now();
    let plan: ReturnType<typeof planIpsets> | undefined = planIpsets(desired, new Map(), {
      maxElem: 1048576,
      nextTemp: 0,
    });
    planTimes.push(performance.now() - t0);
    after = plan.after;
    const textLen = plan.text.length;
    plan = undefined;
    // What the writer keeps: the belief (the text and the line map go once the restore is done).
    beliefHeap = heapMiB() - h0;
    if (r === 0) console.error(`restore text ${(textLen / 2 ** 20).toFixed(1)} MiB`);
  }
  text = planIpsets(desired, new Map(), { maxElem: 1048576, nextTemp: 0 }).text;
  // The steady state: the writer's memo over the same members objects.
  const memo = new WeakMap<ReadonlySet<string>, SetSnapshot>();
  const first = planIpsets(desired, new Map(), { maxElem: 1048576, nextTemp: 0, memo });
  const t1 = performance.now();
  const again = planIpsets(desired, first.after, { maxElem: 1048576, nextTemp: 0, memo });
  const memoMs = performance.now() - t1;
  if (again.text !== '') throw new Error('unchanged sets re-planned');
  const sets = [...desired.values()].filter((s: IpSetState) => s.members.size > 0).length;
  const row: Record<string, string | number> = {
    members: count,
    sets,
    stateApplyMs: Math.round(median(applyTimes)),
    stateHeapMiB: Number(stateHeap.toFixed(1)),
    startupPlanMs: Math.round(median(planTimes)),
    beliefHeapMiB: Number(beliefHeap.toFixed(1)),
    memoPlanMs: Number(memoMs.toFixed(2)),
    textMiB: Number((text.length / 2 ** 20).toFixed(1)),
    beliefSharesDesired: [...after.values()].filter((s) => desired.get(s.name)?.members === s.members).length,
  };
  if (KERNEL) {
    if (process.getuid?.() !== 0) throw new Error('--kernel needs root');
    const plain = text.replace(/ hashsize \d+/g, '');
    const withH: number[] = [];
    const without: number[] = [];
    for (let r = 0; r < REPS; r++) {
      withH.push(await restoreMs(text, `h${r}`));
      without.push(await restoreMs(plain, `p${r}`));
    }
    row.restoreWithHashsizeMs = Math.round(median(withH));
    row.restoreWithoutHashsizeMs = Math.round(median(without));
  }
  row.load = `${load0} -> ${loadavg()[0]!.toFixed(2)}`;
  console.log(JSON.stringify(row, null, 1));
}

void main();
