// IPv6: the ip6tables writers and cali6 sets, side by side with IPv4 (both backends, root only).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource } from '../../rules/index.js';
import type { DesiredState } from '../../rules/model.js';
import { mkSet, mkSets, mkTable } from '../unit/rules/writer-fixtures.js';
import { Netns, isRoot } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';

function dual(v6Member: string): DesiredState {
  const chain = (set: string) => ({
    'cali-INPUT': [`-p tcp -m set --match-set ${set} src -m multiport --destination-ports 22 --jump DROP`],
  });
  return {
    tables: [
      mkTable('filter', 4, { chains: chain('cali40s:v4set'), inserts: { INPUT: ['--jump cali-INPUT'] } }),
      mkTable('filter', 6, { chains: chain('cali60s:v6set'), inserts: { INPUT: ['--jump cali-INPUT'] } }),
    ],
    ipsets: mkSets(
      mkSet('cali40s:v4set', 'hash:net', ['10.0.0.1/32']),
      mkSet('cali60s:v6set', 'hash:net', [v6Member], 6),
    ),
  };
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`IPv6 tables and sets (${backend})`, { skip }, () => {
    let ns: Netns | undefined;
    after(async () => ns?.destroy());

    test('v6 rules go to ip6tables, v6 sets are created with family inet6, deltas compare canonically', async () => {
      ns = await Netns.create(`6${backend[0]}`);
      const d = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        ipv6: true,
        netns: ns.name,
        refreshIntervalMs: 0,
      });
      await d.start();
      await d.applyNow(dual('fd00:0:0::1/128'));
      const v6 = (await ns.exec(`ip6tables-${backend}-save`, ['-t', 'filter'])).stdout;
      assert.match(v6, /^-A cali-INPUT .*--match-set cali60s:v6set src/m);
      assert.match(v6, /^-A INPUT -m comment --comment "cali:[\w-]{16}" -j cali-INPUT$/m);
      const v4 = (await ns.exec(`iptables-${backend}-save`, ['-t', 'filter'])).stdout;
      assert.match(v4, /--match-set cali40s:v4set src/);
      assert.doesNotMatch(v4, /cali60s/);
      const sets = (await ns.exec('ipset', ['save'])).stdout;
      assert.match(sets, /^create cali60s:v6set hash:net family inet6 /m);
      assert.match(sets, /^add cali60s:v6set fd00::1$/m);
      // Same members written differently: nothing to do after a fresh read.
      d.refresh();
      const ev = await d.applyNow(dual('fd00::1/128'));
      assert.equal(ev.restoreCalls, 0);
      assert.deepEqual(ev.changedSets, []);
      await d.stop();
    });
  });
}
