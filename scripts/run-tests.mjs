#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's test runner.
// Usage: node scripts/run-tests.mjs [subdir-filter...]
// Node 20's --test does not expand globs, so the file list is built here.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(root).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
// In CI a skipped test is a failure: the namespace and e2e suites skip only when not root, and
// CI runs as root, so a skip there means something is wrong with the run, not with the test.
const inCI = Boolean(process.env.CI) && process.env.CI !== 'false';
if (inCI && process.getuid?.() !== 0) {
  console.error('CI must run the tests as root (network-namespace and e2e suites need it)');
  process.exit(1);
}
const reporter = process.env.TEST_REPORTER ?? 'spec';
const tapDir = mkdtempSync(join(tmpdir(), 'felix-ts-tests-'));
const tapFile = join(tapDir, 'results.tap');
const res = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-reporter=${reporter}`,
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    '--test-concurrency=1',
    ...files,
  ],
  { stdio: 'inherit' },
);
let status = res.status ?? 1;
try {
  const summary = readFileSync(tapFile, 'utf8');
  const skipped = Number(/^# skipped (\d+)$/m.exec(summary)?.[1] ?? '0');
  if (inCI && skipped > 0) {
    const names = summary
      .split('\n')
      .filter((l) => /# SKIP/.test(l))
      .map((l) => l.trim());
    console.error(`${skipped} test(s) skipped in CI, which counts as a failure:\n${names.join('\n')}`);
    status = status || 1;
  }
} finally {
  rmSync(tapDir, { recursive: true, force: true });
}
process.exit(status);
