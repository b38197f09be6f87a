// The compiled agent's Typha connection errors (issue 18 item 2): a Typha that refuses our client
// certificate after the TLS handshake is named as such in the log line (Felix's shape, Go's
// error text, the cause and fix in extra fields, one line per attempt) and in the readiness detail,
// where it used to read like a Typha restart ("closed the connection").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { writeDevPki } from '../../tools/pki/index.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { devPki, felixEnv, freePort, spawnCli, until } from './harness.js';

function readinessDetail(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readiness?format=json' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          const j = JSON.parse(body) as { components?: Record<string, { detail?: string }> } & Record<
            string,
            unknown
          >;
          resolve(body.includes('probably rejected our client certificate') ? JSON.stringify(j) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

test('a refused client certificate: named in the log line and the readiness detail, once per attempt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-int-typha-errors-'));
  const p = devPki();
  const typha = new TyphaServer({
    host: '127.0.0.1',
    tls: { ca: p.ca.cert, cert: p.server.cert, key: p.server.key, clientCN: 'calico-node' },
  });
  const typhaPort = await typha.start();
  const files = writeDevPki(p, dir);
  const healthPort = await freePort();
  const agent = spawnCli(['run', '--dry-run'], {
    ...felixEnv(files, typhaPort),
    FELIX_HEALTHPORT: String(healthPort),
  });
  try {
    const detail = await until(
      'the readiness detail to name the refused client certificate',
      () => readinessDetail(healthPort),
      () => agent.output().slice(-3000),
    );
    assert.match(
      detail,
      /Not connected to Typha: ERR_TYPHA_CLOSED: Typha at 127\.0\.0\.1:\d+ closed the connection right after the TLS handshake/,
    );
    assert.match(detail, /our certificate \(TyphaCertFile [^)]+\): CN \\"typha-client\\"/);
    agent.kill('SIGTERM');
    assert.equal(await agent.exit, 0);
    const lines = agent.output().split('\n');
    const addr = `127.0.0.1:${typhaPort}`;
    const failed = lines.filter((l) => l.includes(`Failed to connect to typha endpoint ${addr}.`));
    const attempts = lines.filter((l) => l.includes(`Connecting to typha endpoint ${addr}.`));
    assert.ok(failed.length >= 1, agent.output());
    // One line per attempt: the attempt in flight at SIGTERM may have no line yet.
    assert.ok(failed.length === attempts.length || failed.length === attempts.length - 1, agent.output());
    for (const l of failed) {
      assert.match(
        l,
        /^\S+ \S+ \[WARNING\]\[\d+\] felix\/typha: Failed to connect to typha endpoint \S+\. {2}Will try another if available\.\.\. cause="Typha at \S+ closed the connection right after the TLS handshake, before its ServerHello: it probably rejected our client certificate; .*" error=EOF fix="make Typha trust our certificate/,
      );
    }
    assert.doesNotMatch(
      agent.output(),
      /Typha at \S+ closed the connection(?! right after)/,
      'not the old reason',
    );
  } finally {
    agent.kill('SIGKILL');
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
