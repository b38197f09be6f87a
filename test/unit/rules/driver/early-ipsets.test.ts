// rules/driver/early-ipsets.ts through the driver and the fake kernel: the calc's sets are written
// before the tables compile, a set the kernel refuses in that write is not tried again in the same
// apply, and the sets only rules refer to are still created before the tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, type DesiredStateSource } from '../../../../rules/driver/index.js';
import type { DesiredState, IpSetState } from '../../../../rules/model.js';
import { FakeRunner } from '../fake-runner.js';
import { mkTable } from '../writer-fixtures.js';

const set = (name: string, ...members: string[]): IpSetState => ({
  name,
  type: 'hash:net',
  family: 4,
  members: new Set(members),
});

/** The calc's sets, plus one that only a rule refers to (compile() adds those, empty). */
class Source implements DesiredStateSource {
  compiledAfterSetRestore: boolean | undefined;
  constructor(
    private readonly fake: FakeRunner,
    private readonly calcSets: IpSetState[],
  ) {}
  apply(): void {}
  desiredIpSets(): ReadonlyMap<string, IpSetState> {
    return new Map(this.calcSets.map((s) => [s.name, s]));
  }
  desired(): DesiredState {
    this.compiledAfterSetRestore = this.fake
      .callsOf('ipset')
      .some((c) => c.args[0] === 'restore' && !!c.input?.includes('cali40good'));
    const ipsets = new Map(this.desiredIpSets());
    ipsets.set('cali40ruleonly', set('cali40ruleonly'));
    return {
      tables: [
        mkTable('filter', 4, { chains: { 'cali-x': ['-m set --match-set cali40good src --jump ACCEPT'] } }),
      ],
      ipsets,
    };
  }
}

function driver(fake: FakeRunner, source: DesiredStateSource): DataplaneDriver {
  return new DataplaneDriver({
    source,
    runner: fake,
    backend: 'legacy',
    refreshIntervalMs: 0,
    maxAttempts: 3,
  });
}

test('the calc sets are restored before the tables compile; rule-only sets follow, before the tables', async () => {
  const fake = new FakeRunner();
  const src = new Source(fake, [set('cali40good', '10.0.0.1/32')]);
  const d = driver(fake, src);
  await d.start();
  const applied = new Promise((r) => d.once('apply', r));
  d.onMessages([{ kind: 'inSync' }]);
  await applied;
  assert.equal(src.compiledAfterSetRestore, true, 'ipset restore was under way when the tables compiled');
  assert.deepEqual([...fake.sets.get('cali40good')!.members], ['10.0.0.1/32']);
  assert.ok(fake.sets.has('cali40ruleonly'), 'the rule-only set is created too');
  const firstTableRestore = fake.calls.findIndex((c) => /iptables-legacy-restore$/.test(c.file));
  const lastSetRestore = fake.calls.findLastIndex((c) => c.file === 'ipset' && c.args[0] === 'restore');
  assert.ok(lastSetRestore < firstTableRestore, 'every set write comes before the tables');
  const kept = d.lastRestoreInputs().get('ipset') ?? '';
  assert.match(kept, /^add cali40good 10\.0\.0\.1\/32$/m, 'the recorded input holds the early write');
  assert.match(kept, /^create cali40ruleonly /m, 'and the full one');
  await d.stop();
});

test('a set the kernel refuses in the early write is kept out of the full write of the same apply', async () => {
  const fake = new FakeRunner().refuse(/cali40bad/);
  const src = new Source(fake, [set('cali40good', '10.0.0.1/32'), set('cali40bad', '10.0.0.2/32')]);
  const d = driver(fake, src);
  await d.start();
  const applied = new Promise<{ refused: readonly { name: string }[] }>((r) => d.once('apply', r));
  d.onMessages([{ kind: 'inSync' }]);
  const ev = await applied;
  const tries = fake
    .callsOf('ipset')
    .filter((c) => c.args[0] === 'restore' && !!c.input?.includes('cali40bad'));
  assert.equal(tries.length, 1, 'one attempt at the refused set in this apply');
  assert.deepEqual(
    ev.refused.map((r) => r.name),
    ['cali40bad'],
  );
  assert.ok(fake.sets.has('cali40good') && !fake.sets.has('cali40bad'));
  await d.stop();
});
