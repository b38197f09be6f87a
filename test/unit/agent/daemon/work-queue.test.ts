// The main loop lets I/O in between back-to-back jobs (issue 17 item 5): a burst of queued batches
// must not hold the event loop for its whole length, or a health probe waits behind all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, YIELD_AFTER_MS } from '../../../../agent/daemon/work-queue.js';
import { createLogger } from '../../../../agent/log/index.js';
import { Writable } from 'node:stream';

const quiet = createLogger({ severity: 'ERROR', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('back-to-back jobs yield to the event loop after YIELD_AFTER_MS', async () => {
  const q = new WorkQueue(quiet);
  const order: string[] = [];
  // Queued before the burst: without a yield it could only run after the last job.
  const timer = new Promise<void>((r) => setImmediate(() => (order.push('io'), r())));
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < 10; i++)
    jobs.push(q.push(`job${i}`, () => (busy(YIELD_AFTER_MS / 2), order.push(`job${i}`), undefined)));
  await Promise.all([...jobs, timer]);
  const io = order.indexOf('io');
  assert.ok(io > 0 && io < order.length - 1, `I/O ran between jobs: ${order.join(' ')}`);
  assert.ok(q.yields >= 1);
  assert.equal(q.processed, 10);
  assert.deepEqual(
    order.filter((x) => x !== 'io'),
    Array.from({ length: 10 }, (_, i) => `job${i}`),
    'jobs still run one at a time, in order',
  );
});
