// IpsetWriter against the fake runner: create, delta, destroy after use, retry after a partial
// restore (ipset restore is not atomic, felix/ipsets/ipsets.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpsetWriter } from '../../../../rules/ipsets/index.js';
import { DataplaneError, newCounters } from '../../../../rules/backend/index.js';
import { FakeRunner } from '../fake-runner.js';
import { mkSet, mkSets } from '../writer-fixtures.js';

function writer(fake: FakeRunner, maxElem = 1048576) {
  return new IpsetWriter({ runner: fake, counters: newCounters(), families: [4], maxElem });
}

test('creates, then writes only the delta, then destroys an unwanted set', async () => {
  const fake = new FakeRunner();
  const w = writer(fake);
  await w.applyUpdates(mkSets(mkSet('cali40a', 'hash:net', ['10.0.0.0/24', '10.0.1.1'])));
  assert.deepEqual([...fake.sets.get('cali40a')!.members].sort(), ['10.0.0.0/24', '10.0.1.1']);
  const r = await w.applyUpdates(mkSets(mkSet('cali40a', 'hash:net', ['10.0.0.0/24', '10.0.2.0/24'])));
  assert.deepEqual(
    r.restoreInput
      .split('\n')
      .filter((l) => /^(add|del)/.test(l))
      .sort(),
    ['add cali40a 10.0.2.0/24 -exist', 'del cali40a 10.0.1.1 -exist'],
  );
  await w.applyUpdates(new Map());
  assert.ok(fake.sets.has('cali40a'), 'destroy waits for applyDeletions');
  const d = await w.applyDeletions();
  assert.deepEqual(d.destroyed, ['cali40a']);
  assert.equal(fake.sets.size, 0);
});

test('a failed restore is retried after a re-read, so lines that landed are not repeated', async () => {
  const fake = new FakeRunner();
  fake.failNext('ipset', { exitCode: 1, stderr: 'ipset v7.17: Error in line 1: transient' });
  const w = writer(fake);
  await w.applyUpdates(mkSets(mkSet('cali40a', 'hash:ip', ['10.0.0.1'])));
  assert.equal(fake.callsOf('ipset').filter((c) => c.args[0] === 'save').length, 2);
  assert.deepEqual([...fake.sets.get('cali40a')!.members], ['10.0.0.1']);
});

test('a hung ipset restore (killed at its deadline) is not retried inside the apply', async () => {
  const fake = new FakeRunner();
  let restores = 0;
  const runner = {
    run: async (file: string, args: readonly string[], input?: string) => {
      if (file === 'ipset' && args[0] === 'restore' && restores++ === 0) {
        throw new DataplaneError('ERR_COMMAND_TIMEOUT', 'ipset restore killed at its 30000 ms deadline');
      }
      return fake.run(file, args, input);
    },
  };
  const w = new IpsetWriter({ runner, counters: newCounters(), families: [4], maxElem: 1048576 });
  await assert.rejects(w.applyUpdates(mkSets(mkSet('cali40a', 'hash:ip', ['10.0.0.1']))), {
    code: 'ERR_COMMAND_TIMEOUT',
  });
  assert.equal(restores, 1, 'one attempt, then the error goes to the driver');
  await w.applyUpdates(mkSets(mkSet('cali40a', 'hash:ip', ['10.0.0.1'])));
  assert.deepEqual([...fake.sets.get('cali40a')!.members], ['10.0.0.1'], 'the next apply programs it');
});

test('a stale set still in use (e.g. by a table Felix wrote and felix-ts does not program) is retried without re-reading every set', async () => {
  const fake = new FakeRunner();
  const w = writer(fake);
  await w.applyUpdates(mkSets(mkSet('cali40a', 'hash:net', ['10.0.0.0/24'])));
  await w.applyUpdates(new Map());
  fake.failNext((c) => c.file === 'ipset' && c.args[0] === 'destroy', {
    exitCode: 1,
    stderr: 'ipset v7.17: Set cannot be destroyed: it is in use by a kernel component\n',
  });
  assert.deepEqual((await w.applyDeletions()).failed, ['cali40a']);
  const saves = () => fake.callsOf('ipset').filter((c) => c.args[0] === 'save').length;
  const before = saves();
  await w.applyUpdates(new Map());
  assert.equal(saves(), before, 'the belief was kept');
  assert.deepEqual((await w.applyDeletions()).destroyed, ['cali40a'], 'retried, and gone once unused');
  // Any other failure leaves the kernel unknown: the next apply re-reads.
  await w.applyUpdates(mkSets(mkSet('cali40b', 'hash:net', [])));
  await w.applyUpdates(new Map());
  fake.failNext((c) => c.file === 'ipset' && c.args[0] === 'destroy', { exitCode: 1, stderr: 'boom' });
  await w.applyDeletions();
  const before2 = saves();
  await w.applyUpdates(new Map());
  assert.equal(saves(), before2 + 1);
});

test('one family at a time: writes side by side keep one belief, and each queues only its own stale sets', async () => {
  const fake = new FakeRunner();
  const w = new IpsetWriter({ runner: fake, counters: newCounters(), families: [4, 6] });
  const v4 = mkSet('cali40a', 'hash:net', ['10.0.0.0/24']);
  const v4old = mkSet('cali40old', 'hash:net', ['10.9.0.0/24']);
  const v6 = mkSet('cali60a', 'hash:net', ['fd00::/64'], 6);
  const v6old = mkSet('cali60old', 'hash:net', ['fd09::/64'], 6);
  await w.applyUpdates(mkSets(v4old, v6old));
  const all = mkSets(v4, v6);
  const [r4, r6] = await Promise.all([w.applyUpdates(all, undefined, 4), w.applyUpdates(all, undefined, 6)]);
  assert.match(r4.restoreInput, /^create cali40a /m);
  assert.doesNotMatch(r4.restoreInput, /cali60/, 'the IPv4 write holds no IPv6 set');
  assert.match(r6.restoreInput, /^create cali60a /m);
  assert.doesNotMatch(r6.restoreInput, /cali40/);
  // Each write's belief survived the other's: nothing is left to write for either family.
  const saves = fake.callsOf('ipset').filter((c) => c.args[0] === 'save').length;
  assert.equal((await w.applyUpdates(mkSets(v4, v6, v4old, v6old))).restoreInput, '');
  assert.equal(fake.callsOf('ipset').filter((c) => c.args[0] === 'save').length, saves, 'no re-read');
  // A write of IPv4 alone queues only IPv4's stale set for destroy.
  await w.applyUpdates(mkSets(v4, v6), undefined, 4);
  assert.deepEqual((await w.applyDeletions()).destroyed, ['cali40old']);
  assert.ok(fake.sets.has('cali60old'), 'an IPv6 set is not destroyed by an IPv4 write');
});

test('writes side by side with no belief share one read of the kernel', async () => {
  const fake = new FakeRunner();
  const w = new IpsetWriter({ runner: fake, counters: newCounters(), families: [4, 6] });
  const all = mkSets(
    mkSet('cali40a', 'hash:net', ['10.0.0.0/24']),
    mkSet('cali60a', 'hash:net', ['fd00::/64'], 6),
  );
  await Promise.all([w.applyUpdates(all, undefined, 4), w.applyUpdates(all, undefined, 6)]);
  assert.equal(fake.callsOf('ipset').filter((c) => c.args[0] === 'save').length, 1);
  assert.ok(fake.sets.has('cali40a') && fake.sets.has('cali60a'));
  // After a refresh the next write reads again, once.
  w.invalidate();
  assert.equal((await w.applyUpdates(all)).restoreInput, '');
  assert.equal(fake.callsOf('ipset').filter((c) => c.args[0] === 'save').length, 2);
});
