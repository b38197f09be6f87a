// The driver's start in the daemon (agent/daemon/dataplane.ts): the messages buffered until the first
// in-sync are handed over while the driver's start is still running its first commands, those that
// come during the start follow in order once it is done, and a start that fails leaves every message
// for the next driver, in the order they came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { dataplaneRunner } from './dataplane-runner.js';
import type { DriverLike } from '../../../../agent/daemon/deps.js';
import { loadConfig } from '../../../../agent/config/index.js';
import { newCounters } from '../../../../rules/backend/counters.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';

/** A driver whose start ends when the test says, recording what it was fed and when. */
class GatedDriver extends EventEmitter implements DriverLike {
  readonly counters = newCounters();
  readonly backend = undefined;
  readonly fed: { kinds: string[]; duringStart: boolean }[] = [];
  private starting = false;
  private release!: (err?: Error) => void;
  async start(): Promise<void> {
    this.starting = true;
    try {
      await new Promise<void>((resolve, reject) => {
        this.release = (err) => (err ? reject(err) : resolve());
      });
    } finally {
      this.starting = false;
    }
  }
  finish(err?: Error): void {
    this.release(err);
  }
  async stop(): Promise<void> {}
  onMessages(m: readonly ToDataplane[]): void {
    this.fed.push({ kinds: m.map(label), duringStart: this.starting });
  }
  lastRestoreInputs(): ReadonlyMap<string, string> {
    return new Map();
  }
}

function label(m: ToDataplane): string {
  return m.kind === 'ipsetUpdate' ? `set ${m.id}` : m.kind;
}

const set = (id: string): ToDataplane => ({ kind: 'ipsetUpdate', id, type: 0, members: [] });
const IN_SYNC: ToDataplane = { kind: 'inSync' };

function rig() {
  const drivers: GatedDriver[] = [];
  const loaded = loadConfig({ env: {}, readFile: () => '' });
  const runner = dataplaneRunner(() => {
    const d = new GatedDriver();
    drivers.push(d);
    return { driver: d };
  });
  return { runner, drivers, cfg: loaded.config };
}

const turn = () => new Promise((r) => setImmediate(r));

test('the buffered messages reach the driver during its start; later ones follow it, in order', async () => {
  const { runner, drivers, cfg } = rig();
  await runner.send([set('a')], cfg);
  assert.equal(drivers.length, 0, 'no driver before the first in-sync');
  const sending = runner.send([set('b'), IN_SYNC], cfg);
  await turn();
  await turn();
  const d = drivers[0]!;
  assert.deepEqual(d.fed, [{ kinds: ['set a', 'set b', 'inSync'], duringStart: true }]);
  await runner.send([set('c')], cfg); // while the start runs: buffered
  assert.equal(d.fed.length, 1);
  assert.equal(runner.started, false);
  d.finish();
  await sending;
  assert.equal(runner.started, true);
  assert.deepEqual(d.fed[1], { kinds: ['set c'], duringStart: false });
  await runner.send([set('d')], cfg);
  assert.deepEqual(
    d.fed.map((f) => f.kinds),
    [['set a', 'set b', 'inSync'], ['set c'], ['set d']],
  );
});

test('a failed start leaves every message, in order, for the next driver', async () => {
  const { runner, drivers, cfg } = rig();
  const sending = runner.send([set('a'), IN_SYNC], cfg);
  await turn();
  await turn();
  await runner.send([set('b')], cfg); // during the start that will fail
  drivers[0]!.finish(new Error('no iptables'));
  await sending;
  assert.equal(runner.started, false);
  const retry = runner.ensure(cfg); // the next heartbeat
  await turn();
  await turn();
  const d2 = drivers[1]!;
  assert.deepEqual(d2.fed, [{ kinds: ['set a', 'inSync', 'set b'], duringStart: true }]);
  d2.finish();
  await retry;
  assert.equal(runner.started, true);
  await runner.send([set('c')], cfg);
  assert.deepEqual(
    d2.fed.map((f) => f.kinds),
    [['set a', 'inSync', 'set b'], ['set c']],
  );
});
