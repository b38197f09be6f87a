// The dataplane writer against real kernels, in scratch network namespaces, on both iptables
// backends (felix/iptables/table.go, felix/ipsets/ipsets.go, test/unit/rules/compiler/fixtures). Root only; CI runs as root.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { execa } from 'execa';
import { DataplaneDriver, StaticSource, DataplaneError } from '../../rules/index.js';
import type { DesiredState } from '../../rules/model.js';
import { Netns, isRoot, iptCmd, hashesByChain, save, type Backend } from './netns.js';
import { scenario, EMPTY } from './scenario.js';
import { pollUntil } from '../e2e/poll.js';

const skip = isRoot ? false : 'needs root (network namespaces)';

function expectedHashes(d: DesiredState, table: string): Map<string, string[]> {
  const t = d.tables.find((x) => x.table === table)!;
  const m = new Map<string, string[]>();
  for (const [name, c] of t.chains)
    m.set(
      name,
      c.rules.map((r) => r.hash),
    );
  return m;
}

function ourChains(h: Map<string, string[]>): Map<string, string[]> {
  return new Map([...h].filter(([n]) => n.startsWith('cali-')));
}

function inputLines(d: DataplaneDriver, key: string): string[] {
  return (d.lastRestoreInputs().get(key) ?? '').trim().split('\n');
}

async function addForeign(ns: Netns, b: Backend): Promise<void> {
  const ipt = iptCmd(b);
  await ns.exec(ipt, ['-w', '-A', 'INPUT', '-s', '192.0.2.1', '-j', 'ACCEPT']);
  await ns.exec(ipt, ['-w', '-N', 'KUBE-FOO']);
  await ns.exec(ipt, ['-w', '-A', 'KUBE-FOO', '-s', '192.0.2.2', '-j', 'RETURN']);
  await ns.exec(ipt, ['-w', '-A', 'FORWARD', '-j', 'KUBE-FOO']);
  await ns.exec('ipset', ['create', 'theirs', 'hash:ip']);
  await ns.exec('ipset', ['add', 'theirs', '192.0.2.3']);
  // Look-alikes that only contain an owned prefix, or use one for the other family: never ours.
  for (const n of LOOK_ALIKE_SETS) await ns.exec('ipset', ['create', n, 'hash:net']);
}

/**
 * Sets an older Felix left behind (felix/rules/rule_defs.go AllHistoricIPSetNamePrefixes "felix-" and
 * LegacyV4IPSetNames): Felix v3.32.1 owns them and removes them once nothing refers to them, and so does
 * felix-ts. The IPv6 one stays while IPv6 is off (this driver's default), as Felix without IPv6Support
 * leaves IPv6 sets alone.
 */
const LEGACY_FELIX_V6_SET = 'felix-6-all-pools';
const LEGACY_FELIX_SETS = ['felix-masq-ipam-pools', 'felix-all-ipam-pools', 'felix-4-all-pools'];
const LOOK_ALIKE_SETS = ['calico-pools', 'kube-felix-4', 'kube-cali4-x'];

async function addLegacyFelixSets(ns: Netns): Promise<void> {
  for (const n of LEGACY_FELIX_SETS) await ns.exec('ipset', ['create', n, 'hash:net']);
  await ns.exec('ipset', ['create', LEGACY_FELIX_V6_SET, 'hash:net', 'family', 'inet6']);
}

async function assertForeignIntact(ns: Netns, b: Backend): Promise<void> {
  const lines = await save(ns, b, 'filter');
  assert.ok(lines.includes('-A INPUT -s 192.0.2.1/32 -j ACCEPT'), 'foreign INPUT rule survives');
  assert.ok(lines.includes(':KUBE-FOO - [0:0]'), 'foreign chain survives');
  assert.ok(lines.includes('-A KUBE-FOO -s 192.0.2.2/32 -j RETURN'), 'foreign chain rule survives');
  assert.ok(lines.includes('-A FORWARD -j KUBE-FOO'), 'foreign FORWARD jump survives');
  const sets = await ns.exec('ipset', ['save']);
  assert.match(sets.stdout, /^add theirs 192\.0\.2\.3$/m, 'foreign ipset survives');
  for (const n of LOOK_ALIKE_SETS)
    assert.match(sets.stdout, new RegExp(`^create ${n} `, 'm'), `${n} survives`);
}

async function assertMatches(ns: Netns, b: Backend, d: DesiredState): Promise<void> {
  const filter = await hashesByChain(ns, b, 'filter');
  assert.deepEqual(ourChains(filter), expectedHashes(d, 'filter'));
  const f = d.tables.find((t) => t.table === 'filter')!;
  assert.deepEqual(filter.get('INPUT'), [f.inserts.get('INPUT')![0]!.hash, '-']);
  assert.deepEqual(filter.get('FORWARD'), [
    f.inserts.get('FORWARD')![0]!.hash,
    '-',
    f.appends.get('FORWARD')![0]!.hash,
  ]);
  const mangle = await hashesByChain(ns, b, 'mangle');
  assert.deepEqual(ourChains(mangle), expectedHashes(d, 'mangle'));
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`dataplane writer in a network namespace (${backend})`, { skip }, () => {
    let ns: Netns;
    let driver: DataplaneDriver;
    const mk = (extra: Partial<ConstructorParameters<typeof DataplaneDriver>[0]> = {}) =>
      new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: ns.name,
        refreshIntervalMs: 0,
        retryBaseMs: 1,
        ...extra,
      });

    before(async () => {
      ns = await Netns.create(backend.slice(0, 3));
      await addForeign(ns, backend);
      await addLegacyFelixSets(ns);
      driver = mk();
      await driver.start();
    });
    after(async () => {
      await driver?.stop();
      await ns?.destroy();
    });

    test('first apply: iptables-save shows exactly the desired rules, foreign rules kept', async () => {
      const d = scenario();
      const ev = await driver.applyNow(d);
      assert.equal(ev.restoreCalls, 2, 'one restore per changed table (filter, mangle)');
      await assertMatches(ns, backend, d);
      await assertForeignIntact(ns, backend);
      const sets = (await ns.exec('ipset', ['save'])).stdout;
      assert.match(sets, /^create cali40s:blocked hash:net family inet .*maxelem 1048576/m);
      assert.match(sets, /^add cali40s:blocked 10\.99\.0\.2$/m);
      assert.match(sets, /^add cali40s:blocked 10\.98\.0\.0\/16$/m);
      for (const n of LEGACY_FELIX_SETS)
        assert.doesNotMatch(sets, new RegExp(`^create ${n} `, 'm'), `${n} (an older Felix's) removed`);
      assert.deepEqual(
        LEGACY_FELIX_SETS.filter((n) => !ev.changedSets.includes(n)),
        [],
        'the removals are reported',
      );
      assert.match(sets, new RegExp(`^create ${LEGACY_FELIX_V6_SET} `, 'm'), 'IPv6 off: IPv6 sets untouched');
      // Rule text as iptables prints it (test/unit/rules/compiler/fixtures/worked-example-12.4.txt): our comment first, the body after it.
      assert.ok(
        (await save(ns, backend, 'filter')).some((l) =>
          /^-A cali-pi-gnp\/allow -p tcp -m comment --comment "cali:[\w-]{16}" -m set --match-set cali40s:blocked src -m multiport --dports 9090 -j DROP$/.test(
            l,
          ),
        ),
      );
    });

    test('incremental change writes only the changed chain', async () => {
      const d = scenario({ port: 9091 });
      const ev = await driver.applyNow(d);
      assert.equal(ev.restoreCalls, 1);
      assert.deepEqual(ev.changedChains, ['ipv4/filter:cali-pi-gnp/allow']);
      const h = d.tables[0]!.chains.get('cali-pi-gnp/allow')!.rules[0]!;
      const ruleText = `-m comment --comment "cali:${h.hash}" ${h.body}`;
      const expected =
        backend === 'legacy'
          ? ['*filter', `-R cali-pi-gnp/allow 1 ${ruleText}`, 'COMMIT']
          : ['*filter', ':cali-pi-gnp/allow - -', `-A cali-pi-gnp/allow ${ruleText}`, 'COMMIT'];
      assert.deepEqual(inputLines(driver, 'ipv4/filter'), expected);
      await assertMatches(ns, backend, d);
      await assertForeignIntact(ns, backend);
      // Membership delta only.
      const d2: DesiredState = {
        ...d,
        ipsets: new Map([
          [
            'cali40s:blocked',
            { ...d.ipsets.get('cali40s:blocked')!, members: new Set(['10.99.0.2/32', '10.97.0.0/16']) },
          ],
        ]),
      };
      await driver.applyNow(d2);
      assert.deepEqual(driver.lastRestoreInputs().get('ipset')!.trim().split('\n'), [
        'del cali40s:blocked 10.98.0.0/16 -exist',
        'add cali40s:blocked 10.97.0.0/16 -exist',
        'COMMIT',
      ]);
      await driver.applyNow(d);
    });

    test('ipset type and maxelem changes: recreate or temp+swap, then the extra set is destroyed', async () => {
      const base = scenario({ port: 9091 });
      const withSet = (type: 'hash:ip' | 'hash:net', members: string[]): DesiredState => ({
        ...base,
        ipsets: new Map([
          ...base.ipsets,
          ['cali40typed', { name: 'cali40typed', type, family: 4, members: new Set(members) }],
        ]),
      });
      await driver.applyNow(withSet('hash:ip', ['10.1.1.1']));
      assert.match((await ns.exec('ipset', ['save'])).stdout, /^create cali40typed hash:ip /m);
      await driver.applyNow(withSet('hash:net', ['10.1.0.0/16']));
      const after = (await ns.exec('ipset', ['save'])).stdout;
      assert.match(after, /^create cali40typed hash:net /m);
      assert.match(after, /^add cali40typed 10\.1\.0\.0\/16$/m);
      const small = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: ns.name,
        refreshIntervalMs: 0,
        maxIpsetSize: 4096,
      });
      await small.start();
      await small.applyNow(withSet('hash:net', ['10.1.0.0/16']));
      assert.match(small.lastRestoreInputs().get('ipset')!, /^swap cali40typed cali4t\d+$/m);
      const swapped = (await ns.exec('ipset', ['save'])).stdout;
      assert.match(swapped, /^create cali40typed hash:net .*maxelem 4096/m);
      assert.match(swapped, /^add cali40typed 10\.1\.0\.0\/16$/m);
      assert.doesNotMatch(swapped, /cali4t/, 'temp set destroyed');
      await small.stop();
      driver.refresh();
      await driver.applyNow(base);
      const final = (await ns.exec('ipset', ['save'])).stdout;
      assert.doesNotMatch(final, /cali40typed/);
      assert.match(final, /^create cali40s:blocked hash:net .*maxelem 1048576/m);
      await assertForeignIntact(ns, backend);
    });

    test('tampering (deleted, edited and moved rules) is repaired by the refresh', async () => {
      const d = scenario({ port: 9091 });
      const ipt = iptCmd(backend);
      await ns.exec(ipt, ['-w', '-D', 'cali-INPUT', '2']);
      await ns.exec(ipt, ['-w', '-R', 'cali-pi-gnp/allow', '1', '-j', 'ACCEPT']);
      await ns.exec(ipt, ['-w', '-D', 'INPUT', '1']);
      await ns.exec(ipt, ['-w', '-I', 'INPUT', '1', '-s', '192.0.2.9', '-j', 'ACCEPT']);
      await ns.exec('ipset', ['del', 'cali40s:blocked', '10.99.0.2']);
      // Without a refresh the writer trusts its cache and writes nothing.
      const before = driver.counters.iptablesRestoreCalls;
      await driver.applyNow(d);
      assert.equal(driver.counters.iptablesRestoreCalls, before);
      driver.refresh();
      await driver.applyNow(d);
      const filter = await hashesByChain(ns, backend, 'filter');
      assert.deepEqual(ourChains(filter), expectedHashes(d, 'filter'));
      const f = d.tables[0]!;
      // Our insert is back on top; both foreign rules kept, in their order.
      assert.deepEqual(filter.get('INPUT'), [f.inserts.get('INPUT')![0]!.hash, '-', '-']);
      const lines = await save(ns, backend, 'filter');
      assert.ok(lines.includes('-A INPUT -s 192.0.2.9/32 -j ACCEPT'));
      assert.match((await ns.exec('ipset', ['save'])).stdout, /^add cali40s:blocked 10\.99\.0\.2$/m);
      await ns.exec(ipt, ['-w', '-D', 'INPUT', '-s', '192.0.2.9', '-j', 'ACCEPT']);
      await assertForeignIntact(ns, backend);
    });

    test('the periodic refresh timer repairs tampering without a manual refresh()', async () => {
      const d = scenario({ port: 9091 });
      const ipt = iptCmd(backend);
      const timed = mk({ source: new StaticSource(d), refreshIntervalMs: 300 });
      await timed.start();
      try {
        timed.onMessages([{ kind: 'inSync' }]);
        await timed.settled();
        await assertMatches(ns, backend, d);
        const restores0 = timed.counters.iptablesRestoreCalls;
        // Delete one of our rules and edit another, and drop a set member, behind the writer's back.
        await ns.exec(ipt, ['-w', '-D', 'cali-INPUT', '2']);
        await ns.exec(ipt, ['-w', '-R', 'cali-pi-gnp/allow', '1', '-j', 'ACCEPT']);
        await ns.exec('ipset', ['del', 'cali40s:blocked', '10.99.0.2']);
        const want = expectedHashes(d, 'filter');
        // No refresh() and no new messages here: only the interval timer can notice.
        await pollUntil(
          'the refresh timer to restore the desired rules',
          async () => {
            const got = ourChains(await hashesByChain(ns, backend, 'filter'));
            const sets = (await ns.exec('ipset', ['save'])).stdout;
            const setOk = /^add cali40s:blocked 10\.99\.0\.2$/m.test(sets);
            return {
              ok: isDeepStrictEqual(got, want) && setOk,
              value: undefined,
              describe: `${JSON.stringify([...got])} set member restored=${setOk}`,
            };
          },
          { timeoutMs: 15_000, intervalMs: 100 },
        );
        assert.ok(
          timed.counters.iptablesRestoreCalls > restores0,
          'the repair was written by the timed driver',
        );
        await assertMatches(ns, backend, d);
        assert.ok(
          (await save(ns, backend, 'filter')).some((l) =>
            /^-A cali-pi-gnp\/allow -p tcp -m comment --comment "cali:[\w-]{16}" -m set --match-set cali40s:blocked src -m multiport --dports 9091 -j DROP$/.test(
              l,
            ),
          ),
          'the edited rule has its original body again',
        );
        await assertForeignIntact(ns, backend);
      } finally {
        await timed.stop();
      }
    });

    test('a refused chain is isolated (issue 17 item 2), reported, and the rest is programmed', async () => {
      const good = scenario({ port: 9091 });
      const bad = scenario({ port: 9092, extraChain: ['--jump NO-SUCH-TARGET-X'] });
      const d = mk({ maxAttempts: 3 });
      await d.start();
      const errors0 = d.counters.iptablesRestoreErrors;
      const ev = await d.applyNow(bad);
      assert.deepEqual(
        ev.refused.map((r) => [r.table, r.name]),
        [['filter', 'cali-extra']],
      );
      // legacy names the refused line; nft names the COMMIT line here, so the chain is bisected.
      const refusedRestores = d.counters.iptablesRestoreErrors - errors0;
      assert.ok(
        backend === 'legacy' ? refusedRestores === 1 : refusedRestores >= 1 && ev.restoreCalls <= 12,
        `${refusedRestores} refused restores, ${ev.restoreCalls} in all`,
      );
      const lines = await save(ns, backend, 'filter');
      assert.ok(
        lines.includes('-A cali-extra -m comment --comment "cali:quarantined" -j DROP'),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => /^-A cali-pi-gnp\/allow .*--dports 9092 /.test(l)),
        'the good chains of the same transaction are programmed',
      );
      // Reported through the apply event for health when driven by messages.
      const src = new StaticSource(bad);
      const d2 = mk({ maxAttempts: 2, source: src, errorRetryMs: 60_000 });
      await d2.start();
      const reported = new Promise<readonly string[]>((resolve) =>
        d2.once('apply', (e) => resolve(e.refused.map((r) => r.name))),
      );
      d2.onMessages([{ kind: 'inSync' }]);
      assert.deepEqual(await reported, ['cali-extra']);
      await d2.stop();
      // Once the input is valid the next apply gets it in.
      await d.applyNow(good);
      await assertMatches(ns, backend, good);
      await d.stop();
    });

    test('a restart adopts existing rules without a flush; counters survive', async () => {
      const d = scenario({ port: 9091 });
      await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1']);
      const counter = async () => {
        const r = await ns.exec(`${iptCmd(backend)}-save`, ['-c', '-t', 'filter']);
        const line = r.stdout.split('\n').find((l) => / -A INPUT -m comment --comment "cali:/.test(l))!;
        return Number(/^\[(\d+):/.exec(line)![1]);
      };
      const pktsBefore = await counter();
      assert.ok(pktsBefore >= 6, `our INPUT hook saw the pings (${pktsBefore})`);
      // Same state: the new instance reads the kernel and writes nothing at all.
      const fresh = mk();
      await fresh.start();
      const ev = await fresh.applyNow(d);
      assert.equal(ev.restoreCalls, 0);
      assert.equal(fresh.counters.iptablesRestoreCalls, 0);
      await fresh.stop();
      // Another instance with one change: only that chain is touched, nothing live is flushed.
      const changed = scenario({ port: 9091, forwardMark: '0/0x1b0000' });
      const again = mk();
      await again.start();
      await again.applyNow(changed);
      const text = again.lastRestoreInputs().get('ipv4/filter')!;
      assert.ok(!/^:cali-INPUT|^:cali-pi-|^--delete-chain|^-F|^-X|^-D INPUT|^-I INPUT/m.test(text), text);
      assert.ok(text.includes('cali-FORWARD'));
      assert.ok((await counter()) >= pktsBefore, 'packet counter of the untouched hook rule kept');
      await assertMatches(ns, backend, changed);
      await again.applyNow(d);
      await again.stop();
    });

    if (backend === 'legacy') {
      test('xtables lock held by another process: apply waits, then succeeds; timeout is reported', async () => {
        // The xtables lock is a plain file (/run/xtables.lock). `ip netns exec` gives a new mount
        // namespace but shares /run, so that lock is global across network namespaces: holding it
        // would stall every other legacy iptables user on the machine. iptables honours
        // XTABLES_LOCKFILE, so the test locks a private file and points the writer at it.
        const lock = `/tmp/fxe-xtables-${process.pid}.lock`;
        writeFileSync(lock, '');
        const holdLock = async (secs: number) => {
          const child = spawn('flock', ['-x', lock, 'sleep', String(secs)], { stdio: 'ignore' });
          for (let i = 0; i < 100; i++) {
            const probe = await execa('flock', ['-n', lock, 'true'], { reject: false });
            if (probe.exitCode !== 0) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          return child;
        };
        try {
          const d = mk({ env: { XTABLES_LOCKFILE: lock }, lockWaitSecs: 10 });
          await d.start();
          await d.applyNow(scenario({ port: 9091 })); // adopt: no write
          const child = await holdLock(2);
          const t0 = Date.now();
          await d.applyNow(scenario({ port: 9093 }));
          const waited = Date.now() - t0;
          assert.ok(waited >= 1000, `apply waited for the lock (${waited} ms)`);
          if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
          await assertMatches(ns, backend, scenario({ port: 9093 }));

          const short = mk({ env: { XTABLES_LOCKFILE: lock }, lockWaitSecs: 1, maxAttempts: 1 });
          await short.start();
          await short.applyNow(scenario({ port: 9093 }));
          const child2 = await holdLock(3);
          await assert.rejects(
            short.applyNow(scenario({ port: 9091 })),
            (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_IPTABLES_LOCK_TIMEOUT',
          );
          await new Promise((r) => child2.once('exit', r));
          await short.applyNow(scenario({ port: 9091 }));
          await assertMatches(ns, backend, scenario({ port: 9091 }));
          await d.stop();
          await short.stop();
        } finally {
          if (existsSync(lock)) rmSync(lock);
        }
      });
    }

    test('an empty desired state removes our chains and sets, and nothing else', async () => {
      await driver.applyNow(EMPTY);
      for (const table of ['filter', 'mangle']) {
        const h = await hashesByChain(ns, backend, table);
        assert.deepEqual([...ourChains(h).keys()], [], table);
        for (const rules of h.values())
          assert.ok(
            rules.every((x) => x === '-'),
            `no cali rule left in ${table}`,
          );
      }
      assert.doesNotMatch((await ns.exec('ipset', ['save'])).stdout, /cali40/);
      await assertForeignIntact(ns, backend);
    });

    test('before InSync nothing is applied; a storm of updates is coalesced', async () => {
      const src = new StaticSource(EMPTY);
      const d = mk({ source: src, minApplyIntervalMs: 300 });
      await d.start();
      let firstApplies = 0;
      d.on('first-apply', () => firstApplies++);
      for (let i = 0; i < 20; i++) {
        src.set(scenario({ port: 1000 + i }));
        d.onMessages([{ kind: 'ipsetRemove', id: 'x' }]);
      }
      await new Promise((r) => setTimeout(r, 400));
      // Nothing written, no table read: only the start's one read of the kernel's sets (`ipset save`,
      // which the first apply plans against).
      assert.equal(d.counters.iptablesSaveCalls + d.counters.iptablesRestoreCalls, 0);
      assert.equal(d.counters.ipsetCalls, 1);
      assert.equal(firstApplies, 0);
      d.onMessages([{ kind: 'inSync' }]);
      const t0 = Date.now();
      for (let i = 0; i < 50; i++) {
        src.set(scenario({ port: 2000 + i }));
        d.onMessages([{ kind: 'ipsetRemove', id: 'x' }]);
        await new Promise((r) => setTimeout(r, 10));
      }
      await d.settled();
      const elapsed = Date.now() - t0;
      // At most one apply per 300 ms window, plus the trailing one.
      assert.ok(d.applyCount <= Math.ceil(elapsed / 300) + 1, `${d.applyCount} applies in ${elapsed} ms`);
      assert.ok(d.applyCount < 50);
      assert.equal(firstApplies, 1);
      await assertMatches(ns, backend, scenario({ port: 2049 }));
      await d.stop();
      await driver.applyNow(EMPTY);
    });
  });
}
