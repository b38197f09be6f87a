// rules/driver/cpu-clock.ts: the CPU between the first update an apply covers and its first restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestoreClock, cpuSpent, readCpuClock } from '../../../../rules/driver/cpu-clock.js';
import type { CommandRunner } from '../../../../rules/backend/runner.js';

const ok: CommandRunner = { run: () => Promise.resolve({ exitCode: 0, stdout: '', stderr: '' }) };

/** Spends at least `ms` of this thread's CPU (not wall-clock time), by the main-thread clock. */
function burn(ms: number): void {
  const t0 = readCpuClock();
  let x = 0;
  while ((cpuSpent(t0, readCpuClock()).mainMs ?? Infinity) < ms)
    for (let i = 0; i < 1000; i++) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
}

test('readCpuClock: the main thread clock is read on Linux and advances with work on it', () => {
  const a = readCpuClock();
  burn(20);
  const d = cpuSpent(a, readCpuClock());
  assert.ok(d.mainMs !== undefined, 'schedstat readable');
  assert.ok(d.mainMs >= 20, `main thread ${d.mainMs} ms`);
  // getrusage counts in ticks of the scheduler, schedstat in ns: allow a tick of difference.
  assert.ok(d.allMs >= d.mainMs - 10, `all threads ${d.allMs} ms, main ${d.mainMs} ms`);
});

test('RestoreClock: from the earliest mark to the first restore; saves and later restores do not move it', async () => {
  const c = new RestoreClock(ok);
  const since = readCpuClock();
  burn(30); // the calc's work on the batch
  c.mark(since);
  c.mark(); // a later batch before the apply: the first one counts
  c.begin();
  burn(10); // compile and plan
  await c.run('iptables-legacy-save', ['-t', 'filter']);
  await c.run('ip', ['netns', 'exec', 'x', 'ipset', 'restore']);
  burn(40); // after the first restore: not counted
  await c.run('iptables-legacy-restore', ['--noflush']);
  const spent = c.end();
  assert.ok(spent, 'measured');
  assert.ok(spent.mainMs !== undefined && spent.mainMs >= 40 && spent.mainMs < 80, `main ${spent.mainMs} ms`);
  // The ipset restore came first; the table figure runs on to the first iptables restore.
  const t = spent.tables?.mainMs;
  assert.ok(t !== undefined && t >= 80, `to the first iptables restore: main ${t} ms`);
  assert.equal(c.end(), undefined, 'end() resets');
});

test('RestoreClock: an apply that runs no restore, or one with no message since the last, has no figure', async () => {
  const c = new RestoreClock(ok);
  c.mark();
  c.begin();
  await c.run('iptables-save', []);
  assert.equal(c.end(), undefined);
  c.begin(); // nothing marked since the last begin
  await c.run('iptables-restore', []);
  assert.equal(c.end(), undefined);
});
