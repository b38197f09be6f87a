// A set that ipset restore refuses goes back to its pre-apply state; the other sets are written
// (issue 17 item 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpsetWriter } from '../../../../rules/ipsets/index.js';
import { newCounters } from '../../../../rules/backend/index.js';
import { FakeRunner } from '../fake-runner.js';
import { mkSet, mkSets } from '../writer-fixtures.js';

test('a refused set keeps its previous members, a new refused set is removed, the rest goes in', async () => {
  const fake = new FakeRunner();
  const w = new IpsetWriter({ runner: fake, counters: newCounters(), families: [4] });
  await w.applyUpdates(
    mkSets(mkSet('cali40a', 'hash:ip', ['10.0.0.1']), mkSet('cali40b', 'hash:ip', ['10.0.1.1'])),
  );
  fake.refuse(/10\.9\.9\.9/, 'Syntax error: cannot parse');
  const r = await w.applyUpdates(
    mkSets(
      mkSet('cali40a', 'hash:ip', ['10.0.0.1', '10.0.0.2']),
      mkSet('cali40b', 'hash:ip', ['10.0.1.2', '10.9.9.9']),
      mkSet('cali40c', 'hash:ip', ['10.9.9.9']),
      mkSet('cali40d', 'hash:ip', ['10.0.3.1']),
    ),
  );
  assert.deepEqual(
    r.refused.map((x) => x.set),
    ['cali40b', 'cali40c'],
  );
  assert.equal(r.refused[0]!.reason, 'Syntax error: cannot parse');
  assert.deepEqual([...fake.sets.get('cali40a')!.members].sort(), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual([...fake.sets.get('cali40b')!.members], ['10.0.1.1'], 'pre-apply state');
  assert.equal(fake.sets.has('cali40c'), false, 'did not exist before: removed, not half-filled');
  assert.deepEqual([...fake.sets.get('cali40d')!.members], ['10.0.3.1']);
  fake.unrefuse();
  const r2 = await w.applyUpdates(
    mkSets(mkSet('cali40b', 'hash:ip', ['10.0.1.2', '10.9.9.9']), mkSet('cali40c', 'hash:ip', ['10.9.9.9'])),
  );
  assert.deepEqual(r2.refused, []);
  assert.deepEqual([...fake.sets.get('cali40b')!.members].sort(), ['10.0.1.2', '10.9.9.9']);
});
