// MaxIpsetSize in a network namespace (issue 17 item 3): MaxIpsetSize=100 and a set of 150
// members. The kernel never sees the oversized set (no "Hash is full"), an existing set keeps its
// members, a new one is not created and the chain using it fails closed, the rest is programmed,
// and the apply after the set shrinks programs it. Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource } from '../../rules/index.js';
import type { DesiredState } from '../../rules/model.js';
import { Netns, isRoot, save } from './netns.js';
import { mkSet, mkSets, mkTable } from '../unit/rules/writer-fixtures.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const ips = (n: number, second: number) =>
  Array.from({ length: n }, (_, i) => `10.${second}.${i >> 8}.${i & 255}`);

/** `newSize` undefined: no cali40new set and no chain using it. */
function desired(oldSize: number, newSize: number | undefined): DesiredState {
  const jumps = [
    '--jump cali-pi-old',
    ...(newSize === undefined ? [] : ['--jump cali-pi-new']),
    '--jump cali-pi-ok',
  ];
  const chains: Record<string, string[]> = {
    'cali-INPUT': jumps,
    'cali-pi-old': ['-m set --match-set cali40old src --jump ACCEPT'],
    'cali-pi-ok': ['-m set --match-set cali40ok src --jump ACCEPT'],
  };
  const sets = [mkSet('cali40old', 'hash:ip', ips(oldSize, 1)), mkSet('cali40ok', 'hash:ip', ips(3, 3))];
  if (newSize !== undefined) {
    chains['cali-pi-new'] = ['-m set --match-set cali40new src --jump ACCEPT'];
    sets.push(mkSet('cali40new', 'hash:ip', ips(newSize, 2)));
  }
  return {
    tables: [mkTable('filter', 4, { chains, inserts: { INPUT: ['--jump cali-INPUT'] } })],
    ipsets: mkSets(...sets),
  };
}

async function members(ns: Netns): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const l of (await ns.exec('ipset', ['save'])).stdout.split('\n')) {
    const m = /^(create|add) (\S+)/.exec(l);
    if (m) out.set(m[2]!, (out.get(m[2]!) ?? -1) + 1);
  }
  return out;
}

describe('MaxIpsetSize is enforced without blocking the node', { skip }, () => {
  let ns: Netns;
  let driver: DataplaneDriver;
  before(async () => {
    ns = await Netns.create('ipsz');
    driver = new DataplaneDriver({
      source: new StaticSource(),
      backend: 'legacy',
      netns: ns.name,
      refreshIntervalMs: 0,
      maxIpsetSize: 100,
    });
    await driver.start();
  });
  after(async () => {
    await driver.stop();
    await ns.destroy();
  });

  test('a 150-member set with MaxIpsetSize 100', async () => {
    const first = desired(50, undefined);
    await driver.applyNow(first);
    assert.match(
      (await ns.exec('ipset', ['save'])).stdout,
      /^create cali40old hash:ip family inet .*maxelem 100\b/m,
    );

    const ev = await driver.applyNow(desired(150, 150));
    assert.deepEqual(
      ev.refused.map((r) => [r.kind, r.name]),
      [
        ['set', 'cali40old'],
        ['set', 'cali40new'],
        ['chain', 'cali-pi-new'],
      ],
    );
    assert.equal(ev.refused[0]!.reason, 'IP set has 150 members, more than MaxIpsetSize (100)');
    assert.doesNotMatch(driver.lastRestoreInputs().get('ipset') ?? '', /cali40new/);
    const m = await members(ns);
    assert.equal(m.get('cali40old'), 50, 'the existing set keeps its members');
    assert.equal(m.has('cali40new'), false, 'the new oversized set is not created');
    assert.equal(m.get('cali40ok'), 3);
    const lines = await save(ns, 'legacy', 'filter');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('-A cali-pi-new ')),
      ['-A cali-pi-new -m comment --comment "cali:quarantined" -j DROP'],
      'the chain using the missing set fails closed',
    );
    assert.ok(lines.some((l) => l.startsWith('-A cali-pi-ok ') && l.includes('--match-set cali40ok src')));

    const back = await driver.applyNow(desired(100, 90));
    assert.deepEqual(back.refused, []);
    const m2 = await members(ns);
    assert.equal(m2.get('cali40old'), 100);
    assert.equal(m2.get('cali40new'), 90);
    const after = await save(ns, 'legacy', 'filter');
    assert.ok(after.some((l) => l.startsWith('-A cali-pi-new ') && l.includes('--match-set cali40new src')));
  });
});
