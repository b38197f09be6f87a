// Bench (issue 12 acceptance): the full apply of every table felix-ts programs, through the
// DataplaneDriver into a fresh network namespace, against raw `ipset restore` + one
// `iptables-<backend>-restore --noflush` per table of the very same text, side by side. The tables are
// whatever compile() returns for the input (N endpoints as in bench/apply.ts, plus a natOutgoing pool),
// never a fixed list. Run as root after building: node dist/bench/apply-tables.js [--reps N]. See
// bench/apply-tables.md.
import { performance } from 'node:perf_hooks';
import { DataplaneDriver, StaticSource } from '../rules/index.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../rules/compiler/index.js';
import type { DesiredState } from '../rules/model.js';
import { messages, poolMsg } from './apply-fixture.js';
import { benchMatrix, delNetns, median, netns, run } from './kernel.js';

const args = process.argv.slice(2);
const REPS = Number(args[args.indexOf('--reps') + 1] ?? 3) || 3;
const PREFIX = 'ftt-bench';

interface Row {
  readonly backend: 'legacy' | 'nft';
  readonly endpoints: number;
  /** `<table>: <rules>` for every (IPv4) table compile() returned. */
  readonly tables: string;
  readonly sets: number;
  readonly inputBytes: number;
  readonly compileMs: number;
  readonly oursMs: number;
  readonly rawMs: number;
  readonly ratio: number;
}

function desiredFor(endpoints: number): { desired: DesiredState; compileMs: number } {
  const state = new DataplaneState();
  const msgs = messages(endpoints);
  msgs.splice(msgs.length - 1, 0, poolMsg()); // before InSync
  for (const m of msgs) state.apply(m);
  const t0 = performance.now();
  const desired = compile(state, defaultCompilerConfig({ ipv6Support: false }));
  return { desired, compileMs: performance.now() - t0 };
}

/** The restore texts the driver writes on an empty node (a dry run), in its order: ipset first. */
async function restoreTexts(ns: string, backend: Row['backend'], desired: DesiredState) {
  const dry = new DataplaneDriver({
    source: new StaticSource(),
    backend,
    netns: ns,
    dryRun: true,
    refreshIntervalMs: 0,
  });
  await dry.start();
  await dry.applyNow(desired);
  await dry.stop();
  const inputs = dry.lastRestoreInputs();
  const tables = [...inputs].filter(([k]) => k !== 'ipset').map(([, v]) => v);
  return { ipset: inputs.get('ipset') ?? '', tables };
}

async function benchOne(backend: Row['backend'], endpoints: number): Promise<Row> {
  const { desired, compileMs } = desiredFor(endpoints);
  const tables = desired.tables
    .map((t) => `${t.table}: ${[...t.chains.values()].reduce((n, c) => n + c.rules.length, 0)}`)
    .join(', ');
  const ours: number[] = [];
  const raws: number[] = [];
  const ratios: number[] = [];
  let inputBytes = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const a = await netns(PREFIX, `${backend}-o${rep}`);
    const b = await netns(PREFIX, `${backend}-r${rep}`);
    try {
      const texts = await restoreTexts(b, backend, desired);
      if (texts.tables.length !== desired.tables.length) {
        throw new Error(
          `dry run wrote ${texts.tables.length} tables, compile() returned ${desired.tables.length}`,
        );
      }
      inputBytes = texts.ipset.length + texts.tables.reduce((n, t) => n + t.length, 0);
      const raw = async () => {
        const t0 = performance.now();
        if (texts.ipset) await run(b, 'ipset', ['restore'], texts.ipset);
        for (const t of texts.tables)
          await run(b, `iptables-${backend}-restore`, ['--noflush', '--wait', '10'], t);
        raws.push(performance.now() - t0);
      };
      const driver = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: a,
        refreshIntervalMs: 0,
      });
      await driver.start();
      const apply = async () => {
        const t0 = performance.now();
        const ev = await driver.applyNow(desired);
        ours.push(performance.now() - t0);
        if (ev.refused.length > 0) throw new Error(`refused: ${JSON.stringify(ev.refused)}`);
      };
      // Alternate which side runs first, so that neither always gets the warmer machine.
      if (rep % 2 === 0) {
        await apply();
        await raw();
      } else {
        await raw();
        await apply();
      }
      await driver.stop();
      ratios.push(ours.at(-1)! / raws.at(-1)!);
    } finally {
      await delNetns(a);
      await delNetns(b);
    }
  }
  return {
    backend,
    endpoints,
    tables,
    sets: desired.ipsets.size,
    inputBytes,
    compileMs,
    oursMs: median(ours),
    rawMs: median(raws),
    ratio: median(ratios),
  };
}

async function main(): Promise<void> {
  const rows = await benchMatrix('bench/apply-tables', benchOne);
  const f = (x: number) => x.toFixed(0);
  console.log(
    '| backend | endpoints | tables (rules) | IP sets | restore input | compile ms | ours: full apply ms | raw restore ms | ratio (median of per-run ratios) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.backend} | ${r.endpoints} | ${r.tables} | ${r.sets} | ${(r.inputBytes / 1e6).toFixed(2)} MB | ${f(r.compileMs)} | ${f(r.oursMs)} | ${f(r.rawMs)} | ${r.ratio.toFixed(2)} |`,
    );
  }
}

await main();
