// rules/driver/rp-filter.ts on real files: a scratch directory stands in for /proc/sys (the same
// open-without-create writes; a missing interface directory is ENOENT, as in /proc/sys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RpFilterWriter,
  fsProcSys,
  isSafeInterfaceName,
  runnerProcSys,
} from '../../../../rules/driver/index.js';
import type { CommandRunner } from '../../../../rules/backend/runner.js';

interface Logged {
  level: string;
  msg: string;
  meta?: Record<string, unknown>;
}
function logger(lines: Logged[]) {
  const at =
    (level: string) =>
    (msg: string, meta?: Record<string, unknown>): void => {
      lines.push({ level, msg, ...(meta ? { meta } : {}) });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function fakeProc(defaultValue: string | undefined, ifaces: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ftr-procsys-'));
  const conf = join(root, 'net', 'ipv4', 'conf');
  for (const d of ['default', ...ifaces]) mkdirSync(join(conf, d), { recursive: true });
  if (defaultValue !== undefined) writeFileSync(join(conf, 'default', 'rp_filter'), defaultValue);
  for (const i of ifaces) writeFileSync(join(conf, i, 'rp_filter'), '2\n');
  return root;
}
/** The value, as the kernel parses it (a regular file keeps bytes past the write, /proc does not). */
const rp = (root: string, iface: string): string =>
  readFileSync(join(root, 'net', 'ipv4', 'conf', iface, 'rp_filter'), 'utf8').trim();

test('rp_filter: 0 for a spoofing interface, the node default (read once) for the others; only changes are written', async () => {
  const root = fakeProc('1\n', ['calia', 'calib']);
  try {
    const lines: Logged[] = [];
    const w = new RpFilterWriter(fsProcSys, logger(lines), root);
    const ifaces = new Map([
      ['calia', { allowSpoofing: true }],
      ['calib', { allowSpoofing: false }],
    ]);
    assert.deepEqual(await w.apply(ifaces), { written: ['calia', 'calib'], pending: [] });
    assert.equal(rp(root, 'calia'), '0');
    assert.equal(rp(root, 'calib'), '1');
    // The default is read once (Felix reads it at start): changing it later changes nothing.
    writeFileSync(join(root, 'net', 'ipv4', 'conf', 'default', 'rp_filter'), '2\n');
    assert.deepEqual(await w.apply(ifaces), { written: [], pending: [] });
    // Spoofing switched off: back to the default.
    ifaces.set('calia', { allowSpoofing: false });
    assert.deepEqual(await w.apply(ifaces), { written: ['calia'], pending: [] });
    assert.equal(rp(root, 'calia'), '1');
    // A refresh writes everything again (repairs a value changed behind our back).
    writeFileSync(join(root, 'net', 'ipv4', 'conf', 'calib', 'rp_filter'), '0');
    w.invalidate();
    assert.deepEqual(await w.apply(ifaces), { written: ['calia', 'calib'], pending: [] });
    assert.equal(rp(root, 'calib'), '1');
    assert.deepEqual(lines, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rp_filter: a missing interface is logged at debug, never created, and written on a later apply once it exists', async () => {
  const root = fakeProc('2', []);
  try {
    const lines: Logged[] = [];
    const w = new RpFilterWriter(fsProcSys, logger(lines), root);
    const ifaces = new Map([['calinew', { allowSpoofing: true }]]);
    assert.deepEqual(await w.apply(ifaces), { written: [], pending: ['calinew'] });
    assert.equal(existsSync(join(root, 'net', 'ipv4', 'conf', 'calinew')), false);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.meta?.iface]),
      [['debug', 'rp_filter: could not set it; will retry on the next apply', 'calinew']],
    );
    mkdirSync(join(root, 'net', 'ipv4', 'conf', 'calinew'));
    writeFileSync(join(root, 'net', 'ipv4', 'conf', 'calinew', 'rp_filter'), '2');
    assert.deepEqual(await w.apply(ifaces), { written: ['calinew'], pending: [] });
    assert.equal(rp(root, 'calinew'), '0');
    // An interface that went away is forgotten, so that a new one of the same name is written again.
    await w.apply(new Map());
    writeFileSync(join(root, 'net', 'ipv4', 'conf', 'calinew', 'rp_filter'), '2');
    assert.deepEqual(await w.apply(ifaces), { written: ['calinew'], pending: [] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rp_filter: an unreadable default means strict (1), with Felix warning', async () => {
  const root = fakeProc(undefined, ['calic']);
  try {
    const lines: Logged[] = [];
    const w = new RpFilterWriter(fsProcSys, logger(lines), root);
    await w.apply(new Map([['calic', { allowSpoofing: false }]]));
    assert.equal(rp(root, 'calic'), '1');
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [['warn', 'could not determine default rp_filter setting, defaulting to strict']],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rp_filter: names that are not one interface (traversal, node-wide entries) are never written', async () => {
  for (const bad of ['..', '.', 'all', 'default', '../../x', 'a/b', 'eth 0', '', 'x'.repeat(16), '-x'])
    assert.equal(isSafeInterfaceName(bad), false, bad);
  for (const good of ['cali1a2b3c4d5e6', 'eth0.100', 'tap_x', 'v@1'])
    assert.equal(isSafeInterfaceName(good), true);
  const root = fakeProc('1', ['all']);
  try {
    const lines: Logged[] = [];
    const w = new RpFilterWriter(fsProcSys, logger(lines), root);
    const r = await w.apply(
      new Map([
        ['..', { allowSpoofing: true }],
        ['all', { allowSpoofing: true }],
      ]),
    );
    assert.deepEqual(r, { written: [], pending: [] });
    assert.equal(rp(root, 'all'), '2');
    assert.equal(lines.filter((l) => l.level === 'warn').length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('runnerProcSys: cat and tee through the runner; a missing file is ENOENT', async () => {
  const calls: string[] = [];
  const runner: CommandRunner = {
    run(file, args, input) {
      calls.push([file, ...args, input ?? ''].join(' '));
      const missing = args[0]!.includes('gone');
      return Promise.resolve({
        stdout: file === 'cat' && !missing ? '1\n' : '',
        stderr: missing ? `${file}: ${args[0]}: No such file or directory` : '',
        exitCode: missing ? 1 : 0,
      });
    },
  };
  const io = runnerProcSys(runner);
  assert.equal(await io.read('/proc/sys/net/ipv4/conf/default/rp_filter'), '1\n');
  await io.write('/proc/sys/net/ipv4/conf/calia/rp_filter', '0');
  await assert.rejects(io.write('/proc/sys/net/ipv4/conf/gone/rp_filter', '0'), (e: unknown) => {
    return (e as { code?: string }).code === 'ENOENT';
  });
  assert.deepEqual(calls, [
    'cat /proc/sys/net/ipv4/conf/default/rp_filter ',
    'tee /proc/sys/net/ipv4/conf/calia/rp_filter 0',
    'tee /proc/sys/net/ipv4/conf/gone/rp_filter 0',
  ]);
});

test('rp_filter: with an interface monitor, an interface it does not list is not tried until it appears', async () => {
  const root = fakeProc('1\n', ['calia']);
  try {
    const lines: Logged[] = [];
    const writes: string[] = [];
    const io = {
      read: fsProcSys.read,
      write: async (path: string, value: string) => {
        writes.push(path);
        await fsProcSys.write(path, value);
      },
    };
    const w = new RpFilterWriter(io, logger(lines), root);
    const ifaces = new Map([
      ['calia', { allowSpoofing: false }],
      ['calib', { allowSpoofing: true }],
    ]);
    assert.equal(w.linksAppeared(new Set(['lo', 'calia'])), false);
    assert.deepEqual(await w.apply(ifaces), { written: ['calia'], pending: ['calib'] });
    // Not retried on every apply while the monitor does not list it (no write attempt, no log).
    const before = writes.length;
    assert.deepEqual(await w.apply(ifaces), { written: [], pending: ['calib'] });
    assert.equal(writes.length, before);
    assert.equal(lines.length, 0);
    // It appears: the caller is told to apply, and the next apply writes it.
    mkdirSync(join(root, 'net', 'ipv4', 'conf', 'calib'), { recursive: true });
    writeFileSync(join(root, 'net', 'ipv4', 'conf', 'calib', 'rp_filter'), '2\n');
    assert.equal(w.linksAppeared(new Set(['lo', 'calia', 'calib'])), true);
    assert.deepEqual(await w.apply(ifaces), { written: ['calib'], pending: [] });
    assert.equal(rp(root, 'calib'), '0');
    // A workload that goes stops the wait for its interface.
    assert.equal(w.linksAppeared(new Set(['lo'])), false);
    ifaces.set('calic', { allowSpoofing: false });
    await w.apply(ifaces);
    ifaces.delete('calic');
    await w.apply(ifaces);
    assert.equal(w.linksAppeared(new Set(['lo', 'calic'])), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
