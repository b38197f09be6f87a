// The compiled agent's local HTTP surfaces with HealthHost=0.0.0.0 (issue 17 item 7): only GET
// and HEAD are answered, and /debug is refused to any client that is not on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDevPki } from '../../tools/pki/index.js';
import { devPki, felixEnv, freePort, spawnCli, typhaServer, until } from './harness.js';

function request(
  host: string,
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; allow?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

function externalAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this test needs a non-loopback IPv4 address on the machine');
}

test('agent with HealthHost=0.0.0.0: 405 + Allow for non-GET, /debug only from loopback, metrics 405', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-surfaces-'));
  const typha = typhaServer();
  const typhaPort = await typha.start();
  const files = writeDevPki(devPki(), dir);
  const healthPort = await freePort();
  const metricsPort = await freePort();
  const agent = spawnCli(['run', '--dry-run'], {
    ...felixEnv(files, typhaPort),
    FELIX_HEALTHHOST: '0.0.0.0',
    FELIX_HEALTHPORT: String(healthPort),
    FELIX_PROMETHEUSMETRICSENABLED: 'true',
    FELIX_PROMETHEUSMETRICSHOST: '127.0.0.1',
    FELIX_PROMETHEUSMETRICSPORT: String(metricsPort),
  });
  try {
    await until(
      'readiness 200',
      async () =>
        (await request('127.0.0.1', healthPort, 'GET', '/readiness').catch(() => ({ status: 0 }))).status ===
        200
          ? true
          : undefined,
      () => agent.output().slice(-4000),
    );
    for (const path of ['/readiness', '/liveness', '/debug/chains']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const r = await request('127.0.0.1', healthPort, method, path);
        assert.deepEqual([r.status, r.allow], [405, 'GET, HEAD'], `${method} ${path}`);
      }
    }
    assert.equal((await request('127.0.0.1', healthPort, 'HEAD', '/liveness')).status, 200);
    assert.equal((await request('127.0.0.1', healthPort, 'GET', '/debug/chains')).status, 200);
    const ext = externalAddress();
    assert.equal((await request(ext, healthPort, 'GET', '/liveness')).status, 200);
    assert.equal((await request(ext, healthPort, 'GET', '/debug/chains')).status, 403);
    assert.equal((await request(ext, healthPort, 'GET', '/debug/endpoint?name=x')).status, 403);
    const m = await request('127.0.0.1', metricsPort, 'POST', '/metrics');
    assert.deepEqual([m.status, m.allow], [405, 'GET, HEAD']);
    assert.equal((await request('127.0.0.1', metricsPort, 'GET', '/metrics')).status, 200);
  } finally {
    agent.kill('SIGTERM');
    await agent.exit;
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
