import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HealthAggregator,
  HealthServer,
  renderHealthTable,
  REPORTER,
} from '../../../../agent/health/index.js';
import { memoryLogger } from '../../../../agent/log/index.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('no reporters: live and ready (libcalico-go/lib/health/health.go)', () => {
  const s = new HealthAggregator().summary();
  assert.equal(s.live, true);
  assert.equal(s.ready, true);
});

test('a new reporter is live but not ready until it reports ready', () => {
  const c = clock();
  const h = new HealthAggregator({ now: c.now });
  h.register(REPORTER.startup, { live: true, ready: true }, 0);
  assert.deepEqual([h.summary().live, h.summary().ready], [true, false]);
  h.report(REPORTER.startup, { live: true, ready: true });
  assert.deepEqual([h.summary().live, h.summary().ready], [true, true]);
  // Timeout 0: never expires.
  c.advance(10 * 3600_000);
  assert.equal(h.summary().ready, true);
});

test('ready only when every readiness reporter is ready; a timed-out reporter is neither live nor ready', () => {
  const c = clock();
  const log = memoryLogger();
  const h = new HealthAggregator({ now: c.now, logger: log });
  h.register(REPORTER.calcGraph, { live: true, ready: true }, 30_000);
  h.register(REPORTER.dataplane, { live: true, ready: true }, 90_000);
  h.report(REPORTER.calcGraph, { live: true, ready: true });
  assert.equal(h.summary().ready, false, 'dataplane has not reported ready');
  h.report(REPORTER.dataplane, { live: true, ready: true });
  assert.equal(h.summary().ready, true);

  c.advance(30_001);
  const s = h.summary();
  const calc = s.reporters.find((r) => r.name === REPORTER.calcGraph);
  assert.ok(calc);
  assert.equal(calc.timedOut, true);
  assert.equal(s.live, false);
  assert.equal(s.ready, false);
  assert.match(renderHealthTable(s), /\| CalculationGraph +\| 30s +\| timed out +\| timed out +\|/);
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg === 'Reporter is not ready: timed out.'));
  assert.ok(log.lines.some((l) => l.msg === 'Overall health status changed: live=false ready=false'));

  // A fresh report revives it.
  h.report(REPORTER.calcGraph, { live: true, ready: true });
  h.report(REPORTER.dataplane, { live: true, ready: true });
  assert.equal(h.summary().live, true);
});

test('HealthTimeoutOverrides replace a timeout live and are shown as (override)', () => {
  const c = clock();
  const h = new HealthAggregator({ now: c.now });
  h.register(REPORTER.dataplane, { live: true, ready: true }, 90_000);
  h.report(REPORTER.dataplane, { live: true, ready: true });
  c.advance(100_000);
  assert.equal(h.summary().live, false);
  h.setOverrides(new Map([[REPORTER.dataplane, 180_000]]));
  const s = h.summary();
  assert.equal(s.live, true);
  assert.match(renderHealthTable(s), /\| 3m0s \(override\) \|/);
});

test('table body has Felix columns sorted by component', () => {
  const h = new HealthAggregator({ now: () => 0 });
  h.register(REPORTER.dataplane, { live: true, ready: true }, 90_000);
  h.register(REPORTER.startup, { live: true, ready: true }, 0);
  h.register(REPORTER.calcGraph, { live: true, ready: true }, 30_000);
  h.register('LiveOnly', { live: true, ready: false }, 0);
  h.report(REPORTER.calcGraph, { live: true, ready: false, detail: 'resync' });
  const lines = renderHealthTable(h.summary()).trimEnd().split('\n');
  assert.match(lines[1] ?? '', /^\| +COMPONENT +\| TIMEOUT \| +LIVENESS +\| +READINESS +\| DETAIL \|$/);
  const names = lines.slice(3, -1).map((l) => (l.split('|')[1] ?? '').trim());
  assert.deepEqual(names, ['CalculationGraph', 'FelixStartup', 'InternalDataplaneMainLoop', 'LiveOnly']);
  assert.match(
    lines[3] ?? '',
    /\| CalculationGraph +\| 30s +\| reporting live \| reporting non-ready \| resync \|/,
  );
  assert.match(lines[5] ?? '', /\| InternalDataplaneMainLoop \| 1m30s +\|/);
  assert.match(lines[6] ?? '', /\| LiveOnly +\| - +\| reporting live \| - +\|/);
  for (const l of lines) assert.equal(l.length, (lines[0] ?? '').length);
});

test('HTTP: 503 + table until ready, then 200; JSON form with details; 404 elsewhere; debug routes', async () => {
  const c = clock();
  const h = new HealthAggregator({ now: c.now });
  h.register(REPORTER.startup, { live: true, ready: true }, 0);
  const srv = new HealthServer({
    aggregator: h,
    details: () => ({ typha: { endpoint: '127.0.0.1:5473' }, syncStatus: 'resync' }),
    debug: { echo: (q) => ({ status: q.get('name') ? 200 : 400, body: { name: q.get('name') } }) },
  });
  await srv.listen('127.0.0.1', 0);
  try {
    const port = srv.address()?.port;
    assert.ok(port);
    const base = `http://127.0.0.1:${port}`;
    let r = await fetch(`${base}/readiness`);
    assert.equal(r.status, 503);
    assert.match(await r.text(), /FelixStartup +\| - +\| reporting live \| reporting non-ready/);
    r = await fetch(`${base}/liveness`, { method: 'POST' });
    assert.equal(r.status, 405, 'only GET and HEAD are answered');
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    await r.text();

    h.report(REPORTER.startup, { live: true, ready: true });
    r = await fetch(`${base}/readiness`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /reporting ready/);

    r = await fetch(`${base}/readiness?format=json`);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const j = (await r.json()) as {
      ready: boolean;
      reporters: { name: string }[];
      details: { typha: { endpoint: string } };
    };
    assert.equal(j.ready, true);
    assert.equal(j.reporters[0]?.name, 'FelixStartup');
    assert.equal(j.details.typha.endpoint, '127.0.0.1:5473');
    r = await fetch(`${base}/liveness`, { headers: { accept: 'application/json' } });
    assert.equal(((await r.json()) as { live: boolean }).live, true);

    r = await fetch(`${base}/other`);
    assert.equal(r.status, 404);
    await r.text();
    r = await fetch(`${base}/debug/echo?name=x`);
    assert.deepEqual(await r.json(), { name: 'x' });
    r = await fetch(`${base}/debug/echo`);
    assert.equal(r.status, 400);
    await r.text();
  } finally {
    await srv.close();
  }
});

test('HTTP: rebinding to a new port moves the server (Felix never rebinds, docs/operations.md)', async () => {
  const h = new HealthAggregator();
  const srv = new HealthServer({ aggregator: h });
  await srv.listen('127.0.0.1', 0);
  const first = srv.address()?.port;
  try {
    await srv.listen('127.0.0.1', 0);
    // Port 0 twice is the "same" config: no rebind.
    assert.equal(srv.address()?.port, first);
    // Any 127/8 address is local on Linux: move to another one.
    await srv.listen('127.0.0.2', 0);
    const second = srv.address();
    assert.equal(second?.address, '127.0.0.2');
    const r = await fetch(`http://127.0.0.2:${second?.port}/liveness`);
    assert.equal(r.status, 200);
    await r.text();
    await assert.rejects(fetch(`http://127.0.0.1:${first}/liveness`), 'the old address is closed');
  } finally {
    await srv.close();
  }
});

test('HTTP: a port in use is retried, not fatal', async () => {
  const h = new HealthAggregator();
  const log = memoryLogger();
  const a = new HealthServer({ aggregator: h });
  await a.listen('127.0.0.1', 0);
  const port = a.address()?.port as number;
  const b = new HealthServer({ aggregator: h, logger: log, retryMs: 20 });
  try {
    await b.listen('127.0.0.1', port);
    assert.equal(b.address(), null);
    assert.ok(log.lines.some((l) => l.msg === 'Health endpoint failed, trying to restart it...'));
    await a.close();
    // Wait for a retry to succeed (bounded by the test runner's timeout, no timing assertion).
    while (b.address() === null) await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.address()?.port, port);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a health change is logged with plain live/ready/detail fields and Felix's Go text", () => {
  const log = memoryLogger();
  const h = new HealthAggregator({ now: () => 0, logger: log });
  h.register('InternalDataplaneMainLoop', { live: true, ready: true }, 0);
  h.report('InternalDataplaneMainLoop', { live: true, ready: false, detail: 'Refused by the kernel' });
  const line = log.lines.find((l) => l.msg === 'Health of component changed');
  assert.ok(line, 'the change is logged');
  assert.deepEqual(
    { live: line.fields.live, ready: line.fields.ready, detail: line.fields.detail },
    { live: true, ready: false, detail: 'Refused by the kernel' },
  );
  assert.equal(line.fields.newReport, '&{Live:true Ready:false Detail:Refused by the kernel}');
});
