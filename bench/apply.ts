// Bench: full apply time of the dataplane writer versus raw iptables-restore of the same text,
// per backend, in scratch network namespaces; plus the latency of one incremental policy change.
// Run as root after building: node dist/bench/apply.js [--reps N]. See bench/apply.md.
import { performance } from 'node:perf_hooks';
import { DataplaneDriver, StaticSource } from '../rules/index.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../rules/compiler/index.js';
import { messages, policyMsg } from './apply-fixture.js';
import type { DesiredState } from '../rules/model.js';
import { benchMatrix, delNetns, median, netns as benchNetns, run } from './kernel.js';

const args = process.argv.slice(2);
const REPS = Number(args[args.indexOf('--reps') + 1] ?? 3) || 3;

const netns = (tag: string) => benchNetns('fxe-bench', tag);

interface Row {
  backend: string;
  endpoints: number;
  chains: number;
  rules: number;
  inputBytes: number;
  compileMs: number;
  writerMs: number;
  rawMs: number;
  ratio: number;
  incrMs: number;
  incrRawMs: number;
  incrRefreshMs: number;
}

async function benchOne(backend: 'legacy' | 'nft', endpoints: number): Promise<Row> {
  const cfg = defaultCompilerConfig({ ipv6Support: false });
  const state = new DataplaneState();
  for (const m of messages(endpoints)) state.apply(m);
  const tc = performance.now();
  const desired: DesiredState = compile(state, cfg);
  const compileMs = performance.now() - tc;
  const filter = desired.tables.find((t) => t.table === 'filter' && t.family === 4)!;
  const rules = [...filter.chains.values()].reduce((n, c) => n + c.rules.length, 0);

  const writerTimes: number[] = [];
  const rawTimes: number[] = [];
  const incr: number[] = [];
  const incrRaw: number[] = [];
  const incrRefresh: number[] = [];
  const ratios: number[] = [];
  let inputBytes = 0;
  for (let rep = 0; rep < REPS; rep++) {
    // Writer: a fresh namespace, one full apply (ipset restore + save + plan + restore per table).
    const a = await netns(`${backend}-w${rep}`);
    const b = await netns(`${backend}-r${rep}`);
    try {
      // The restore texts the writer produces on an empty node (dry run), for the raw baseline.
      const dry = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: b,
        dryRun: true,
        refreshIntervalMs: 0,
      });
      await dry.start();
      await dry.applyNow(desired);
      const inputs = dry.lastRestoreInputs();
      const iptText = [...inputs].filter(([k]) => k.startsWith('ipv4/')).map(([, v]) => v);
      inputBytes = iptText.reduce((n, t) => n + t.length, 0);
      // Baseline: raw `ipset restore` + `iptables-restore --noflush` of the very same texts.
      const raw = async () => {
        const t1 = performance.now();
        await run(b, 'ipset', ['restore'], inputs.get('ipset'));
        for (const t of iptText)
          await run(b, `iptables-${backend}-restore`, ['--noflush', '--wait', '10'], t);
        rawTimes.push(performance.now() - t1);
      };
      // Writer: one full apply in a fresh namespace (ipset restore, then save + plan + restore per table).
      const driver = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: a,
        refreshIntervalMs: 0,
      });
      await driver.start();
      const writer = async () => {
        const t0 = performance.now();
        await driver.applyNow(desired);
        writerTimes.push(performance.now() - t0);
      };
      // Alternate the order so that neither side always runs on a warmer machine.
      if (rep % 2 === 0) {
        await writer();
        await raw();
      } else {
        await raw();
        await writer();
      }
      ratios.push(writerTimes.at(-1)! / rawTimes.at(-1)!);

      // One incremental policy change (port of one policy): cached belief, then with a re-read.
      state.apply(policyMsg(7, 9000 + rep));
      const changed = compile(state, cfg);
      const t2 = performance.now();
      await driver.applyNow(changed);
      incr.push(performance.now() - t2);
      const delta = driver.lastRestoreInputs().get('ipv4/filter')!;
      const t3 = performance.now();
      await run(b, `iptables-${backend}-restore`, ['--noflush', '--wait', '10'], delta);
      incrRaw.push(performance.now() - t3);
      state.apply(policyMsg(7, 9500 + rep));
      const changed2 = compile(state, cfg);
      driver.refresh();
      const t4 = performance.now();
      await driver.applyNow(changed2);
      incrRefresh.push(performance.now() - t4);
      await driver.stop();
    } finally {
      await delNetns(a);
      await delNetns(b);
    }
  }
  const writerMs = median(writerTimes);
  const rawMs = median(rawTimes);
  return {
    backend,
    endpoints,
    chains: filter.chains.size,
    rules,
    inputBytes,
    compileMs,
    writerMs,
    rawMs,
    ratio: median(ratios),
    incrMs: median(incr),
    incrRawMs: median(incrRaw),
    incrRefreshMs: median(incrRefresh),
  };
}

async function main(): Promise<void> {
  const rows = await benchMatrix('bench/apply', benchOne);
  const f = (x: number) => x.toFixed(0);
  console.log(
    '| backend | endpoints | filter chains | rules | restore input | compile ms | writer full apply ms | raw restore ms | ratio (median of per-run ratios) | incremental ms (cached) | raw restore of the delta ms | incremental ms (with re-read) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.backend} | ${r.endpoints} | ${r.chains} | ${r.rules} | ${(r.inputBytes / 1e6).toFixed(2)} MB | ${f(r.compileMs)} | ${f(r.writerMs)} | ${f(r.rawMs)} | ${r.ratio.toFixed(2)} | ${f(r.incrMs)} | ${f(r.incrRawMs)} | ${f(r.incrRefreshMs)} |`,
    );
  }
}

await main();
