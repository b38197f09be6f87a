// rules/driver/apply-tables.ts through the driver and the fake kernel: each family's tables wait for
// that family's IP sets only, so the IPv6 tables are written while the IPv4 sets are still loading;
// legacy table writes still never overlap; a family whose sets fail does not stop the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, type DesiredStateSource } from '../../../../rules/driver/index.js';
import { firstApply } from './first-apply.js';
import type { CommandResult, CommandRunner } from '../../../../rules/backend/runner.js';
import type { DesiredState, IpFamily, IpSetState } from '../../../../rules/model.js';
import { FakeRunner } from '../fake-runner.js';
import { mkTable } from '../writer-fixtures.js';

const set = (name: string, family: IpFamily, ...members: string[]): IpSetState => ({
  name,
  type: 'hash:net',
  family,
  members: new Set(members),
});

const calcSets = [set('cali40big', 4, '10.0.0.0/24'), set('cali60small', 6, 'fd00::/64')];

class Source implements DesiredStateSource {
  constructor(private readonly withRaw = false) {}
  apply(): void {}
  desiredIpSets(): ReadonlyMap<string, IpSetState> {
    return new Map(calcSets.map((s) => [s.name, s]));
  }
  desired(): DesiredState {
    const rule = (f: IpFamily) =>
      `-m set --match-set cali${f}0${f === 4 ? 'big' : 'small'} src --jump ACCEPT`;
    return {
      tables: ([4, 6] as const).flatMap((f) => [
        mkTable('filter', f, { chains: { 'cali-x': [rule(f)] } }),
        ...(this.withRaw ? [mkTable('raw', f, { chains: { 'cali-r': ['--jump ACCEPT'] } })] : []),
      ]),
      ipsets: this.desiredIpSets(),
    };
  }
}

/** Holds the IPv4 set restore for a while; logs when each set and filter restore starts and ends. */
class Slow implements CommandRunner {
  readonly log: string[] = [];
  constructor(private readonly inner: FakeRunner) {}
  async run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const what =
      file === 'ipset' && args[0] === 'restore'
        ? input?.includes('cali40')
          ? 'sets4'
          : 'sets6'
        : /-restore$/.test(file) && input?.includes('*filter')
          ? file.startsWith('ip6')
            ? 'tables6'
            : 'tables4'
          : undefined;
    if (what) this.log.push(`start ${what}`);
    if (what === 'sets4') await new Promise((r) => setTimeout(r, 60));
    if (what?.startsWith('tables')) await new Promise((r) => setTimeout(r, 20));
    const r = await this.inner.run(file, args, input);
    if (what) this.log.push(`end ${what}`);
    return r;
  }
}

async function run(backend: 'nft' | 'legacy', fake = new FakeRunner()) {
  const slow = new Slow(fake);
  const r = await firstApply(new Source(), slow, backend);
  return { result: { ok: r.ok }, log: slow.log, fake };
}

const at = (log: readonly string[], entry: string): number => {
  const i = log.indexOf(entry);
  assert.ok(i >= 0, `${entry} in ${log.join(', ')}`);
  return i;
};

for (const backend of ['legacy', 'nft'] as const) {
  test(`${backend}: the IPv6 tables are written while the IPv4 sets still load; IPv4 waits for them`, async () => {
    const { result, log, fake } = await run(backend);
    assert.ok(result.ok);
    assert.ok(at(log, 'end tables6') < at(log, 'end sets4'), log.join(', '));
    assert.ok(at(log, 'end sets4') < at(log, 'start tables4'), log.join(', '));
    assert.ok(at(log, 'end sets6') < at(log, 'start tables6'), log.join(', '));
    assert.match(
      fake.chain(4, 'filter', 'cali-x')?.join('\n') ?? '',
      /--match-set cali40big src --jump ACCEPT$/,
    );
    assert.match(
      fake.chain(6, 'filter', 'cali-x')?.join('\n') ?? '',
      /--match-set cali60small src --jump ACCEPT$/,
    );
  });
}

test('legacy: the table writes of the two families never overlap (the xtables lock)', async () => {
  const { log } = await run('legacy');
  const tables = log.filter((l) => l.includes('tables'));
  assert.deepEqual(tables, ['start tables6', 'end tables6', 'start tables4', 'end tables4']);
});

test('IPv4 sets that fail to load: the IPv6 family is still written, the apply fails and is retried', async () => {
  const fake = new FakeRunner().failNext(
    (c) => c.file === 'ipset' && c.args[0] === 'restore' && !!c.input?.includes('cali40'),
    { exitCode: 1, stderr: 'ipset v7.17: Kernel error received: Operation not permitted' },
    20,
  );
  const { result, log } = await run('nft', fake);
  assert.equal(result.ok, false);
  assert.ok(log.includes('end tables6'), log.join(', '));
  assert.ok(!log.includes('start tables4'), 'no IPv4 table refers to sets that are not there');
  assert.match(
    fake.chain(6, 'filter', 'cali-x')?.join('\n') ?? '',
    /--match-set cali60small src --jump ACCEPT$/,
  );
  assert.equal(fake.chain(4, 'filter', 'cali-x'), undefined);
});

test('legacy: the turns are per table; IPv4 sets that finish during an IPv6 table write go next', async () => {
  const fake = new FakeRunner();
  const order: string[] = [];
  const runner: CommandRunner = {
    async run(file, args, input) {
      const table = /-restore$/.test(file) ? /^\*(\w+)/m.exec(input ?? '')?.[1] : undefined;
      const fam = file.startsWith('ip6') ? 6 : 4;
      if (file === 'ipset' && args[0] === 'restore' && input?.includes('cali40'))
        await new Promise((r) => setTimeout(r, 30));
      if (table === 'filter' && fam === 6) await new Promise((r) => setTimeout(r, 80));
      const r = await fake.run(file, args, input);
      if (table) order.push(`${table}${fam}`);
      return r;
    },
  };
  const d = new DataplaneDriver({
    source: new Source(true),
    runner,
    backend: 'legacy',
    ipv6: true,
    refreshIntervalMs: 0,
  });
  await d.start();
  const applied = new Promise((r) => d.once('apply', r));
  d.onMessages([{ kind: 'inSync' }]);
  await applied;
  await d.stop();
  assert.deepEqual(order, ['filter6', 'filter4', 'raw6', 'raw4']);
});
