// Pure tests of the iptables restore planner and the iptables-save parser (felix/iptables/table.go, test/unit/rules/compiler/fixtures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  planTable,
  parseSave,
  EMPTY_SNAPSHOT,
  type TableSnapshot,
} from '../../../../rules/iptables/index.js';
import { DataplaneError } from '../../../../rules/backend/index.js';
import { mkTable, ruleHashes } from '../writer-fixtures.js';

const desired1 = mkTable('filter', 4, {
  chains: {
    'cali-INPUT': ['--jump cali-pi-gnp/allow-http', '--jump DROP'],
    'cali-pi-gnp/allow-http': ['-p tcp -m multiport --destination-ports 80 --jump ACCEPT'],
  },
  inserts: { INPUT: ['--jump cali-INPUT'] },
  appends: { FORWARD: ['--jump MARK --set-mark 0x10000/0x10000'] },
});

function applyPlanToText(snapshot: TableSnapshot): string {
  // Render a snapshot in iptables-save's shape (good enough for the parser round trip).
  const lines = ['*filter'];
  for (const name of snapshot.chains.keys()) lines.push(`:${name} - [0:0]`);
  for (const [name, rs] of snapshot.chains) for (const r of rs) lines.push(`-A ${name} ${r.spec}`);
  lines.push('COMMIT');
  return lines.join('\n');
}

test('hashes match Felix test vectors (felix/iptables/table.go)', () => {
  assert.deepEqual(ruleHashes('INPUT', ['--jump cali-INPUT']), ['Cz_u1IQiXIMmKD4c']);
  assert.deepEqual(ruleHashes('FORWARD', ['--jump cali-FORWARD']), ['wUHhoiAYhphO9Mso']);
});

test('fresh table: declares chains, appends rules, inserts hooks in reverse order, appends last', () => {
  const d = mkTable('filter', 4, {
    inserts: { INPUT: ['--jump cali-a', '--jump cali-b'] },
    chains: { 'cali-a': [], 'cali-b': [] },
  });
  const p = planTable(d, EMPTY_SNAPSHOT, 'legacy');
  const [h1, h2] = d.inserts.get('INPUT')!;
  assert.equal(
    p.text,
    [
      '*filter',
      ':cali-a - -',
      ':cali-b - -',
      `-I INPUT -m comment --comment "cali:${h2!.hash}" --jump cali-b`,
      `-I INPUT -m comment --comment "cali:${h1!.hash}" --jump cali-a`,
      'COMMIT',
      '',
    ].join('\n'),
  );
  const p1 = planTable(desired1, EMPTY_SNAPSHOT, 'legacy');
  const lines = p1.text.split('\n');
  assert.equal(lines[0], '*filter');
  assert.ok(lines.indexOf(':cali-INPUT - -') < lines.findIndex((l) => l.startsWith('-A cali-INPUT')));
  assert.ok(lines.some((l) => /^-A FORWARD -m comment --comment "cali:[\w-]{16}" --jump MARK/.test(l)));
  assert.deepEqual(p1.changedChains, ['FORWARD', 'INPUT', 'cali-INPUT', 'cali-pi-gnp/allow-http']);
});

test('no changes: empty plan after applying the first plan', () => {
  const p1 = planTable(desired1, EMPTY_SNAPSHOT, 'legacy');
  const again = planTable(desired1, p1.after, 'legacy');
  assert.equal(again.text, '');
  // The same through the save parser (hashes are what is compared, not text).
  const reread = parseSave(applyPlanToText(p1.after), 'filter');
  assert.equal(planTable(desired1, reread, 'legacy').text, '');
});

test('incremental change (legacy): only -R of the changed rule; -A / -D for length changes', () => {
  const base = planTable(desired1, EMPTY_SNAPSHOT, 'legacy').after;
  const changed = mkTable('filter', 4, {
    chains: {
      'cali-INPUT': ['--jump cali-pi-gnp/allow-http', '--jump DROP'],
      'cali-pi-gnp/allow-http': ['-p tcp -m multiport --destination-ports 80,443 --jump ACCEPT'],
    },
    inserts: { INPUT: ['--jump cali-INPUT'] },
    appends: { FORWARD: ['--jump MARK --set-mark 0x10000/0x10000'] },
  });
  const p = planTable(changed, base, 'legacy');
  const h = changed.chains.get('cali-pi-gnp/allow-http')!.rules[0]!.hash;
  assert.equal(
    p.text,
    `*filter\n-R cali-pi-gnp/allow-http 1 -m comment --comment "cali:${h}" -p tcp -m multiport --destination-ports 80,443 --jump ACCEPT\nCOMMIT\n`,
  );
  assert.deepEqual(p.changedChains, ['cali-pi-gnp/allow-http']);

  const shorter = mkTable('filter', 4, {
    chains: {
      'cali-INPUT': ['--jump cali-pi-gnp/allow-http'],
      'cali-pi-gnp/allow-http': ['-p tcp -m multiport --destination-ports 80 --jump ACCEPT'],
    },
    inserts: { INPUT: ['--jump cali-INPUT'] },
    appends: { FORWARD: ['--jump MARK --set-mark 0x10000/0x10000'] },
  });
  assert.equal(planTable(shorter, base, 'legacy').text, '*filter\n-D cali-INPUT 2\nCOMMIT\n');
});

test('incremental change (nft): the changed chain is flushed and rewritten whole, others untouched', () => {
  const base = planTable(desired1, EMPTY_SNAPSHOT, 'nft').after;
  const changed = mkTable('filter', 4, {
    chains: {
      'cali-INPUT': ['--jump cali-pi-gnp/allow-http', '--jump REJECT'],
      'cali-pi-gnp/allow-http': ['-p tcp -m multiport --destination-ports 80 --jump ACCEPT'],
    },
    inserts: { INPUT: ['--jump cali-INPUT'] },
    appends: { FORWARD: ['--jump MARK --set-mark 0x10000/0x10000'] },
  });
  const p = planTable(changed, base, 'nft');
  const lines = p.text.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['*filter', ':cali-INPUT - -']);
  assert.equal(lines.filter((l) => l.startsWith('-A cali-INPUT')).length, 2);
  assert.ok(!p.text.includes('cali-pi-gnp/allow-http -m'), 'unchanged chain must not be rewritten');
});

test('stale owned chains are flushed then deleted last; our hook rules deleted by value', () => {
  const saved = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':cali-old - [0:0]',
    ':cali-gone - [0:0]',
    ':KUBE-FOO - [0:0]',
    '-A INPUT -m comment --comment "cali:AAAAAAAAAAAAAAAA" -j cali-old',
    '-A INPUT -s 192.0.2.1/32 -j ACCEPT',
    '-A INPUT -j cali-gone',
    '-A cali-old -j cali-gone',
    '-A KUBE-FOO -j ACCEPT',
    'COMMIT',
  ].join('\n');
  const snap = parseSave(saved, 'filter');
  const p = planTable(mkTable('filter', 4, {}), snap, 'legacy');
  assert.equal(
    p.text,
    [
      '*filter',
      ':cali-gone - -',
      ':cali-old - -',
      '-D INPUT -m comment --comment "cali:AAAAAAAAAAAAAAAA" -j cali-old',
      '-D INPUT -j cali-gone',
      '--delete-chain cali-gone',
      '--delete-chain cali-old',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.ok(
    !p.text.includes('KUBE-FOO') && !p.text.includes('192.0.2.1'),
    'foreign rules and chains untouched',
  );
  assert.deepEqual(p.deletedChains, ['cali-gone', 'cali-old']);
});

test('hook chain with a foreign rule above our insert is re-ordered, foreign rule kept', () => {
  const p0 = planTable(desired1, EMPTY_SNAPSHOT, 'legacy').after;
  const input = p0.chains.get('INPUT')!;
  const tampered: TableSnapshot = {
    chains: new Map([
      ...p0.chains,
      ['INPUT', [{ hash: undefined, spec: '-s 192.0.2.1/32 -j ACCEPT' }, ...input]],
    ]),
  };
  const p = planTable(desired1, tampered, 'legacy');
  const h = desired1.inserts.get('INPUT')![0]!.hash;
  assert.equal(
    p.text,
    `*filter\n-D INPUT -m comment --comment "cali:${h}" --jump cali-INPUT\n-I INPUT -m comment --comment "cali:${h}" --jump cali-INPUT\nCOMMIT\n`,
  );
  assert.deepEqual(
    p.after.chains.get('INPUT')!.map((r) => r.hash),
    [h, undefined],
  );
});

test('parseSave: hash regex (quoted and not), first match wins, other tables ignored', () => {
  const snap = parseSave(
    [
      '*nat',
      ':POSTROUTING ACCEPT [0:0]',
      '-A POSTROUTING -m comment --comment cali:natnatnat -j MASQUERADE',
      'COMMIT',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      '-A INPUT -m comment --comment cali:unquoted_hash-1 -m comment --comment "cali:second" -j ACCEPT',
      '-A INPUT -j ACCEPT',
      'COMMIT',
    ].join('\n'),
    'filter',
  );
  assert.deepEqual([...snap.chains.keys()], ['INPUT']);
  assert.deepEqual(
    snap.chains.get('INPUT')!.map((r) => r.hash),
    ['unquoted_hash-1', undefined],
  );
});

test('parseSave: an unhashed jump to our chain is an old insert (removed); an unhashed goto is foreign (kept), as in Felix', () => {
  const snap = parseSave(
    ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j cali-INPUT', '-A INPUT -g cali-INPUT', 'COMMIT'].join(
      '\n',
    ),
    'filter',
  );
  assert.deepEqual(
    snap.chains.get('INPUT')!.map((r) => r.hash),
    ['OLD INSERT RULE', undefined],
  );
  const p = planTable(mkTable('filter', 4, { chains: {} }), snap, 'legacy');
  assert.equal(p.text, '*filter\n-D INPUT -j cali-INPUT\nCOMMIT\n');
});

test('parseSave: nft-incompatible table is an error', () => {
  assert.throws(
    () => parseSave("# Table `filter' is incompatible, use 'nft' tool.\n", 'filter'),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_NFT_INCOMPATIBLE',
  );
});

test('datastore text cannot inject restore lines', () => {
  const evil = mkTable('filter', 4, { chains: { 'cali-x': ['--jump ACCEPT\n-F INPUT'] } });
  assert.throws(
    () => planTable(evil, EMPTY_SNAPSHOT, 'legacy'),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_UNSAFE_RESTORE_TEXT',
  );
  const badName = mkTable('filter', 4, { chains: { 'cali-x y': [] } });
  assert.throws(
    () => planTable(badName, EMPTY_SNAPSHOT, 'legacy'),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_UNSAFE_RESTORE_TEXT',
  );
  const notOwned = mkTable('filter', 4, { chains: { 'KUBE-X': [] } });
  assert.throws(
    () => planTable(notOwned, EMPTY_SNAPSHOT, 'legacy'),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_BAD_DESIRED_STATE',
  );
  const badHash = {
    ...evil,
    chains: new Map([['cali-x', { name: 'cali-x', rules: [{ hash: 'a"b', body: '' }] }]]),
  };
  assert.throws(
    () => planTable(badHash, EMPTY_SNAPSHOT, 'legacy'),
    (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_UNSAFE_RESTORE_TEXT',
  );
});
