// Calico rules left in the iptables backend not in use (issue 17 item 6): an old agent's
// cali-FORWARD DROP written with iptables-nft while legacy is in use is swept at driver start,
// foreign rules in both backends stay, and the legacy rules are programmed. A sweep that fails is
// reported in readiness and retried until the rules are gone. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource, type ApplyEvent } from '../../rules/index.js';
import { ExecaRunner, netnsPrefix, type CommandRunner } from '../../rules/backend/index.js';
import { dataplaneReport } from '../../agent/daemon/health-report.js';
import { newStatus } from '../../agent/daemon/status.js';
import { pollUntil } from '../e2e/poll.js';
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

test(
  'a sweep the kernel refuses is reported in readiness, retried, and clears once the rules are gone',
  { skip },
  async () => {
    const ns = await Netns.create('other7');
    try {
      await ns.exec('iptables-nft-restore', ['--noflush'], { input: OLD_AGENT });
      const real = new ExecaRunner({ prefix: netnsPrefix(ns.name) });
      // Every iptables-nft-restore of the start-up sweep fails, as a held lock or a kernel refusal
      // would; from the first apply on they go through.
      let refusing = true;
      const runner: CommandRunner = {
        run: async (file, args, input) => {
          if (file === 'iptables-nft-restore' && refusing) {
            return { stdout: '', stderr: 'iptables-nft-restore: simulated refusal', exitCode: 4 };
          }
          return real.run(file, args, input);
        },
      };
      const events: ApplyEvent[] = [];
      const driver = new DataplaneDriver({
        source: new StaticSource(scenario({ port: 9096 })),
        backend: 'legacy',
        runner,
        refreshIntervalMs: 0,
        otherBackendRetryMs: 200,
      });
      driver.on('apply', (e) => {
        events.push(e);
        refusing = false;
      });
      await driver.start();
      driver.onMessages([{ kind: 'inSync' }]);
      await pollUntil(
        'the first apply',
        async () => ({ ok: events.length > 0, value: undefined, describe: 'no apply' }),
        { timeoutMs: 60_000 },
      );
      const first = events[0]!;
      assert.equal(first.otherBackendErrors?.length, 2, 'both refused tables are in the apply event');
      for (const e of first.otherBackendErrors!)
        assert.match(
          e,
          /^ipv4 nft (filter|mangle): iptables-nft-restore exited 4: iptables-nft-restore: simulated refusal$/,
        );
      const status = { ...newStatus(0).dataplane, started: true, firstApplyDone: true, applies: 1 };
      const report = dataplaneReport({ ...status, otherBackend: first.otherBackendErrors!.join('; ') });
      assert.equal(report.ready, false);
      assert.match(
        report.detail ?? '',
        /^Calico rules in the iptables backend not in use could not be removed, retrying: /,
      );
      assert.ok(
        (await save(ns, 'nft', 'filter')).includes('-A cali-FORWARD -j DROP'),
        'still there after the refusal',
      );

      // The driver retries on its own (no new message), and the next apply reports nothing left.
      const { value: last } = await pollUntil(
        'a sweep retry that succeeds',
        async () => {
          const e = events[events.length - 1]!;
          return { ok: e.otherBackendErrors?.length === 0, value: e, describe: `${events.length} applies` };
        },
        { timeoutMs: 60_000 },
      );
      assert.deepEqual(last.otherBackendErrors, []);
      await driver.stop();
      assert.deepEqual(
        (await save(ns, 'nft', 'filter')).filter((l) => l.includes('cali')),
        [],
        'the retry swept iptables-nft',
      );
      assert.ok((await save(ns, 'nft', 'filter')).includes('-A FORWARD -j THEIRS'), 'foreign rule stays');
      const ok = dataplaneReport({ ...status, otherBackend: last.otherBackendErrors!.join('; ') });
      assert.deepEqual([ok.ready, ok.detail], [true, '']);
    } finally {
      await ns.destroy();
    }
  },
);
