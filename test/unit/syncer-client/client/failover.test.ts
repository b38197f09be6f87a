import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttemptTracker, attemptBudget, roundBackoffMs } from '../../../../syncer-client/client/index.js';

test("attempt budget is Felix's 2 × max(3, n)", () => {
  assert.equal(attemptBudget(0), 6);
  assert.equal(attemptBudget(1), 6);
  assert.equal(attemptBudget(3), 6);
  assert.equal(attemptBudget(5), 10);
});

test('first attempt uses the cached list; later ones rediscover; no repeats until all tried', async () => {
  let discovers = 0;
  const t = new AttemptTracker(['a:1', 'b:1'], async () => {
    discovers++;
    return ['a:1', 'b:1', 'c:1'];
  });
  assert.equal(t.budget, 6);
  assert.equal(await t.next(), 'a:1');
  assert.equal(discovers, 0);
  assert.equal(await t.next(), 'b:1');
  assert.equal(discovers, 1);
  assert.equal(await t.next(), 'c:1');
  // All tried: the cycle restarts from the first entry.
  assert.equal(await t.next(), 'a:1');
  assert.equal(await t.next(), 'b:1');
  assert.equal(await t.next(), 'c:1');
  assert.equal(await t.next(), undefined, 'budget of 6 spent');
  assert.equal(discovers, 5);
});

test('a failing discovery keeps the last list; markTried skips the endpoint that just dropped', async () => {
  const errors: unknown[] = [];
  const t = new AttemptTracker(
    ['a:1', 'b:1'],
    async () => {
      throw new Error('api down');
    },
    (e) => errors.push(e),
  );
  t.markTried('a:1');
  assert.equal(await t.next(), 'b:1');
  assert.equal(await t.next(), 'a:1');
  assert.equal(errors.length, 1);
});

test('an empty cached list triggers discovery on the first attempt', async () => {
  const t = new AttemptTracker([], async () => ['x:1']);
  assert.equal(await t.next(), 'x:1');
});

test('round back-off doubles up to the cap, with at most 10 % jitter', () => {
  const mid = (): number => 0.5;
  assert.equal(roundBackoffMs(1, 1000, 30_000, mid), 1000);
  assert.equal(roundBackoffMs(2, 1000, 30_000, mid), 2000);
  assert.equal(roundBackoffMs(5, 1000, 30_000, mid), 16_000);
  assert.equal(roundBackoffMs(6, 1000, 30_000, mid), 30_000);
  assert.equal(
    roundBackoffMs(100, 1000, 30_000, () => 1),
    30_000,
    'never above the cap',
  );
  assert.equal(
    roundBackoffMs(1, 1000, 30_000, () => 0),
    900,
  );
});
