// MaxIpsetSize (issue 17 item 3): a set above it is never written, so the kernel never says "Hash
// is full"; it keeps its previous members, the others are written, and it goes in once it fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpsetWriter, planIpsets } from '../../../../rules/ipsets/index.js';
import { newCounters } from '../../../../rules/backend/index.js';
import { FakeRunner } from '../fake-runner.js';
import { mkSet, mkSets } from '../writer-fixtures.js';

const ips = (n: number, third = 0) => Array.from({ length: n }, (_, i) => `10.${third}.${i >> 8}.${i & 255}`);

test('a set above MaxIpsetSize keeps its previous members; a new one is not created; it goes in once it fits', async () => {
  const fake = new FakeRunner();
  const w = new IpsetWriter({ runner: fake, counters: newCounters(), families: [4], maxElem: 100 });
  await w.applyUpdates(mkSets(mkSet('cali40old', 'hash:ip', ips(50))));
  const r = await w.applyUpdates(
    mkSets(
      mkSet('cali40old', 'hash:ip', ips(150)),
      mkSet('cali40new', 'hash:ip', ips(150, 1)),
      mkSet('cali40ok', 'hash:ip', ips(3, 2)),
    ),
  );
  assert.deepEqual(r.refused, [
    { set: 'cali40old', reason: 'IP set has 150 members, more than MaxIpsetSize (100)' },
    { set: 'cali40new', reason: 'IP set has 150 members, more than MaxIpsetSize (100)' },
  ]);
  assert.equal(fake.sets.get('cali40old')!.members.size, 50);
  assert.equal(fake.sets.has('cali40new'), false);
  assert.equal(fake.sets.get('cali40ok')!.members.size, 3);
  assert.ok(!r.restoreInput.includes('cali40new'), 'no restore text is built for an oversized set');
  assert.ok(
    fake.callsOf('ipset').every((c) => !/Hash is full/.test(c.input ?? '')),
    'never sent to the kernel',
  );
  const back = await w.applyUpdates(
    mkSets(mkSet('cali40old', 'hash:ip', ips(100)), mkSet('cali40new', 'hash:ip', ips(99, 1))),
  );
  assert.deepEqual(back.refused, []);
  assert.equal(fake.sets.get('cali40old')!.members.size, 100);
  assert.equal(fake.sets.get('cali40new')!.members.size, 99);
});

test('large sets are created with a hashsize for their size; small ones keep the default', () => {
  const small = planIpsets(mkSets(mkSet('cali40a', 'hash:ip', ips(10))), new Map(), {
    maxElem: 1048576,
    nextTemp: 0,
  });
  assert.match(small.text, /^create cali40a hash:ip family inet maxelem 1048576$/m);
  const big = planIpsets(mkSets(mkSet('cali40b', 'hash:ip', ips(20000))), new Map(), {
    maxElem: 1048576,
    nextTemp: 0,
  });
  assert.match(big.text, /^create cali40b hash:ip family inet hashsize 8192 maxelem 1048576$/m);
});
