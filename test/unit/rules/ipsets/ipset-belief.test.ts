// The planner's belief shares the desired members object (issue 15 item 2: members stored once),
// a non-canonical set is keyed in a copy, a kernel re-read is re-keyed and then replaced by the
// desired object, and each restore line maps back to its set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planIpsets, parseIpsetSave } from '../../../../rules/ipsets/index.js';
import { mkSet, mkSets } from '../writer-fixtures.js';

const opts = { maxElem: 1048576, nextTemp: 0 };

test('the belief after a plan is the desired members object when it is canonical', () => {
  const net = mkSet('cali40s:a', 'hash:net', ['10.0.0.1/32', '10.1.0.0/16']);
  const port = mkSet('cali40n:b', 'hash:ip,port', ['10.0.0.1,tcp:80']);
  const v6 = mkSet('cali60s:a', 'hash:net', ['fd00::1/128'], 6);
  const p = planIpsets(mkSets(net, port, v6), new Map(), opts);
  assert.equal(p.after.get('cali40s:a')!.members, net.members);
  assert.equal(p.after.get('cali40n:b')!.members, port.members);
  assert.equal(p.after.get('cali60s:a')!.members, v6.members);
  // A changed copy is diffed against the shared belief: the delete names the kernel's form.
  const next = mkSet('cali40s:a', 'hash:net', ['10.1.0.0/16', '10.0.0.2/32']);
  const q = planIpsets(mkSets(next, port, v6), p.after, opts);
  assert.equal(q.text, 'del cali40s:a 10.0.0.1 -exist\nadd cali40s:a 10.0.0.2/32 -exist\nCOMMIT\n');
  assert.equal(q.after.get('cali40s:a')!.members, next.members);
});

test('a non-canonical desired set is written as given, compared canonically, and not shared', () => {
  const odd = mkSet('cali40s:o', 'hash:net', ['10.0.0.1', '10.0.0.1/32', '10.2.0.0/16']);
  const p = planIpsets(mkSets(odd), new Map(), opts);
  assert.equal(
    p.text,
    'create cali40s:o hash:net family inet maxelem 1048576\nadd cali40s:o 10.0.0.1/32\nadd cali40s:o 10.2.0.0/16\nCOMMIT\n',
  );
  const belief = p.after.get('cali40s:o')!.members;
  assert.notEqual(belief, odd.members);
  assert.deepEqual([...belief], ['10.0.0.1/32', '10.2.0.0/16']);
  assert.equal(planIpsets(mkSets(odd), p.after, opts).text, '');
});

test('a belief read from the kernel is re-keyed; when it matches, the desired object replaces it', () => {
  const read = parseIpsetSave(
    'create cali40s:a hash:net family inet hashsize 1024 maxelem 1048576\nadd cali40s:a 10.0.0.1\nadd cali40s:a 10.1.0.0/16\n',
    [4],
  );
  const want = mkSet('cali40s:a', 'hash:net', ['10.0.0.1/32', '10.1.0.0/16']);
  const p = planIpsets(mkSets(want), read, opts);
  assert.equal(p.text, '');
  assert.equal(p.after.get('cali40s:a')!.members, want.members);
  const gone = mkSet('cali40s:a', 'hash:net', ['10.1.0.0/16']);
  assert.equal(planIpsets(mkSets(gone), read, opts).text, 'del cali40s:a 10.0.0.1 -exist\nCOMMIT\n');
});

test('each line of the restore text maps to the set it writes; COMMIT and out of range to none', () => {
  const a = mkSet('cali40s:a', 'hash:net', ['10.0.0.1/32', '10.0.0.2/32']);
  const b = mkSet('cali40s:b', 'hash:net', []);
  const c = mkSet('cali40s:c', 'hash:ip', ['10.0.0.3']);
  const p = planIpsets(mkSets(a, b, c), new Map(), opts);
  const lines = p.text.split('\n');
  assert.equal(lines.length, 8); // 3 creates, 3 adds, COMMIT, ''
  lines.slice(0, -2).forEach((l, i) => assert.equal(p.lineSet(i + 1), l.split(' ')[1], l));
  assert.equal(p.lineSet(7), undefined);
  assert.equal(p.lineSet(0), undefined);
  assert.equal(p.lineSet(99), undefined);
});
