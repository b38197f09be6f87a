// A rule or set member the kernel refuses, next to good chains and sets, in a network namespace
// on both backends (issue 17 item 2): the good ones are programmed, the bad chain holds only the
// fail-closed placeholder, the bad set keeps its pre-apply members, the readiness detail names
// both, and once the bad items are gone one apply gets everything in. Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource } from '../../rules/index.js';
import type { DesiredState } from '../../rules/model.js';
import { dataplaneReport, refusedDetail } from '../../agent/daemon/health-report.js';
import { Netns, isRoot, save, type Backend } from './netns.js';
import { mkSet, mkSets, mkTable } from '../unit/rules/writer-fixtures.js';

const skip = isRoot ? false : 'needs root (network namespaces)';

// What the compiler would never produce: multiport without -p (the kernel refuses it).
const BAD_RULE = '-m multiport --destination-ports 80 --jump ACCEPT';

function desired(opts: { badRule: boolean; badMember: boolean }): DesiredState {
  const chains: Record<string, string[]> = {
    'cali-INPUT': ['--jump cali-pi-good1', '--jump cali-pi-bad', '--jump cali-pi-good2'],
    'cali-pi-good1': ['-p tcp -m set --match-set cali40good src --jump ACCEPT'],
    'cali-pi-bad': [opts.badRule ? BAD_RULE : '-p tcp -m multiport --destination-ports 80 --jump ACCEPT'],
    'cali-pi-good2': ['-p udp --dport 53 --jump ACCEPT'],
  };
  return {
    tables: [mkTable('filter', 4, { chains, inserts: { INPUT: ['--jump cali-INPUT'] } })],
    ipsets: mkSets(
      mkSet('cali40good', 'hash:net', ['10.0.0.0/24', '10.0.1.1']),
      mkSet('cali40other', 'hash:ip', opts.badMember ? ['10.1.0.1', '10.0.0.300'] : ['10.1.0.1', '10.1.0.2']),
    ),
  };
}

for (const backend of ['legacy', 'nft'] as Backend[]) {
  describe(`refused chains and sets are isolated (${backend})`, { skip }, () => {
    let ns: Netns;
    let driver: DataplaneDriver;
    before(async () => {
      ns = await Netns.create(`iso${backend.slice(0, 1)}`);
      driver = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: ns.name,
        refreshIntervalMs: 0,
      });
      await driver.start();
    });
    after(async () => {
      await driver.stop();
      await ns.destroy();
    });

    test('good chains and sets go in, the bad ones are isolated and named, one apply recovers', async () => {
      // An earlier, good version of the second set, to check it is put back.
      await driver.applyNow(desired({ badRule: false, badMember: false }));
      const ev = await driver.applyNow(desired({ badRule: true, badMember: true }));
      assert.deepEqual(
        ev.refused.map((r) => [r.table, r.kind, r.name]),
        [
          ['ipsets', 'set', 'cali40other'],
          ['filter', 'chain', 'cali-pi-bad'],
        ],
      );
      assert.match(ev.refused[1]!.reason, /multiport needs/);
      const lines = await save(ns, backend, 'filter');
      assert.ok(lines.some((l) => /^-A cali-pi-good1 .*--match-set cali40good src .*-j ACCEPT$/.test(l)));
      assert.ok(lines.some((l) => /^-A cali-pi-good2 .*--dport 53 .*-j ACCEPT$/.test(l)));
      assert.deepEqual(
        lines.filter((l) => l.startsWith('-A cali-pi-bad ')),
        ['-A cali-pi-bad -m comment --comment "cali:quarantined" -j DROP'],
      );
      assert.equal(lines.filter((l) => l.startsWith('-A cali-INPUT ')).length, 3, 'the jumps to it stay');
      const sets = (await ns.exec('ipset', ['save'])).stdout;
      assert.match(sets, /^add cali40good 10\.0\.1\.1$/m);
      assert.match(sets, /^add cali40other 10\.1\.0\.2$/m, 'the refused set keeps its pre-apply members');
      assert.doesNotMatch(sets, /10\.0\.0\.300/);

      const report = dataplaneReport({
        started: true,
        firstApplyDone: true,
        applies: 2,
        lastApplyMs: 1,
        lastApplyCpuBeforeRestore: null,
        lastApplyDurationMs: ev.durationMs,
        lastApplyError: '',
        lastApplyFailed: false,
        refused: refusedDetail(ev.refused),
        otherBackend: '',
      });
      assert.equal(report.ready, false);
      assert.equal(
        report.detail,
        'Refused by the kernel, retrying: ipv4 ipset cali40other, ipv4 filter chain cali-pi-bad',
      );

      const back = await driver.applyNow(desired({ badRule: false, badMember: false }));
      assert.deepEqual(back.refused, []);
      const after = await save(ns, backend, 'filter');
      assert.ok(
        after.some((l) => /^-A cali-pi-bad .*-p tcp .*--dports 80 .*-j ACCEPT$/.test(l)),
        after.join('\n'),
      );
      assert.ok(!after.some((l) => l.includes('cali:quarantined')));
    });
  });
}
