// Selector-scoped FelixConfiguration end to end (dry run, safe on any host): the bundled Typha server sends
// the Node and the FelixConfiguration resources as Typha does (v3 resources under
// /calico/resources/v3/projectcalico.org/...), the daemon picks the one whose nodeSelector matches the Node's
// labels, a relabel to a resource that changes only HealthTimeoutOverrides is taken live, and a relabel to
// one that changes ChainInsertMode ends the daemon with Felix's rc 129 (felix/daemon/daemon.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { writeDevPki } from '../../tools/pki/index.js';
import { loadConfig } from '../../agent/config/index.js';
import { createLogger } from '../../agent/log/index.js';
import { Daemon, realDeps } from '../../agent/daemon/index.js';
import { DEMO_HOST } from '../../tools/demo/index.js';
import { devPki, felixEnv, typhaServer, until } from './harness.js';

const NODE_KEY = `/calico/resources/v3/projectcalico.org/nodes/${DEMO_HOST}`;
const fcKey = (n: string) => `/calico/resources/v3/projectcalico.org/felixconfigurations/${n}`;
const node = (pool: string) =>
  JSON.stringify({
    kind: 'Node',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name: DEMO_HOST, labels: { 'kubernetes.io/hostname': DEMO_HOST, pool } },
    spec: { bgp: { ipv4Address: '10.0.0.1/24' } },
  });
const fc = (name: string, selector: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    kind: 'FelixConfiguration',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { nodeSelector: selector, ...spec },
  });
const hto = (t: string) => ({ healthTimeoutOverrides: [{ name: 'CalculationGraph', timeout: t }] });

test('selector-scoped FelixConfiguration through Typha: matched by labels, relabel live, then rc 129', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-scoped-'));
  const typha = typhaServer();
  typha.put(NODE_KEY, node('blue'));
  typha.put(fcKey('blue'), fc('blue', "pool == 'blue'", hto('2m0s')));
  typha.put(fcKey('teal'), fc('teal', "pool == 'teal'", hto('3m0s')));
  typha.put(fcKey('green'), fc('green', "pool == 'green'", { chainInsertMode: 'Append' }));
  const port = await typha.start();
  const out = new PassThrough();
  let log = '';
  out.on('data', (d: Buffer) => (log += d.toString()));
  const loaded = loadConfig({
    env: { ...felixEnv(writeDevPki(devPki(), dir), port), FELIX_HEALTHPORT: '0' },
  });
  const daemon = new Daemon({
    loaded,
    logger: createLogger({ severity: 'INFO', stream: out }),
    deps: realDeps({ dryRun: true, failover: { retryDelayMs: 20, roundBackoffInitialMs: 50 } }),
  });
  const diag = () => log.slice(-4000);
  try {
    await daemon.start();
    await until('the first apply', () => (daemon.status.dataplane.firstApplyDone ? true : undefined), diag);
    assert.match(log, /Selector-scoped FelixConfiguration updated.*name=blue/);
    assert.match(log, /Configuration updated from the datastore\..*changed=HealthTimeoutOverrides/);
    assert.equal(daemon.config.HealthTimeoutOverrides.get('CalculationGraph'), 120_000);

    // Relabel to teal: only HealthTimeoutOverrides changes, which Felix applies without a restart.
    typha.put(NODE_KEY, node('teal'));
    await until(
      'teal in force',
      () => (daemon.config.HealthTimeoutOverrides.get('CalculationGraph') === 180_000 ? true : undefined),
      diag,
    );
    assert.match(log, /Local node labels changed/);

    // Relabel to green: ChainInsertMode changes, a restart (rc 129) as Felix.
    typha.put(NODE_KEY, node('green'));
    assert.equal(await daemon.exited, 129);
    assert.match(
      log,
      /Configuration value changed; change DOES require Felix to restart\..*key=ChainInsertMode/,
    );
  } finally {
    await daemon.stop();
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
