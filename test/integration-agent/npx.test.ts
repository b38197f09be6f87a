// In a clone, `npm ci` does not put the package's own bin on PATH; `npx felix-ts` finds it
// (package.json "bin" -> dist/bundle/felix-ts.js, which the build made executable with a shebang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

test('npx felix-ts runs the built CLI from the clone (no global install)', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const { stdout } = await promisify(execFile)('npx', ['--no-install', 'felix-ts', '--version'], {
    cwd: ROOT,
    timeout: 60_000,
  });
  assert.equal(stdout.trim(), `felix-ts-v${pkg.version}`);
});
