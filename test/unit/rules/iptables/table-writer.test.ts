// TableWriter plan/apply against the fake runner: reads, minimal deltas, belief, retries (felix/iptables/table.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableWriter } from '../../../../rules/iptables/index.js';
import { newCounters } from '../../../../rules/backend/index.js';
import { FakeRunner } from '../fake-runner.js';
import { mkTable } from '../writer-fixtures.js';

function writer(runner: FakeRunner, extra: { maxAttempts?: number } = {}) {
  const counters = newCounters();
  const w = new TableWriter({ table: 'filter', family: 4, backend: 'legacy', runner, counters, ...extra });
  return { w, counters };
}

const desired = mkTable('filter', 4, {
  chains: { 'cali-INPUT': ['--jump cali-wl-to-host'], 'cali-wl-to-host': ['--jump ACCEPT'] },
  inserts: { INPUT: ['--jump cali-INPUT'] },
});

test('first apply reads once, writes one transaction; a second apply with the same state runs nothing', async () => {
  const fake = new FakeRunner();
  const { w, counters } = writer(fake);
  const r1 = await w.apply(desired);
  assert.equal(r1.restoreCalls, 1);
  assert.deepEqual(r1.changedChains, ['INPUT', 'cali-INPUT', 'cali-wl-to-host']);
  assert.equal(fake.callsOf('iptables-legacy-save').length, 1);
  assert.match(fake.chain(4, 'filter', 'INPUT')![0]!, /--jump cali-INPUT$/);
  const r2 = await w.apply(desired);
  assert.equal(r2.restoreCalls, 0);
  assert.equal(r2.restoreInput, '');
  assert.equal(fake.calls.length, 2, 'the belief is trusted: no second save');
  assert.equal(counters.iptablesRestoreCalls, 1);
});

test('a changed rule is patched with -R, and invalidate() re-reads the kernel', async () => {
  const fake = new FakeRunner();
  const { w } = writer(fake);
  await w.apply(desired);
  const next = mkTable('filter', 4, {
    chains: { 'cali-INPUT': ['--jump cali-wl-to-host'], 'cali-wl-to-host': ['--jump DROP'] },
    inserts: { INPUT: ['--jump cali-INPUT'] },
  });
  const r = await w.apply(next);
  assert.match(r.restoreInput, /^-R cali-wl-to-host 1 .*--jump DROP$/m);
  // Someone flushes our chain behind our back: only a re-read notices.
  fake.tables.get('ipv4/filter')!.set('cali-wl-to-host', []);
  assert.equal((await w.apply(next)).restoreCalls, 0);
  w.invalidate();
  const r3 = await w.apply(next);
  assert.equal(r3.restoreCalls, 1);
  assert.deepEqual(fake.chain(4, 'filter', 'cali-wl-to-host')!.length, 1);
});

test('a failing restore is retried from a fresh read; the lock exit code is reported as such', async () => {
  const fake = new FakeRunner();
  fake.failNext('iptables-legacy-restore', { exitCode: 1, stderr: 'transient' }, 2);
  const { w, counters } = writer(fake);
  const r = await w.apply(desired);
  assert.deepEqual(r.refused, [], 'a failure that went away blames no chain');
  assert.ok(r.restoreCalls >= 3, `${r.restoreCalls}`);
  assert.equal(
    fake.callsOf('iptables-legacy-save').length,
    3,
    'one read at the start, one after each failure',
  );
  assert.equal(counters.iptablesRestoreErrors, 2);
  assert.match(fake.chain(4, 'filter', 'cali-wl-to-host')![0]!, /--jump ACCEPT$/);

  const fake2 = new FakeRunner();
  fake2.failNext('iptables-legacy-restore', { exitCode: 4, stderr: 'Another app holds the lock' }, 3);
  const { w: w2 } = writer(fake2, { maxAttempts: 3 });
  await assert.rejects(w2.apply(desired), { code: 'ERR_IPTABLES_LOCK_TIMEOUT' });
});

test('deleting a stale owned chain flushes it before deleting it', async () => {
  const fake = new FakeRunner();
  const { w } = writer(fake);
  await w.apply(desired);
  const smaller = mkTable('filter', 4, {
    chains: { 'cali-INPUT': [] },
    inserts: { INPUT: ['--jump cali-INPUT'] },
  });
  const r = await w.apply(smaller);
  assert.deepEqual(r.changedChains, ['cali-INPUT', 'cali-wl-to-host']);
  assert.equal(fake.chain(4, 'filter', 'cali-wl-to-host'), undefined);
  assert.deepEqual(fake.chain(4, 'filter', 'cali-INPUT'), []);
});
