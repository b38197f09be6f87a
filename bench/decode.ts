// Key and value decoding of a whole snapshot (issue 15 item 2): parseKey and decodeValue over the
// scale bench's cluster (bench/calc-fixture.ts generateSnapshot, 100,250 endpoints, 2,000 policies),
// and the heap the syncer client's ResyncView holds for that snapshot. Keys and values are flat
// strings, as the gob decoder makes them, so only what is kept survives a GC.
// Usage: npx tsc -p tsconfig.json && node --expose-gc dist/bench/decode.js [--rounds N]
// See bench/decode.md.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { KVUpdate } from '../syncer-client/api.js';
import { ResyncView } from '../syncer-client/client/resync.js';
import type { z } from 'zod';
import {
  decodeValue,
  hostEndpointSchema,
  networkSetSchema,
  parseKey,
  policySchema,
  profileRulesSchema,
  workloadEndpointSchema,
  type Key,
  type KeyType,
} from '../agent/model/index.js';
import { valueProblems } from '../agent/model/validate.js';
import { generateSnapshot, SCALE_SHAPE } from './calc-fixture.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const flat = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) g();
}

function snapshot(): KVUpdate[] {
  return generateSnapshot(SCALE_SHAPE).map((u) => ({
    ...u,
    key: flat(u.key),
    value: u.value === null ? null : flat(u.value),
  }));
}

function timeKeys(snap: readonly KVUpdate[]): { ms: number; keys: Key[] } {
  const keys: Key[] = [];
  const t = performance.now();
  for (const u of snap) {
    const k = parseKey(u.key);
    if (k === null) throw new Error(`bench: unparsed key ${u.key}`);
    keys.push(k);
  }
  return { ms: performance.now() - t, keys };
}

/** CPU ms (user + system) of the main thread's process over fn. */
function cpuMs(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
}

function decodeAll(snap: readonly KVUpdate[], keys: readonly Key[]): void {
  for (let i = 0; i < snap.length; i++) {
    const u = snap[i] as KVUpdate;
    const r = decodeValue(keys[i] as Key, u.key, u.value as string);
    if (!r.ok) throw new Error(`bench: ${r.error.message}`);
  }
}

/** The decode before the fast paths (zod for every value), for a same-run comparison. */
function zodAll(snap: readonly KVUpdate[], keys: readonly Key[]): void {
  for (let i = 0; i < snap.length; i++) {
    const u = snap[i] as KVUpdate;
    const k = keys[i] as Key;
    const schema = ZOD[k.type];
    if (schema === undefined) {
      decodeValue(k, u.key, u.value as string);
      continue;
    }
    const r = schema.safeParse(JSON.parse(u.value as string));
    if (!r.success || valueProblems(k, r.data).length > 0) throw new Error(`bench: ${u.key}`);
  }
}

const ZOD: Partial<Record<KeyType, z.ZodType>> = {
  workloadEndpoint: workloadEndpointSchema,
  policy: policySchema,
  profileRules: profileRulesSchema,
  hostEndpoint: hostEndpointSchema,
  networkSet: networkSetSchema,
};

function resyncHeld(snap: readonly KVUpdate[]): { held: number; applyMs: number; resyncMs: number } {
  // Fresh strings for the view, so it shares nothing with `snap`.
  const copy = (): KVUpdate[] =>
    snap.map((u) => ({ ...u, key: flat(u.key), value: u.value === null ? null : flat(u.value) }));
  gc();
  const base = process.memoryUsage().heapUsed;
  let batch = copy();
  const view = new ResyncView();
  view.startResync();
  let t = performance.now();
  for (let i = 0; i < batch.length; i += 1000) view.apply(batch.slice(i, i + 1000));
  const applyMs = performance.now() - t;
  view.inSync();
  batch = [];
  gc();
  // The keys are counted too: downstream holds them anyway, but the view keeps its own copy here.
  const held = process.memoryUsage().heapUsed - base;
  batch = copy();
  view.startResync();
  t = performance.now();
  let emitted = 0;
  for (let i = 0; i < batch.length; i += 1000) emitted += view.apply(batch.slice(i, i + 1000)).length;
  const resyncMs = performance.now() - t;
  if (emitted !== 0 || view.inSync().length !== 0) throw new Error('bench: resync re-emitted values');
  return { held, applyMs, resyncMs };
}

function main(): void {
  const rounds = arg('--rounds', 3);
  const snap = snapshot();
  const valueChars = snap.reduce((n, u) => n + (u.value?.length ?? 0), 0);
  console.log(
    `node ${process.version}; ${snap.length} KVs, ${(valueChars / 2 ** 20).toFixed(1)} MiB of values; load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const keys = timeKeys(snap).keys;
  for (let r = 0; r < rounds; r++) {
    const keyMs = cpuMs(() => timeKeys(snap));
    const zodMs = cpuMs(() => zodAll(snap, keys));
    const fastMs = cpuMs(() => decodeAll(snap, keys));
    const jsonMs = cpuMs(() => keys.forEach((k, i) => ZOD[k.type] && JSON.parse(snap[i]?.value as string)));
    console.log(
      `round ${r} (CPU ms): parseKey ${keyMs.toFixed(0)}, decode all-zod ${zodMs.toFixed(0)}, decode now ${fastMs.toFixed(0)} (JSON.parse alone ${jsonMs.toFixed(0)})`,
    );
  }
  const { held, applyMs, resyncMs } = resyncHeld(snap);
  console.log(
    `ResyncView: ${(held / 2 ** 20).toFixed(1)} MiB held (${Math.round(held / snap.length)} B/KV), snapshot apply ${applyMs.toFixed(0)} ms, resync apply ${resyncMs.toFixed(0)} ms`,
  );
}

main();
