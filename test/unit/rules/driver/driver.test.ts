// DataplaneDriver's scheduling against the fake runner: nothing before InSync, bursts coalesced
// into one apply, back-off after a failed apply, retry until the kernel accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource } from '../../../../rules/driver/index.js';
import type { DesiredState } from '../../../../rules/model.js';
import { FakeRunner } from '../fake-runner.js';
import { mkTable } from '../writer-fixtures.js';

function state(body: string): DesiredState {
  return {
    tables: [mkTable('filter', 4, { chains: { 'cali-x': [body] }, inserts: { INPUT: ['--jump cali-x'] } })],
    ipsets: new Map(),
  };
}

function driver(fake: FakeRunner, source: StaticSource, extra: Record<string, unknown> = {}) {
  return new DataplaneDriver({
    source,
    runner: fake,
    backend: 'legacy',
    refreshIntervalMs: 0,
    minApplyIntervalMs: 50,
    maxAttempts: 1,
    errorRetryMs: 20,
    ...extra,
  });
}

const restores = (fake: FakeRunner) => fake.callsOf(/-restore$/).filter((c) => c.input?.includes('*filter'));

test('no apply before InSync; a burst after it is coalesced into one apply', async () => {
  const fake = new FakeRunner();
  const src = new StaticSource(state('--jump ACCEPT'));
  const d = driver(fake, src);
  await d.start();
  d.onMessages([]);
  await d.settled();
  assert.equal(d.applyCount, 0);
  d.onMessages([{ kind: 'inSync' }]);
  for (let i = 0; i < 20; i++) d.onMessages([]);
  await d.settled();
  assert.equal(d.applyCount, 1);
  assert.equal(restores(fake).length, 1);
  src.set(state('--jump DROP'));
  for (let i = 0; i < 20; i++) d.onMessages([]);
  await d.settled();
  assert.equal(d.applyCount, 2, 'a burst during the window gives one more apply, not twenty');
  assert.match(fake.chain(4, 'filter', 'cali-x')![0]!, /--jump DROP$/);
  await d.stop();
});

test('a failed apply backs off (doubling) and is retried until it succeeds', async () => {
  const fake = new FakeRunner();
  fake.failNext(
    (c) => c.file === 'iptables-legacy-restore' && !!c.input?.includes('*filter'),
    { exitCode: 1, stderr: 'boom' },
    3,
  );
  const src = new StaticSource(state('--jump ACCEPT'));
  const d = driver(fake, src);
  const errors: number[] = [];
  d.on('apply-error', () => errors.push(Date.now()));
  const applied = new Promise<void>((r) => d.once('apply', () => r()));
  const keepAlive = setInterval(() => undefined, 1000); // the driver's retry timer is unref'd
  await d.start();
  d.onMessages([{ kind: 'inSync' }]);
  await applied;
  clearInterval(keepAlive);
  assert.equal(errors.length, 3);
  const gaps = [errors[1]! - errors[0]!, errors[2]! - errors[1]!];
  assert.ok(gaps[0]! >= 18, `first back-off ≥ 20 ms, got ${gaps[0]}`);
  assert.ok(gaps[1]! >= 38, `second back-off doubles, got ${gaps[1]}`);
  assert.equal(d.applyCount, 1);
  assert.equal(d.counters.iptablesRestoreErrors, 3);
  await d.stop();
});

test('a refused chain: the apply succeeds for the rest, names it, and is retried on the back-off until it goes in', async () => {
  const fake = new FakeRunner().refuse(/BADMATCH/, 'bad match');
  const src = new StaticSource(state('--jump ACCEPT BADMATCH'));
  const d = driver(fake, src);
  const events: (readonly string[])[] = [];
  const keepAlive = setInterval(() => undefined, 1000);
  const twoRefused = new Promise<void>((resolve) =>
    d.on('apply', (e) => {
      events.push(e.refused.map((r) => `${r.table}:${r.name}`));
      if (events.length === 2) resolve();
    }),
  );
  await d.start();
  d.onMessages([{ kind: 'inSync' }]);
  await twoRefused;
  assert.deepEqual(
    events,
    [['filter:cali-x'], ['filter:cali-x']],
    'retried by itself, without a new message',
  );
  assert.deepEqual(fake.chain(4, 'filter', 'cali-x'), [
    '-m comment --comment "cali:quarantined" --jump DROP',
  ]);
  assert.match(fake.chain(4, 'filter', 'INPUT')![0]!, /--jump cali-x$/);
  fake.unrefuse();
  const clean = new Promise<void>((resolve) => d.on('apply', (e) => e.refused.length === 0 && resolve()));
  await clean;
  clearInterval(keepAlive);
  assert.match(fake.chain(4, 'filter', 'cali-x')![0]!, /BADMATCH$/);
  const n = d.applyCount;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(d.applyCount, n, 'no more retries once it went in');
  await d.stop();
});

test('takeover (issue 12): a table compile() never returned is not read or written; once returned it stays ours', async () => {
  const fake = new FakeRunner();
  // Felix's chains in raw, which this desired state does not program.
  await fake.run(
    'iptables-legacy-restore',
    ['--noflush'],
    '*raw\n:cali-PREROUTING - -\n-A cali-PREROUTING -m comment --comment "cali:felixraw" --jump ACCEPT\n' +
      '-I PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" --jump cali-PREROUTING\nCOMMIT\n',
  );
  const withNat: DesiredState = {
    tables: [
      ...state('--jump ACCEPT').tables,
      mkTable('nat', 4, { chains: { 'cali-nat-outgoing': ['--jump MASQUERADE'] } }),
    ],
    ipsets: new Map(),
  };
  const src = new StaticSource(withNat);
  const d = driver(fake, src);
  await d.start();
  d.onMessages([{ kind: 'inSync' }]);
  await d.settled();
  const touched = (table: string) =>
    fake.calls.filter((c) => c.args.includes(table) || !!c.input?.includes(`*${table}\n`)).length;
  assert.equal(touched('raw'), 1, 'raw: only the test’s own restore, never a save or a write by the driver');
  assert.equal(touched('mangle'), 0);
  assert.deepEqual(fake.chain(4, 'raw', 'cali-PREROUTING'), [
    '-m comment --comment "cali:felixraw" --jump ACCEPT',
  ]);
  assert.ok(fake.chain(4, 'nat', 'cali-nat-outgoing'));
  // nat no longer returned: written empty, its stale chain goes; raw is still left alone.
  src.set(state('--jump ACCEPT'));
  d.onMessages([]);
  await d.settled();
  assert.equal(fake.chain(4, 'nat', 'cali-nat-outgoing'), undefined);
  assert.equal(touched('raw'), 1);
  await d.stop();
});
