// rules/driver/apply-tables.ts through the driver and the fake kernel: on nft the IPv4 and IPv6
// tables are written side by side, on legacy one after the other; a family that fails lets the other
// finish before the apply fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StaticSource } from '../../../../rules/driver/index.js';
import { firstApply } from './first-apply.js';
import type { CommandResult, CommandRunner } from '../../../../rules/backend/runner.js';
import type { DesiredState } from '../../../../rules/model.js';
import { FakeRunner } from '../fake-runner.js';
import { mkTable } from '../writer-fixtures.js';

/** Holds every table restore for a while, and logs when each starts and ends. */
class Slow implements CommandRunner {
  readonly log: string[] = [];
  constructor(private readonly inner: FakeRunner) {}
  async run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const table = /-restore$/.test(file) && input?.includes('*filter') ? file : undefined;
    if (table) {
      this.log.push(`start ${table}`);
      await new Promise((r) => setTimeout(r, 30));
    }
    const r = await this.inner.run(file, args, input);
    if (table) this.log.push(`end ${table}`);
    return r;
  }
}

const desired = (): DesiredState => ({
  tables: [4, 6].map((f) => mkTable('filter', f as 4 | 6, { chains: { 'cali-x': ['--jump ACCEPT'] } })),
  ipsets: new Map(),
});

async function run(backend: 'nft' | 'legacy', fake = new FakeRunner()) {
  const slow = new Slow(fake);
  const r = await firstApply(new StaticSource(desired()), slow, backend);
  return { result: r.ok ? { ok: true, chains: r.event.changedChains } : { ok: false }, log: slow.log };
}

test('nft: the two families are written side by side; the results keep IPv4 first', async () => {
  const { result, log } = await run('nft');
  assert.ok(result.ok);
  assert.deepEqual(log.slice(0, 2), ['start iptables-nft-restore', 'start ip6tables-nft-restore']);
  assert.deepEqual(result.chains, ['ipv4/filter:cali-x', 'ipv6/filter:cali-x']);
});

test('legacy: one family after the other (the xtables lock)', async () => {
  const { result, log } = await run('legacy');
  assert.ok(result.ok);
  assert.deepEqual(log, [
    'start iptables-legacy-restore',
    'end iptables-legacy-restore',
    'start ip6tables-legacy-restore',
    'end ip6tables-legacy-restore',
  ]);
});

test('nft: when IPv4 fails, IPv6 finishes before the apply reports the failure', async () => {
  const fake = new FakeRunner().failNext(
    (c) => c.file === 'iptables-nft-restore' && !!c.input?.includes('*filter'),
    { exitCode: 4, stderr: 'iptables-nft-restore: unable to initialize table' },
    10,
  );
  const { result, log } = await run('nft', fake);
  assert.equal(result.ok, false);
  assert.ok(log.includes('end ip6tables-nft-restore'), log.join(', '));
});
