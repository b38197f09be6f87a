// Memory the syncer client's ResyncView keeps for N KVs (issue 11 item 3), and the time it takes to
// apply a snapshot and then a full resync of the same values (every one deduplicated).
// Realistic WorkloadEndpoint KVs (about 560 B of JSON value, 100 B of key), delivered in batches of
// 1000 as MsgKVs are; each value is a fresh string, as decoding makes it, so only what the view
// itself keeps survives a GC.
// Usage: npx tsc -p tsconfig.json && node --expose-gc dist/bench/resync-memory.js [--kvs N]
// See bench/resync-memory.md.

import { UpdateType, type KVUpdate } from '../syncer-client/api.js';
import { ResyncView } from '../syncer-client/client/resync.js';
import { workloadEndpointKV } from './workload-fixture.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** A flat string as the gob decoder makes it (V8 keeps concatenations and JSON output as trees). */
const flat = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

function kv(i: number): KVUpdate {
  const { key, value } = workloadEndpointKV(i);
  return {
    // Built afresh on each call, so a resync shares no strings with the snapshot.
    key: flat(key),
    value: flat(value),
    revision: String(1_000_000 + i),
    updateType: UpdateType.New,
  };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) g();
}

/** Feeds N KVs in batches of 1000; returns [ms, updates emitted downstream]. */
function feed(view: ResyncView, n: number): [number, number] {
  let emitted = 0;
  let ms = 0;
  for (let i = 0; i < n; i += 1000) {
    const batch: KVUpdate[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push(kv(j));
    const t = performance.now();
    emitted += view.apply(batch).length;
    ms += performance.now() - t;
  }
  return [ms, emitted];
}

function main(): void {
  const n = arg('--kvs', 100_000);
  let valueBytes = 0;
  let keyBytes = 0;
  for (let i = 0; i < n; i++) {
    const u = kv(i);
    valueBytes += u.value!.length;
    keyBytes += u.key.length;
  }
  gc();
  const base = process.memoryUsage().heapUsed;
  const view = new ResyncView();
  view.startResync();
  const [snapMs, snapOut] = feed(view, n);
  view.inSync();
  gc();
  const held = process.memoryUsage().heapUsed - base;
  view.startResync();
  const [resyncMs, resyncOut] = feed(view, n);
  const deleted = view.inSync().length;
  gc();
  const heldAfter = process.memoryUsage().heapUsed - base;
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
  console.log(
    `node ${process.version}; ${n} KVs, values ${mb(valueBytes)} MB, keys ${mb(keyBytes)} MB of text`,
  );
  console.log('phase           ms      emitted   heap held by the view');
  console.log(
    `snapshot        ${snapMs.toFixed(0).padStart(5)}   ${String(snapOut).padStart(7)}   ${mb(held)} MB (${Math.round(held / n)} B/KV)`,
  );
  console.log(
    `resync (same)   ${resyncMs.toFixed(0).padStart(5)}   ${String(resyncOut + deleted).padStart(7)}   ${mb(heldAfter)} MB`,
  );
  if (view.size !== n || snapOut !== n || resyncOut !== 0 || deleted !== 0) {
    throw new Error(`unexpected view behaviour: size ${view.size}, ${snapOut}/${resyncOut}/${deleted}`);
  }
}

main();
