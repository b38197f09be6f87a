// The daemon's health state machine with fake syncer/calc/driver and an injected clock
// (felix/daemon/daemon.go): not ready until in sync AND first apply; not ready during a
// Typha outage; not live when the main loop stalls; rc 129 on a restart-requiring config change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { KVUpdate, SyncerEvent, SyncStatus } from '../../../../syncer-client/api.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { newCounters } from '../../../../rules/backend/counters.js';
import { loadConfig, type FelixConfig } from '../../../../agent/config/index.js';
import { createLogger } from '../../../../agent/log/index.js';
import {
  Daemon,
  type CalcLike,
  type DaemonDeps,
  type DriverLike,
  type SyncerLike,
} from '../../../../agent/daemon/index.js';

class FakeSyncer implements SyncerLike {
  private listeners: ((ev: SyncerEvent) => void)[] = [];
  started = false;
  stopped = false;
  private end!: (v: unknown) => void;
  readonly finished = new Promise<unknown>((r) => (this.end = r));
  knownKeys = 0;
  onEvent(l: (ev: SyncerEvent) => void): () => void {
    this.listeners.push(l);
    return () => undefined;
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.end(undefined);
  }
  emit(ev: SyncerEvent): void {
    for (const l of this.listeners) l(ev);
  }
  /** Flow-control transitions, in order (repeated calls are no-ops, as in SyncerClient). */
  readonly flow: string[] = [];
  pause(): void {
    if (this.flow.at(-1) !== 'pause') this.flow.push('pause');
  }
  resume(): void {
    if (this.flow.at(-1) === 'pause') this.flow.push('resume');
  }
}

class FakeCalc implements CalcLike {
  readonly updates: KVUpdate[] = [];
  next: ToDataplane[] = [];
  onUpdates(kvs: readonly KVUpdate[]): void {
    this.updates.push(...kvs);
  }
  onStatus(s: SyncStatus): void {
    if (s === 'in-sync') this.next.push({ kind: 'inSync' });
  }
  flush(): ToDataplane[] {
    const out = this.next;
    this.next = [];
    return out;
  }
  stats() {
    return {
      clusterWorkloadEndpoints: this.updates.length,
      localWorkloadEndpoints: 0,
      localHostEndpoints: 0,
      activePolicies: 0,
    };
  }
  describeEndpoint(): undefined {
    return undefined;
  }
}

class FakeDriver extends EventEmitter implements DriverLike {
  readonly msgs: ToDataplane[] = [];
  stopped = false;
  readonly counters = newCounters();
  readonly backend = undefined;
  /** Make the next `failStarts` start() calls fail with this message. */
  static failNextStart = '';
  static failStarts = 0;
  constructor(
    readonly cfg: FelixConfig,
    private readonly startGate: Promise<void> = Promise.resolve(),
  ) {
    super();
  }
  start(): Promise<void> {
    if (FakeDriver.failStarts > 0) {
      FakeDriver.failStarts--;
      return Promise.reject(new Error(FakeDriver.failNextStart));
    }
    return this.startGate;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  onMessages(m: readonly ToDataplane[]): void {
    this.msgs.push(...m);
  }
  lastRestoreInputs(): ReadonlyMap<string, string> {
    return new Map();
  }
}

interface Rig {
  daemon: Daemon;
  syncer: FakeSyncer;
  calc: FakeCalc;
  drivers: FakeDriver[];
  advance(ms: number): void;
  logText(): string;
  get(
    path: string,
  ): Promise<{ status: number; json: { ready: boolean; live: boolean; details: Record<string, unknown> } }>;
}

async function rig(env: Record<string, string> = {}, startGate?: Promise<void>): Promise<Rig> {
  let t = 1_000_000;
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const syncer = new FakeSyncer();
  const calc = new FakeCalc();
  const drivers: FakeDriver[] = [];
  const deps: DaemonDeps = {
    makeSyncer: () => syncer,
    makeCalc: () => calc,
    makeDataplane: (cfg) => {
      const d = new FakeDriver(cfg, startGate);
      drivers.push(d);
      return { driver: d };
    },
  };
  const loaded = loadConfig(
    {
      env: {
        FELIX_CONFIGFILE: '/nonexistent/felix.cfg',
        FELIX_TYPHAADDR: '127.0.0.1:5473',
        FELIX_HEALTHENABLED: 'true',
        FELIX_HEALTHHOST: '127.0.0.1',
        FELIX_HEALTHPORT: '0',
        ...env,
      },
    },
    {},
  );
  const daemon = new Daemon({
    loaded,
    logger: createLogger({ severity: 'DEBUG', stream: out }),
    deps,
    now: () => t,
    heartbeatMs: 3_600_000,
  });
  await daemon.start();
  const port = daemon.healthAddress()?.port;
  assert.ok(port, 'health server listening');
  return {
    daemon,
    syncer,
    calc,
    drivers,
    advance: (ms) => (t += ms),
    logText: () => text,
    get: async (path) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}?format=json`);
      return {
        status: r.status,
        json: (await r.json()) as { ready: boolean; live: boolean; details: Record<string, unknown> },
      };
    },
  };
}

const kv = (key: string): KVUpdate => ({ key, value: '{}', revision: '1', updateType: 1 });

/** Lets queued main-loop jobs run: a heartbeat is queued behind them. */
async function settle(r: Rig): Promise<void> {
  await r.daemon.tick();
}

/** Typha connects and sends an empty in-sync batch; the main loop has processed it. */
async function connectInSync(r: Rig): Promise<void> {
  r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
  r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
  await settle(r);
}

test('ready only after in-sync AND the first apply; log lines operators grep for', async () => {
  const r = await rig();
  try {
    assert.equal(r.syncer.started, true);
    assert.equal((await r.get('/readiness')).status, 503);
    r.syncer.emit({ kind: 'connecting', endpoint: '127.0.0.1:5473', attempt: 1 });
    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v3.31.0' });
    r.syncer.emit({
      kind: 'batch',
      updates: [kv('/calico/v1/policy/tier/default/policy/p1')],
      status: 'resync',
    });
    await settle(r);
    let h = await r.get('/readiness');
    assert.equal(h.status, 503, 'resync: not ready');
    assert.equal(r.drivers.length, 0, 'the driver waits for in-sync');

    r.calc.next.push({ kind: 'configUpdate', config: { ChainInsertMode: 'append' } });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
    await settle(r);
    assert.equal(r.drivers.length, 1);
    const d = r.drivers[0] as FakeDriver;
    assert.equal(d.cfg.ChainInsertMode, 'append', 'the driver gets the datastore config');
    assert.deepEqual(
      d.msgs.map((m) => m.kind),
      ['configUpdate', 'inSync'],
    );
    h = await r.get('/readiness');
    assert.equal(h.status, 503, 'in sync but no apply yet: not ready');

    d.emit('apply', { durationMs: 12 });
    d.emit('first-apply', { durationMs: 12 });
    await settle(r);
    h = await r.get('/readiness');
    assert.equal(h.status, 200);
    assert.equal(h.json.ready, true);
    const typha = h.json.details.typha as { endpoint: string; connected: boolean };
    assert.equal(typha.endpoint, '127.0.0.1:5473');
    assert.equal(typha.connected, true);
    assert.equal(h.json.details.syncStatus, 'in-sync');
    const log = r.logText();
    for (const line of [
      'Connecting to Typha.',
      'Connected to Typha on attempt 1',
      "First time we've been in sync",
      'Datastore in sync, flushing the dataplane for the first time...',
      'Completed first update to dataplane.',
    ]) {
      assert.ok(log.includes(line), `log has ${JSON.stringify(line)}`);
    }
    assert.match(
      log,
      /\[INFO\]\[\d+\] felix: Completed first update to dataplane\. applyMs=12 secsSinceStart=/,
    );
  } finally {
    await r.daemon.stop();
  }
});

test('not ready during a Typha outage; ready again after resync; the dataplane is left alone', async () => {
  const r = await rig();
  try {
    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
    r.syncer.emit({ kind: 'batch', updates: [kv('/calico/v1/host/n/config/x')], status: 'in-sync' });
    await settle(r);
    const d = r.drivers[0] as FakeDriver;
    d.emit('apply', { durationMs: 1 });
    d.emit('first-apply', { durationMs: 1 });
    assert.equal((await r.get('/readiness')).status, 200);

    r.syncer.emit({ kind: 'disconnected', endpoint: '127.0.0.1:5473', reason: 'EOF' });
    await settle(r);
    const h = await r.get('/readiness');
    assert.equal(h.status, 503);
    assert.equal((await r.get('/liveness')).status, 200, 'an outage is not a liveness failure');
    assert.equal(d.stopped, false);

    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.2:5473', serverVersion: 'v' });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'resync' });
    await settle(r);
    assert.equal((await r.get('/readiness')).status, 503, 'resyncing: still not ready');
    r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
    await settle(r);
    const back = await r.get('/readiness');
    assert.equal(back.status, 200);
    assert.equal((back.json.details.typha as { reconnects: number }).reconnects, 1);
    assert.equal(r.drivers.length, 1, 'no new driver on reconnect');
  } finally {
    await r.daemon.stop();
  }
});

test('liveness fails when the main loop stalls, and not otherwise', async () => {
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  const r = await rig({}, gate);
  try {
    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
    await settle(r);
    // Healthy loop: time passes, heartbeats keep reporting.
    r.advance(60_000);
    await settle(r);
    assert.equal((await r.get('/liveness')).status, 200);
    // The driver's start() never returns: the in-sync job blocks the loop.
    r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
    void r.daemon.tick();
    r.advance(31_000);
    const h = await r.get('/liveness');
    assert.equal(h.status, 503);
    assert.equal(h.json.live, false);
    release();
    await settle(r);
    assert.equal((await r.get('/liveness')).status, 200, 'live again once the loop moves');
  } finally {
    release();
    await r.daemon.stop();
  }
});

test('a restart-requiring datastore config change exits with rc 129; a hot one does not', async () => {
  const r = await rig();
  await connectInSync(r);
  const d = r.drivers[0] as FakeDriver;
  r.calc.next.push({ kind: 'configUpdate', config: { HealthTimeoutOverrides: 'CalculationGraph=2m' } });
  r.syncer.emit({ kind: 'batch', updates: [kv('/calico/v1/config/HealthTimeoutOverrides')] });
  await settle(r);
  const table = await fetch(`http://127.0.0.1:${r.daemon.healthAddress()?.port}/liveness`).then((x) =>
    x.text(),
  );
  assert.match(table, /CalculationGraph +\| 2m0s \(override\)/);

  r.calc.next.push({
    kind: 'configUpdate',
    config: { HealthTimeoutOverrides: 'CalculationGraph=2m', IptablesRefreshInterval: '10' },
  });
  r.syncer.emit({ kind: 'batch', updates: [kv('/calico/v1/config/IptablesRefreshInterval')] });
  assert.equal(await r.daemon.exited, 129);
  assert.equal(d.stopped, true);
  assert.equal(r.syncer.stopped, true);
  assert.match(
    r.logText(),
    /Configuration value changed; change DOES require Felix to restart\. key=IptablesRefreshInterval newValue=10000 oldValue=180000/,
  );
  assert.match(r.logText(), /Exiting for config change rc=129/);
});

test('stop() leaves the rules (driver.stop, no flush) and exits 0; a throwing calc does not kill the loop', async () => {
  const r = await rig();
  await connectInSync(r);
  const orig = r.calc.onUpdates.bind(r.calc);
  r.calc.onUpdates = () => {
    throw new Error('boom');
  };
  r.syncer.emit({ kind: 'batch', updates: [kv('/calico/v1/policy/x')] });
  await settle(r);
  assert.match(r.logText(), /Error in main loop job; continuing .*error=boom/);
  r.calc.onUpdates = orig;
  r.syncer.emit({ kind: 'batch', updates: [kv('/calico/v1/policy/y')] });
  await settle(r);
  assert.equal(r.calc.updates.length, 1, 'later batches still processed');
  const code = await r.daemon.stop();
  assert.equal(code, 0);
  assert.equal(await r.daemon.exited, 0);
  assert.equal((r.drivers[0] as FakeDriver).stopped, true);
});

test('a dataplane driver that fails to start is reported and retried on the next heartbeat', async () => {
  FakeDriver.failNextStart = 'iptables-legacy-save: not found';
  // Fails in the in-sync job and in the heartbeat that settle() queues behind it.
  FakeDriver.failStarts = 2;
  const r = await rig();
  try {
    await connectInSync(r);
    const h = await fetch(`http://127.0.0.1:${r.daemon.healthAddress()?.port}/readiness`);
    assert.equal(h.status, 503);
    assert.match(
      await h.text(),
      /InternalDataplaneMainLoop .*dataplane start failed: iptables-legacy-save: not found/,
    );
    assert.match(r.logText(), /Failed to start the dataplane driver; will retry/);
    // The next heartbeat retries; this time the driver starts and gets the buffered messages.
    await r.daemon.tick();
    const d = r.drivers.at(-1) as FakeDriver;
    assert.equal(r.drivers.length, 3);
    assert.deepEqual(
      d.msgs.map((m) => m.kind),
      ['inSync'],
    );
    d.emit('apply', { durationMs: 3 });
    d.emit('first-apply', { durationMs: 3 });
    assert.equal((await r.get('/readiness')).status, 200);
  } finally {
    FakeDriver.failStarts = 0;
    await r.daemon.stop();
  }
});

test('a failed dataplane apply: not ready with the error, warning logged, failure counted; a good apply recovers', async () => {
  const r = await rig();
  try {
    await connectInSync(r);
    const d = r.drivers[0] as FakeDriver;
    d.emit('apply', { durationMs: 2 });
    d.emit('first-apply', { durationMs: 2 });
    assert.equal((await r.get('/readiness')).status, 200);
    const failures = async (): Promise<number> => {
      const m = await r.daemon.metrics.registry.getSingleMetric('felix_int_dataplane_failures')?.get();
      return m?.values[0]?.value ?? NaN;
    };
    assert.equal(await failures(), 0);

    const error = Object.assign(new Error('iptables-restore exited 1: line 7 failed'), {
      code: 'ERR_IPTABLES_RESTORE',
    });
    d.emit('apply-error', { error });
    await settle(r);
    const h = await r.get('/readiness');
    assert.equal(h.status, 503, 'a failed apply: not ready');
    assert.equal(h.json.ready, false);
    assert.equal((await r.get('/liveness')).status, 200, 'a failed apply is not a liveness failure');
    const table = await fetch(`http://127.0.0.1:${r.daemon.healthAddress()?.port}/readiness`).then((x) =>
      x.text(),
    );
    assert.match(
      table,
      /InternalDataplaneMainLoop .*Last apply failed: ERR_IPTABLES_RESTORE: iptables-restore exited 1: line 7 failed/,
    );
    assert.equal(r.daemon.status.dataplane.lastApplyFailed, true);
    assert.match(
      r.logText(),
      /\[WARNING\]\[\d+\] felix: Failed to program iptables, will retry .*code=ERR_IPTABLES_RESTORE/,
    );
    assert.match(r.logText(), /Failed to program iptables, will retry .*error=.*line 7 failed/);
    assert.equal(await failures(), 1);
    assert.equal(d.stopped, false, 'the driver is kept; it retries by itself');

    // A second failure is counted again; an error without a code is reported as ERR.
    d.emit('apply-error', { error: new Error('ipset restore failed') });
    assert.equal(await failures(), 2);
    assert.match(
      await fetch(`http://127.0.0.1:${r.daemon.healthAddress()?.port}/readiness`).then((x) => x.text()),
      /Last apply failed: ERR: ipset restore failed/,
    );

    // The retry succeeds: ready again, and the failure count stays.
    d.emit('apply', { durationMs: 4 });
    await settle(r);
    const back = await r.get('/readiness');
    assert.equal(back.status, 200);
    assert.equal(back.json.ready, true);
    assert.equal(r.daemon.status.dataplane.lastApplyFailed, false);
    assert.equal(await failures(), 2);
    assert.equal(r.drivers.length, 1, 'no new driver');
  } finally {
    await r.daemon.stop();
  }
});

test('an apply error before the first apply is reported as a failed first apply', async () => {
  const r = await rig();
  try {
    await connectInSync(r);
    const d = r.drivers[0] as FakeDriver;
    d.emit('apply-error', { error: Object.assign(new Error('xtables lock busy'), { code: 'ELOCK' }) });
    const port = r.daemon.healthAddress()?.port;
    let res = await fetch(`http://127.0.0.1:${port}/readiness`);
    assert.equal(res.status, 503);
    assert.match(
      await res.text(),
      /InternalDataplaneMainLoop .*First apply failed: ELOCK: xtables lock busy/,
    );
    assert.match(r.logText(), /Failed to program iptables, will retry/);
    // A good apply alone is not enough: readiness still waits for the first full apply.
    d.emit('apply', { durationMs: 1 });
    res = await fetch(`http://127.0.0.1:${port}/readiness`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /Waiting for the first apply/);
    d.emit('first-apply', { durationMs: 1 });
    assert.equal((await r.get('/readiness')).status, 200);
  } finally {
    await r.daemon.stop();
  }
});

const count = (text: string, needle: string): number => text.split(needle).length - 1;

test('sync status has one owner: the Typha client logs its events, the daemon adds one line each', async () => {
  const r = await rig();
  try {
    r.syncer.emit({ kind: 'connecting', endpoint: '127.0.0.1:5473', attempt: 1 });
    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'resync' });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
    await settle(r);
    r.syncer.emit({ kind: 'disconnected', endpoint: '127.0.0.1:5473', reason: 'EOF' });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'wait-for-ready' });
    r.syncer.emit({ kind: 'connecting', endpoint: '127.0.0.1:5473', attempt: 1 });
    r.syncer.emit({ kind: 'disconnected', endpoint: '127.0.0.1:5473', reason: 'ECONNREFUSED' });
    await settle(r);
    assert.equal(r.daemon.status.syncStatus, 'wait-for-ready');
    const state = await r.daemon.metrics.registry.getSingleMetric('felix_resync_state')?.get();
    assert.equal(state?.values[0]?.value, 1, 'felix_resync_state follows the same status');
    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'resync' });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
    await settle(r);
    assert.equal(r.daemon.status.syncStatus, 'in-sync');
    assert.equal(r.daemon.status.typha.reconnects, 1);
    const started = await r.daemon.metrics.registry.getSingleMetric('felix_resyncs_started')?.get();
    assert.equal(started?.values[0]?.value, 2);

    const log = r.logText();
    assert.equal(count(log, 'Connected to Typha on attempt 1'), 1);
    assert.equal(count(log, "First time we've been in sync"), 1);
    // The client's own lines (syncer-client/client) are not repeated by the daemon.
    for (const line of [
      'Connecting to typha endpoint',
      'Connected to Typha.',
      'Typha connection failed',
      'Failed to connect to typha endpoint',
      'Status update from Typha.',
    ]) {
      assert.equal(count(log, line), 0, line);
    }
  } finally {
    await r.daemon.stop();
  }
});

test('parameters without effect: one warning at start naming them, one more for new datastore ones', async () => {
  const r = await rig({ FELIX_NFTABLESMODE: 'Enabled', FELIX_INTERFACEEXCLUDE: 'kube-ipvs0' });
  try {
    const warning = 'Config parameter has no effect in felix-ts; ignoring it.';
    assert.equal(count(r.logText(), warning), 1);
    assert.match(r.logText(), /\[WARNING\].*no effect in felix-ts; ignoring it\. names=NFTablesMode\n/);

    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
    r.calc.next.push({
      kind: 'configUpdate',
      config: { RouteRefreshInterval: '10', NFTablesMode: 'Disabled' },
    });
    r.syncer.emit({ kind: 'batch', updates: [], status: 'in-sync' });
    await settle(r);
    assert.equal(count(r.logText(), warning), 2);
    assert.match(r.logText(), /no effect in felix-ts; ignoring it\. names=RouteRefreshInterval\n/);
    assert.equal(r.drivers.length, 1);
  } finally {
    await r.daemon.stop();
  }
});

test('a chain or set the kernel refused: not ready, the detail names it, the gauge counts it; a clean apply recovers', async () => {
  const r = await rig();
  try {
    await connectInSync(r);
    const d = r.drivers[0] as FakeDriver;
    d.emit('apply', { durationMs: 2 });
    d.emit('first-apply', { durationMs: 2 });
    const refused = [
      {
        ipVersion: 4,
        table: 'filter',
        kind: 'chain',
        name: 'cali-pi-_bad',
        reason: 'multiport needs -p tcp',
      },
      { ipVersion: 4, table: 'ipsets', kind: 'set', name: 'cali40s:big', reason: 'Hash is full' },
    ];
    d.emit('apply', { durationMs: 3, refused });
    await settle(r);
    const h = await r.get('/readiness');
    assert.equal(h.status, 503);
    const text = await fetch(`http://127.0.0.1:${r.daemon.healthAddress()?.port}/readiness`).then((x) =>
      x.text(),
    );
    assert.match(
      text,
      /InternalDataplaneMainLoop .*Refused by the kernel, retrying: ipv4 filter chain cali-pi-_bad, ipv4 ipset cali40s:big/,
    );
    const gauge = await r.daemon.metrics.registry.getSingleMetric('felix_dataplane_quarantined')?.get();
    assert.deepEqual(gauge?.values.map((v) => [v.labels.table, v.value]).sort(), [
      ['filter', 1],
      ['ipsets', 1],
    ]);
    d.emit('apply', { durationMs: 4, refused: [] });
    await settle(r);
    assert.equal((await r.get('/readiness')).status, 200);
    const after = await r.daemon.metrics.registry.getSingleMetric('felix_dataplane_quarantined')?.get();
    assert.equal(after?.values.length, 0);
  } finally {
    await r.daemon.stop();
  }
});

test('backpressure: batches piling up in the main loop pause the Typha reader; it resumes once the loop caught up', async () => {
  const r = await rig();
  try {
    r.syncer.emit({ kind: 'connected', endpoint: '127.0.0.1:5473', serverVersion: 'v' });
    // Twenty batches arrive in one socket read, before the loop runs any of them.
    for (let i = 0; i < 20; i++)
      r.syncer.emit({ kind: 'batch', updates: [kv(`/calico/v1/host/n/config/k${i}`)] });
    assert.deepEqual(r.syncer.flow, ['pause']);
    await settle(r);
    assert.deepEqual(r.syncer.flow, ['pause', 'resume']);
    assert.equal(r.calc.updates.length, 20, 'every batch still reached the calc');
    // A batch or two at a time never pauses.
    r.syncer.emit({ kind: 'batch', updates: [kv('/calico/v1/host/n/config/again')] });
    await settle(r);
    assert.deepEqual(r.syncer.flow, ['pause', 'resume']);
  } finally {
    await r.daemon.stop();
  }
});
