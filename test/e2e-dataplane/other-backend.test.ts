// Calico rules left in the iptables backend not in use (issue 17 item 6): an old agent's
// cali-FORWARD DROP written with iptables-nft while legacy is in use is swept at driver start,
// foreign rules in both backends stay, and the legacy rules are programmed. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource } from '../../rules/index.js';
import { Netns, isRoot, save } from './netns.js';
import { scenario } from './scenario.js';

const skip = isRoot ? false : 'needs root (network namespaces)';

const OLD_AGENT = [
  '*filter',
  ':cali-FORWARD - [0:0]',
  ':cali-from-wl-dispatch - [0:0]',
  ':THEIRS - [0:0]',
  '-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
  '-A FORWARD -j THEIRS',
  '-A FORWARD -s 192.0.2.7/32 -j ACCEPT',
  '-A cali-FORWARD -j cali-from-wl-dispatch',
  '-A cali-FORWARD -j DROP',
  '-A THEIRS -s 192.0.2.8/32 -j RETURN',
  'COMMIT',
  '*mangle',
  ':cali-PREROUTING - [0:0]',
  '-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING',
  '-A PREROUTING -s 192.0.2.9/32 -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

test(
  'legacy in use: our chains and hooks in iptables-nft are swept, foreign rules stay',
  { skip },
  async () => {
    const ns = await Netns.create('other');
    const lines: { level: string; msg: string; meta?: Record<string, unknown> }[] = [];
    const log = (level: string) => (msg: string, meta?: Record<string, unknown>) =>
      lines.push({ level, msg, meta });
    try {
      await ns.exec('iptables-nft-restore', ['--noflush'], { input: OLD_AGENT });
      // Foreign rules on the legacy side too.
      await ns.exec('iptables-legacy', ['-w', '-A', 'INPUT', '-s', '192.0.2.10', '-j', 'ACCEPT']);
      const before = await save(ns, 'nft', 'filter');
      assert.ok(before.includes('-A cali-FORWARD -j DROP'), 'the old agent rule is there');
      const d = scenario({ port: 9094 });
      const driver = new DataplaneDriver({
        source: new StaticSource(d),
        backend: 'legacy',
        netns: ns.name,
        refreshIntervalMs: 0,
        logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      });
      await driver.start();
      driver.onMessages([{ kind: 'inSync' }]);
      await driver.settled();
      await driver.stop();

      const nftFilter = await save(ns, 'nft', 'filter');
      const nftMangle = await save(ns, 'nft', 'mangle');
      assert.deepEqual(
        [...nftFilter, ...nftMangle].filter((l) => l.includes('cali')),
        [],
        'no cali chain or hook is left in iptables-nft',
      );
      for (const want of [
        '-A FORWARD -j THEIRS',
        '-A FORWARD -s 192.0.2.7/32 -j ACCEPT',
        '-A THEIRS -s 192.0.2.8/32 -j RETURN',
      ])
        assert.ok(nftFilter.includes(want), `foreign nft rule stays: ${want}`);
      assert.ok(
        nftMangle.includes('-A PREROUTING -s 192.0.2.9/32 -j ACCEPT'),
        'foreign nft mangle rule stays',
      );

      const legacy = await save(ns, 'legacy', 'filter');
      assert.ok(legacy.includes('-A INPUT -s 192.0.2.10/32 -j ACCEPT'), 'foreign legacy rule stays');
      assert.ok(
        legacy.some((l) => l.startsWith(':cali-FORWARD ')),
        'our legacy chains are programmed',
      );
      assert.ok(
        legacy.some((l) => l.includes('--dports 9094')),
        'the desired rule is in legacy',
      );

      assert.equal(driver.otherBackend?.backend, 'nft');
      assert.deepEqual(driver.otherBackend?.errors, []);
      const filter = driver.otherBackend?.cleaned.find((t) => t.family === 4 && t.table === 'filter');
      assert.deepEqual(filter, {
        family: 4,
        table: 'filter',
        chains: ['cali-FORWARD', 'cali-from-wl-dispatch'],
        rules: 1,
      });
      const info = lines.filter(
        (l) => l.msg === 'Cleaned up Calico chains and rules in the iptables backend not in use',
      );
      assert.deepEqual(info.map((l) => l.meta?.table).sort(), ['filter', 'mangle']);
    } finally {
      await ns.destroy();
    }
  },
);

test(
  'nft in use: what an old agent left in the (loaded) legacy tables is swept, foreign rules stay',
  { skip },
  async () => {
    const ns = await Netns.create('other6');
    try {
      await ns.exec('iptables-legacy-restore', ['--noflush'], { input: OLD_AGENT });
      const driver = new DataplaneDriver({
        source: new StaticSource(scenario({ port: 9095 })),
        backend: 'nft',
        netns: ns.name,
        refreshIntervalMs: 0,
      });
      await driver.start();
      await driver.stop();
      const legacy = await save(ns, 'legacy', 'filter');
      assert.deepEqual(
        legacy.filter((l) => l.includes('cali')),
        [],
      );
      assert.ok(legacy.includes('-A THEIRS -s 192.0.2.8/32 -j RETURN'));
      assert.ok(legacy.includes('-A FORWARD -j THEIRS'));
      assert.equal(driver.otherBackend?.backend, 'legacy');
    } finally {
      await ns.destroy();
    }
  },
);
