// Pure tests of the ipset delta planner and parser (felix/ipsets/ipset_defs.go, felix/ipsets/ipsets.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planIpsets, parseIpsetSave, canonicalMember } from '../../../../rules/ipsets/index.js';
import { DataplaneError, parseBackendSetting, binariesFor } from '../../../../rules/backend/index.js';
import { mkSet, mkSets } from '../writer-fixtures.js';

const SAVE = [
  'create cali40s:abc hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x1',
  'add cali40s:abc 10.65.0.7',
  'add cali40s:abc 10.1.0.0/16',
  'create cali40old hash:ip family inet hashsize 1024 maxelem 1048576',
  'create theirs hash:ip family inet hashsize 1024 maxelem 65536',
  'add theirs 1.2.3.4',
  'create cali60v6 hash:net family inet6 hashsize 1024 maxelem 1048576',
  'add cali60v6 fd00::1',
].join('\n');

test('canonical members: /32 and /128 host routes, IPv6 compression', () => {
  assert.equal(canonicalMember('hash:net', '10.65.0.7/32'), '10.65.0.7');
  assert.equal(canonicalMember('hash:net', '10.1.0.0/16'), '10.1.0.0/16');
  assert.equal(canonicalMember('hash:net', 'fd00:0:0::1/128'), 'fd00::1');
  assert.equal(canonicalMember('hash:ip,port', '10.65.0.7,TCP:8080'), '10.65.0.7,tcp:8080');
});

test('parse keeps only owned sets of the managed families', () => {
  const v4 = parseIpsetSave(SAVE, [4]);
  assert.deepEqual([...v4.keys()], ['cali40s:abc', 'cali40old']);
  assert.deepEqual([...v4.get('cali40s:abc')!.members], ['10.65.0.7', '10.1.0.0/16']);
  const both = parseIpsetSave(SAVE, [4, 6]);
  assert.equal(both.get('cali60v6')!.family, 6);
});

test('delta: del/add only the differences; stale owned sets destroyed; foreign untouched', () => {
  const cur = parseIpsetSave(SAVE, [4]);
  const want = mkSets(
    mkSet('cali40s:abc', 'hash:net', ['10.65.0.7/32', '10.2.0.0/16']),
    mkSet('cali40new', 'hash:ip', ['10.0.0.1']),
  );
  const p = planIpsets(want, cur, { maxElem: 1048576, nextTemp: 0 });
  assert.equal(
    p.text,
    [
      'create cali40new hash:ip family inet maxelem 1048576',
      'add cali40new 10.0.0.1',
      'del cali40s:abc 10.1.0.0/16 -exist',
      'add cali40s:abc 10.2.0.0/16 -exist',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.deepEqual(p.toDestroy, ['cali40old']);
  const again = planIpsets(want, p.after, { maxElem: 1048576, nextTemp: 0 });
  assert.equal(again.text, '');
});

test('maxelem change rewrites through a temp set and swap', () => {
  const cur = parseIpsetSave(SAVE, [4]);
  const want = mkSets(mkSet('cali40s:abc', 'hash:net', ['10.65.0.7/32']), mkSet('cali40old', 'hash:ip', []));
  const p = planIpsets(want, cur, { maxElem: 2048, nextTemp: 3 });
  assert.equal(
    p.text,
    [
      'create cali4t3 hash:ip family inet maxelem 2048',
      'swap cali40old cali4t3',
      'destroy cali4t3',
      'create cali4t4 hash:net family inet maxelem 2048',
      'add cali4t4 10.65.0.7/32',
      'swap cali40s:abc cali4t4',
      'destroy cali4t4',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.equal(p.tempsUsed, 2);
});

test('type change destroys and recreates the set (swap needs equal types)', () => {
  const cur = parseIpsetSave(SAVE, [4]);
  const want = mkSets(
    mkSet('cali40s:abc', 'hash:net', ['10.65.0.7/32']),
    mkSet('cali40old', 'hash:net', ['10.0.0.0/8']),
  );
  const p = planIpsets(want, cur, { maxElem: 1048576, nextTemp: 0 });
  assert.equal(
    p.text,
    [
      'destroy cali40old',
      'create cali40old hash:net family inet maxelem 1048576',
      'add cali40old 10.0.0.0/8',
      'del cali40s:abc 10.1.0.0/16 -exist',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.deepEqual(p.changedSets, ['cali40old', 'cali40s:abc']);
});

test('unsafe member or name is rejected', () => {
  const bad = mkSets(mkSet('cali40x', 'hash:ip', ['10.0.0.1\ndestroy theirs']));
  assert.throws(
    () => planIpsets(bad, new Map(), { maxElem: 1, nextTemp: 0 }),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_UNSAFE_RESTORE_TEXT',
  );
  const notOurs = mkSets(mkSet('theirs', 'hash:ip', []));
  assert.throws(
    () => planIpsets(notOurs, new Map(), { maxElem: 1, nextTemp: 0 }),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_BAD_DESIRED_STATE',
  );
});

test('backend setting and binaries', () => {
  assert.equal(parseBackendSetting('NFT'), 'nft');
  assert.equal(parseBackendSetting(undefined), 'auto');
  assert.throws(
    () => parseBackendSetting('bpf'),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_BACKEND_DETECT',
  );
  assert.deepEqual(binariesFor('legacy', 6), {
    save: 'ip6tables-legacy-save',
    restore: 'ip6tables-legacy-restore',
  });
});

test('plan memo: a members object planned to the current snapshot is skipped; any change is diffed again', () => {
  const memo = new WeakMap();
  const big = mkSet('cali40s:big', 'hash:net', ['10.0.0.1', '10.0.0.2']);
  const opts = { maxElem: 1048576, nextTemp: 0, memo };
  const first = planIpsets(mkSets(big), new Map(), opts);
  assert.match(first.text, /^create cali40s:big /);
  // Same members object, belief = the first plan's result: nothing to do, and no diff is made.
  const again = planIpsets(mkSets(big), first.after, opts);
  assert.equal(again.text, '');
  assert.equal(again.after.get('cali40s:big'), first.after.get('cali40s:big'));
  // The skip trusts identity only: the same content in a new members object is diffed (and found equal).
  const copy = { ...big, members: new Set(big.members) };
  assert.equal(planIpsets(mkSets(copy), first.after, opts).text, '');
  // A belief re-read from the kernel (a new snapshot object) with a member gone is diffed and repaired.
  const reread = new Map(first.after);
  const snap = first.after.get('cali40s:big')!;
  reread.set('cali40s:big', { ...snap, members: new Set(['10.0.0.1']) });
  assert.equal(planIpsets(mkSets(big), reread, opts).text, 'add cali40s:big 10.0.0.2 -exist\nCOMMIT\n');
  // A new members object after a delta: diffed.
  const next = { ...big, members: new Set([...big.members, '10.0.0.3']) };
  assert.equal(planIpsets(mkSets(next), first.after, opts).text, 'add cali40s:big 10.0.0.3 -exist\nCOMMIT\n');
});
