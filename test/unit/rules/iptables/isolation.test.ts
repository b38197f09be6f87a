// A refused iptables-restore never blocks unrelated chains (issue 17 item 2): the writer isolates
// the refused chain (from the line the tool names, or by bisection), programs the rest, and gets
// the chain in again as soon as the kernel accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableWriter } from '../../../../rules/iptables/index.js';
import {
  MAX_KEPT_INPUT,
  inputExcerpt,
  keptInput,
  refusedLine,
  refusalReason,
} from '../../../../rules/iptables/isolate.js';
import { newCounters } from '../../../../rules/backend/index.js';
import { FakeRunner } from '../fake-runner.js';
import { mkTable } from '../writer-fixtures.js';

const PLACEHOLDER = '-m comment --comment "cali:quarantined" --jump DROP';

function writer(fake: FakeRunner) {
  return new TableWriter({
    table: 'filter',
    family: 4,
    backend: 'legacy',
    runner: fake,
    counters: newCounters(),
  });
}

function withBad(bad: string) {
  const chains: Record<string, string[]> = { 'cali-INPUT': [] };
  for (let i = 0; i < 40; i++) {
    chains[`cali-pi-p${i}`] = [`-p tcp --dport ${1000 + i} --jump ACCEPT`];
    chains['cali-INPUT']!.push(`--jump cali-pi-p${i}`);
  }
  chains['cali-pi-p17'] = [bad];
  return mkTable('filter', 4, { chains, inserts: { INPUT: ['--jump cali-INPUT'] } });
}

test('a refused line isolates its chain with a DROP placeholder; every other chain is programmed', async () => {
  const fake = new FakeRunner().refuse(/BADMATCH/, "multiport needs `-p tcp'");
  const w = writer(fake);
  const r = await w.apply(withBad('-m multiport --dports 80 BADMATCH --jump ACCEPT'));
  assert.deepEqual(r.refused, [
    { chain: 'cali-pi-p17', action: 'placeholder', reason: "multiport needs `-p tcp'" },
  ]);
  assert.equal(r.restoreCalls, 2, 'one refused transaction, one without the chain');
  assert.deepEqual(fake.chain(4, 'filter', 'cali-pi-p17'), [PLACEHOLDER]);
  assert.match(fake.chain(4, 'filter', 'cali-pi-p3')![0]!, /--dport 1003 --jump ACCEPT$/);
  assert.equal(fake.chain(4, 'filter', 'cali-INPUT')!.length, 40);
  assert.match(fake.chain(4, 'filter', 'INPUT')![0]!, /--jump cali-INPUT$/);

  // The next apply tries the chain again; once the rule is fixed it goes in within that apply.
  const fixed = withBad('-p tcp --dport 80 --jump ACCEPT');
  const r2 = await w.apply(fixed);
  assert.deepEqual(r2.refused, []);
  assert.equal(r2.restoreCalls, 1);
  assert.match(fake.chain(4, 'filter', 'cali-pi-p17')![0]!, /--dport 80 --jump ACCEPT$/);
});

test('outside the filter table a refused chain RETURNs: raw PREROUTING never drops the whole node', async () => {
  const fake = new FakeRunner().refuse(/rpfilter/, "Couldn't load match `rpfilter'");
  const w = new TableWriter({
    table: 'raw',
    family: 4,
    backend: 'legacy',
    runner: fake,
    counters: newCounters(),
  });
  const r = await w.apply(
    mkTable('raw', 4, {
      chains: {
        'cali-PREROUTING': ['-m rpfilter --validmark --invert --jump DROP'],
        'cali-OUTPUT': ['--jump MARK --set-mark 0/0xf0000'],
      },
      inserts: { PREROUTING: ['--jump cali-PREROUTING'], OUTPUT: ['--jump cali-OUTPUT'] },
    }),
  );
  assert.deepEqual(
    r.refused.map((x) => [x.chain, x.action]),
    [['cali-PREROUTING', 'placeholder']],
  );
  assert.deepEqual(fake.chain(4, 'raw', 'cali-PREROUTING'), [
    '-m comment --comment "cali:quarantined" --jump RETURN',
  ]);
  assert.match(fake.chain(4, 'raw', 'cali-OUTPUT')![0]!, /--set-mark 0\/0xf0000$/);
});

test('a refusal at COMMIT names no chain: bisection finds it within the budget', async () => {
  const fake = new FakeRunner().refuse(/BADMATCH/, 'Invalid argument', true);
  const w = writer(fake);
  const r = await w.apply(withBad('--jump ACCEPT BADMATCH'));
  assert.deepEqual(
    r.refused.map((x) => x.chain),
    ['cali-pi-p17'],
  );
  assert.ok(r.restoreCalls <= 12, `bisection of 42 chains took ${r.restoreCalls} restores`);
  assert.deepEqual(fake.chain(4, 'filter', 'cali-pi-p17'), [PLACEHOLDER]);
  assert.match(fake.chain(4, 'filter', 'cali-pi-p39')![0]!, /--dport 1039 --jump ACCEPT$/);
});

test('a refused hook rule leaves the kernel chain as it was (our old hook stays)', async () => {
  const fake = new FakeRunner();
  const w = writer(fake);
  await w.apply(
    mkTable('filter', 4, { chains: { 'cali-INPUT': [] }, inserts: { INPUT: ['--jump cali-INPUT'] } }),
  );
  const before = fake.chain(4, 'filter', 'INPUT');
  fake.refuse(/BADHOOK/, 'bad hook');
  const r = await w.apply(
    mkTable('filter', 4, {
      chains: { 'cali-INPUT': ['--jump ACCEPT'] },
      inserts: { INPUT: ['--jump cali-INPUT', '-m BADHOOK --jump DROP'] },
    }),
  );
  assert.deepEqual(
    r.refused.map((x) => [x.chain, x.action]),
    [['INPUT', 'left']],
  );
  assert.deepEqual(fake.chain(4, 'filter', 'INPUT'), before);
  assert.match(fake.chain(4, 'filter', 'cali-INPUT')![0]!, /--jump ACCEPT$/);
});

test('failure texts are bounded: line numbers, reasons and input excerpts', () => {
  assert.equal(refusedLine('iptables-restore v1.8.9 (legacy): x\nError occurred at line: 5\nTry'), 5);
  assert.equal(refusedLine('iptables-restore: line 12 failed'), 12);
  assert.equal(refusedLine('something else'), undefined);
  assert.equal(
    refusalReason("iptables-restore v1.8.9 (nf_tables): Set x doesn't exist.\n\nError occurred"),
    "Set x doesn't exist.",
  );
  const big = Array.from({ length: 200_000 }, (_, i) => `-A cali-x line${i}`).join('\n');
  const ex = inputExcerpt(big, 100_000)!;
  assert.ok(ex.length < 2100);
  assert.match(ex, /line99999\n/);
  assert.ok(inputExcerpt(big, undefined)!.length < 2100 + 40);
});

test('keptInput: a restore input up to 1 MiB is kept as is, a longer one as a note of its size', () => {
  const small = '*filter\n-A cali-x -j ACCEPT\nCOMMIT\n';
  assert.equal(keptInput(small), small);
  const edge = 'x'.repeat(MAX_KEPT_INPUT);
  assert.equal(keptInput(edge), edge);
  const big = 'y'.repeat(MAX_KEPT_INPUT + 1);
  assert.equal(keptInput(big), `# ${MAX_KEPT_INPUT + 1} bytes of restore input, not kept\n`);
});
