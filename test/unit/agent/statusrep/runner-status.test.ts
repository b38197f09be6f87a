// The hook between the driver and the status files (agent/daemon/dataplane.ts): a file is written only after
// an apply that covered the endpoint's message and refused nothing, never in a dry run, never when
// EndpointStatusPathPrefix is empty; and the CNI plugin's wait (cni-wait.ts, Calico's logic) sees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataplaneRunner } from '../daemon/dataplane-runner.js';
import type { ApplyInfo, DriverLike } from '../../../../agent/daemon/deps.js';
import { loadConfig } from '../../../../agent/config/index.js';
import { newCounters } from '../../../../rules/backend/counters.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { cniStatusFilename, waitForEndpointReady } from './cni-wait.js';

/** A driver that applies only when told to, reporting how many messages the apply covered. */
class StepDriver extends EventEmitter implements DriverLike {
  readonly counters = newCounters();
  readonly backend = undefined;
  received = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onMessages(m: readonly ToDataplane[]): void {
    this.received += m.length;
  }
  lastRestoreInputs(): ReadonlyMap<string, string> {
    return new Map();
  }
  apply(info: Partial<ApplyInfo> = {}): void {
    this.emit('apply', { durationMs: 1, refused: [], messages: this.received, ...info });
  }
}

const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};

function rig(prefix: string, dryRun = false) {
  const driver = new StepDriver();
  const loaded = loadConfig({ env: { FELIX_ENDPOINTSTATUSPATHPREFIX: prefix }, readFile: noFile });
  const runner = dataplaneRunner(() => ({ driver, dryRun }));
  return { driver, runner, cfg: loaded.config };
}

const ID = { orchestratorId: 'k8s', workloadId: 'default/web-0', endpointId: 'eth0' };
const FILE = 'k8s default%2Fweb-0 eth0';
const wep = (state = 'active'): ToDataplane => ({
  kind: 'workloadEndpointUpdate',
  id: ID,
  endpoint: {
    state,
    name: 'cali1a2b3c4d5e6',
    profileIds: [],
    ipv4Nets: ['10.65.0.2/32'],
    ipv6Nets: [],
    tiers: [],
  },
});

test('a file only after an apply that covered the endpoint and refused nothing; removed on delete', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'fts-runner-'));
  const dir = join(prefix, 'endpoint-status');
  const files = () => (existsSync(dir) ? readdirSync(dir) : []);
  try {
    const { driver, runner, cfg } = rig(prefix);
    await runner.send([{ kind: 'inSync' }], cfg);
    const reporter = runner.statusReporter!;
    assert.ok(reporter, 'EndpointStatusPathPrefix set: a reporter');
    driver.apply();
    await reporter.settled();
    assert.deepEqual(files(), [], 'in sync, nothing to write');

    await runner.send([wep()], cfg);
    await reporter.settled();
    assert.deepEqual(files(), [], 'not applied yet');
    driver.apply({ messages: driver.received - 1 });
    await reporter.settled();
    assert.deepEqual(files(), [], 'an apply that took its state before the endpoint message');
    driver.apply({
      refused: [{ ipVersion: 4, table: 'filter', kind: 'chain', name: 'cali-tw-x', reason: 'r' }],
    });
    await reporter.settled();
    assert.deepEqual(files(), [], 'an apply with a refused chain programmed not everything');
    driver.apply();
    await reporter.settled();
    assert.deepEqual(files(), [FILE]);
    assert.equal(cniStatusFilename({ namespace: 'default', pod: 'web-0', endpoint: 'eth0' }), FILE);
    await waitForEndpointReady(dir, { namespace: 'default', pod: 'web-0', endpoint: 'eth0' }, 1000);

    await runner.send([wep('inactive')], cfg);
    driver.apply();
    await reporter.settled();
    assert.deepEqual(files(), [], 'inactive: no file');
    await runner.send([wep()], cfg);
    driver.apply();
    await reporter.settled();
    assert.deepEqual(files(), [FILE]);
    await runner.send([{ kind: 'workloadEndpointRemove', id: ID }], cfg);
    await reporter.settled();
    assert.deepEqual(files(), [FILE], 'removed only once the removal is applied');
    driver.apply();
    await reporter.settled();
    assert.deepEqual(files(), []);
    await runner.stop();
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('no reporter in a dry run or with an empty prefix; a driver without message counts writes nothing', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'fts-runner-'));
  try {
    const dry = rig(prefix, true);
    await dry.runner.send([wep(), { kind: 'inSync' }], dry.cfg);
    assert.equal(dry.runner.statusReporter, undefined);
    const none = rig('none');
    await none.runner.send([wep(), { kind: 'inSync' }], none.cfg);
    assert.equal(none.runner.statusReporter, undefined);
    const old = rig(prefix);
    await old.runner.send([wep(), { kind: 'inSync' }], old.cfg);
    old.driver.emit('apply', { durationMs: 1, refused: [] });
    await old.runner.statusReporter!.settled();
    assert.deepEqual(readdirSync(prefix), [], 'unknown coverage: not even the directory');
    await old.runner.stop();
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test("the CNI's wait: blocks until the file is renamed into place, times out when it never comes", async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'fts-runner-'));
  const dir = join(prefix, 'endpoint-status');
  try {
    const { driver, runner, cfg } = rig(prefix);
    const pod = { namespace: 'default', pod: 'web-0', endpoint: 'eth0' };
    let done = false;
    // Started before the directory exists, as a pod can be created before felix-ts is in sync.
    const waiting = waitForEndpointReady(dir, pod, 10_000).then(() => (done = true));
    await runner.send([wep(), { kind: 'inSync' }], cfg);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'no apply yet: still waiting');
    driver.apply();
    await waiting;
    assert.deepEqual(readdirSync(dir), [FILE]);
    await assert.rejects(waitForEndpointReady(dir, { ...pod, pod: 'web-1' }, 700), {
      message: `timed out waiting for endpoint status file '${join(dir, 'k8s default%2Fweb-1 eth0')}': file not found`,
    });
    await runner.stop();
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});
