// A production install is the compiled product (dist/agent, dist/rules, dist/syncer-client), proto/
// and `npm ci --omit=dev`: what the container image ships. This test builds one in a temp
// directory, checks that no development-only package is in it, and runs `felix-ts run --dry-run`
// from it against the bundled Typha server (from the full tree) until the agent reports ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDevPki } from '../../tools/pki/index.js';
import { devPki, felixEnv, freePort, spawnCli, typhaServer, until, type Child } from './harness.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const REPO = join(DIST, '..');
const DEV_ONLY = ['node-forge', 'typescript', 'eslint', 'prettier', 'yaml', 'kubernetes-models'];

test('npm ci --omit=dev: no dev-only package, `run --dry-run` gets ready, dev tools say they are absent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-prod-'));
  const typha = typhaServer();
  let agent: Child | undefined;
  try {
    const prod = join(dir, 'felix-ts');
    for (const f of ['package.json', 'package-lock.json', 'proto'])
      cpSync(join(REPO, f), join(prod, f), { recursive: true });
    for (const d of ['agent', 'rules', 'syncer-client'])
      cpSync(join(DIST, d), join(prod, 'dist', d), { recursive: true });
    execFileSync(
      'npm',
      ['ci', '--omit=dev', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      {
        cwd: prod,
        stdio: 'pipe',
      },
    );
    for (const p of DEV_ONLY) assert.ok(!existsSync(join(prod, 'node_modules', p)), `${p} is not installed`);
    assert.ok(existsSync(join(prod, 'node_modules', 'protobufjs')), 'production dependencies are installed');

    const main = join(prod, 'dist', 'agent', 'cli', 'main.js');
    const files = writeDevPki(devPki(), join(dir, 'pki'));
    const env = { ...felixEnv(files, await typha.start()), FELIX_HEALTHPORT: String(await freePort()) };
    const a = spawnCli(['run', '--dry-run'], env, main);
    agent = a;
    await until(
      '`felix-ts status` from the production install to report ready',
      async () => ((await spawnCli(['status'], env, main).exit) === 0 ? true : undefined),
      () => a.output().slice(-4000),
    );
    assert.match(a.output(), /Completed first update to dataplane\./);
    // `diagnose` is a production command: it runs from this install (node:crypto only, no node-forge).
    const diag = spawnCli(['diagnose'], env, main);
    assert.equal(await diag.exit, 0, diag.output());
    assert.match(diag.output(), /^result: ok \(9 ok, 0 warning, 0 error\); exit 0$/m);

    const demo = spawnCli(['demo'], env, main);
    assert.equal(await demo.exit, 2);
    assert.match(demo.output(), /'demo' is a development tool and is not in this install/);
  } finally {
    agent?.kill('SIGKILL');
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
