import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { networkInterfaces } from 'node:os';
import { HealthAggregator, HealthServer } from '../../../../agent/health/index.js';
import { isLoopbackAddress } from '../../../../agent/health/server.js';
import { AgentMetrics, MetricsServer } from '../../../../agent/metrics/index.js';

function request(
  host: string,
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; allow: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A non-loopback IPv4 address of this machine: a connection to it has a non-loopback source. */
function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this test needs a non-loopback IPv4 address on the machine');
}

test('isLoopbackAddress: 127/8, ::1 and mapped forms only', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
    assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ['192.0.2.2', '::ffff:10.0.0.1', 'fe80::1', '0.0.0.0', '128.0.0.1', undefined])
    assert.equal(isLoopbackAddress(a), false, String(a));
});

test('health: non-GET/HEAD methods get 405 with Allow; /debug is loopback-only on a wildcard bind', async () => {
  let calls = 0;
  const srv = new HealthServer({
    aggregator: new HealthAggregator(),
    debug: { chains: () => ({ status: 200, body: { n: ++calls } }) },
  });
  await srv.listen('0.0.0.0', 0);
  const port = srv.address()?.port ?? 0;
  try {
    for (const path of ['/readiness', '/liveness', '/debug/chains', '/nothing']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const r = await request('127.0.0.1', port, method, path);
        assert.equal(r.status, 405, `${method} ${path}`);
        assert.equal(r.allow, 'GET, HEAD', `${method} ${path}`);
      }
    }
    assert.equal(calls, 0, 'a refused method never reaches the debug handler');
    assert.equal((await request('127.0.0.1', port, 'GET', '/readiness')).status, 200);
    assert.equal((await request('127.0.0.1', port, 'HEAD', '/liveness')).status, 200);
    const local = await request('127.0.0.1', port, 'GET', '/debug/chains');
    assert.equal(local.status, 200);
    assert.deepEqual(JSON.parse(local.body), { n: 1 });

    const ext = externalAddress();
    assert.equal((await request(ext, port, 'GET', '/readiness')).status, 200, 'health stays reachable');
    const remote = await request(ext, port, 'GET', '/debug/chains');
    assert.equal(remote.status, 403);
    assert.equal((await request(ext, port, 'GET', '/debug/other')).status, 403);
    assert.equal(calls, 1, 'the remote request never reached the handler');
  } finally {
    await srv.close();
  }
});

test('metrics: POST /metrics gets 405 with Allow, GET and HEAD are served', async () => {
  const srv = new MetricsServer(new AgentMetrics({ hostname: 'surfaces' }));
  await srv.listen('127.0.0.1', 0);
  const port = srv.address()?.port ?? 0;
  try {
    const r = await request('127.0.0.1', port, 'POST', '/metrics');
    assert.equal(r.status, 405);
    assert.equal(r.allow, 'GET, HEAD');
    assert.equal((await request('127.0.0.1', port, 'GET', '/metrics')).status, 200);
    assert.equal((await request('127.0.0.1', port, 'HEAD', '/metrics')).status, 200);
  } finally {
    await srv.close();
  }
});
