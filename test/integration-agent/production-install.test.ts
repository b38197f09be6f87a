// A production install is what the container image ships: the bundled CLI (dist/bundle), proto/ and
// `npm ci --omit=dev`. This test builds one the way the Dockerfile does: the build stage's COPY
// lines into a temp directory, `npm ci` and `npm run build` there (so a source the build needs and
// the Dockerfile forgets fails here), then the final stage's files and the production dependencies
// only. It checks that no development-only package is in it, and runs `felix-ts run --dry-run` from
// it against the bundled Typha server (from the full tree) until the agent reports ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDevPki } from '../../tools/pki/index.js';
import { devPki, felixEnv, freePort, spawnCli, typhaServer, until, type Child } from './harness.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const REPO = join(DIST, '..');
const DEV_ONLY = ['node-forge', 'typescript', 'eslint', 'prettier', 'yaml', 'kubernetes-models', 'esbuild'];

/** The build stage's `COPY <src>... <dest>` lines (dest relative to its WORKDIR), replayed into `to`. */
function copyBuildStage(to: string): void {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const stage = text.split(/\nFROM /)[1]!.split('\n'); // [0] is the header comment
  const copies = stage.filter((l) => l.startsWith('COPY ') && !l.includes('--from'));
  assert.ok(copies.length > 3, 'the build stage copies the sources');
  for (const l of copies) {
    const args = l.slice(5).trim().split(/\s+/);
    const dest = args.pop()!;
    for (const src of args) {
      const target = dest.endsWith('/') ? join(to, dest, basename(src)) : join(to, dest);
      mkdirSync(join(target, '..'), { recursive: true });
      cpSync(join(REPO, src), target, { recursive: true });
    }
  }
}

const npm = (cwd: string, args: string[]) =>
  execFileSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], { cwd, stdio: 'pipe' });
test('the Dockerfile build, then npm ci --omit=dev: no dev-only package, `run --dry-run` gets ready, dev tools say they are absent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-prod-'));
  const typha = typhaServer();
  let agent: Child | undefined;
  try {
    const build = join(dir, 'build');
    copyBuildStage(build);
    npm(build, ['ci', '--ignore-scripts']);
    npm(build, ['run', 'build']);

    const prod = join(dir, 'felix-ts');
    for (const f of ['package.json', 'package-lock.json', 'proto'])
      cpSync(join(REPO, f), join(prod, f), { recursive: true });
    cpSync(join(build, 'dist', 'bundle'), join(prod, 'dist', 'bundle'), { recursive: true });
    npm(prod, ['ci', '--omit=dev', '--ignore-scripts']);
    for (const p of DEV_ONLY) assert.ok(!existsSync(join(prod, 'node_modules', p)), `${p} is not installed`);
    assert.ok(existsSync(join(prod, 'node_modules', 'protobufjs')), 'production dependencies are installed');

    const main = join(prod, 'dist', 'bundle', 'felix-ts.js');
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
