// agent/daemon/heap.ts: the heap growth limit is set unless the command line chose one, and it has
// the effect it is there for: a process that keeps a fixed live set while it makes garbage stays
// smaller with it than without it (two real node processes, same work).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { HEAP_GROWING_PERCENT, heapFlag } from '../../../../agent/daemon/heap.js';

test('heapFlag: 50% unless the command line sets the factor', () => {
  assert.equal(HEAP_GROWING_PERCENT, 50);
  assert.equal(heapFlag([]), '--heap-growing-percent=50');
  assert.equal(heapFlag(['--enable-source-maps']), '--heap-growing-percent=50');
  assert.equal(heapFlag(['--heap-growing-percent=80']), undefined);
  assert.equal(heapFlag(['--heap_growing_percent=80']), undefined);
});

const HEAP_JS = new URL('../../../../agent/daemon/heap.js', import.meta.url).href;
// 1M small live objects, then 20 rounds of 300k objects that die a round later; prints peak RSS MiB.
const WORK = (limit: boolean) => `
  ${limit ? `const { limitHeapGrowth } = await import(${JSON.stringify(HEAP_JS)}); limitHeapGrowth([]);` : ''}
  const live = [];
  for (let i = 0; i < 1_000_000; i++) live.push({ a: 'x' + i, b: [i, i + 1] });
  let peak = 0, keep = [];
  for (let r = 0; r < 20; r++) {
    keep = [];
    for (let i = 0; i < 300_000; i++) keep.push({ a: 'y' + i, b: [i, i + 1], c: { d: i } });
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  console.log(Math.round(peak / 2 ** 20), live.length, keep.length);
`;

test('limitHeapGrowth: the same garbage-making work peaks lower than with V8 left alone', () => {
  const run = (limit: boolean) =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', WORK(limit)], { encoding: 'utf8' }).split(
        ' ',
      )[0],
    );
  const without = run(false);
  const withLimit = run(true);
  assert.ok(withLimit < without * 0.8, `peak RSS ${withLimit} MiB with the limit, ${without} MiB without`);
});
