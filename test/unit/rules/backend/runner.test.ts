import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DEADLINE,
  ExecaRunner,
  commandDeadlineMs,
  liveChildGroups,
  oldestChildStartMs,
} from '../../../../rules/backend/index.js';
import { DataplaneError } from '../../../../rules/backend/errors.js';

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('deadline: base + perKiB per started KiB of input', () => {
  assert.deepEqual(DEFAULT_DEADLINE, { baseMs: 30_000, perKiBMs: 10 });
  assert.equal(commandDeadlineMs(0), 30_000);
  assert.equal(commandDeadlineMs(1), 30_010);
  assert.equal(commandDeadlineMs(1024), 30_010);
  assert.equal(commandDeadlineMs(1025), 30_020);
  assert.equal(commandDeadlineMs(1024 * 1024), 30_000 + 10_240);
  assert.equal(commandDeadlineMs(100 * 1024 * 1024), 30_000 + 1_024_000);
  assert.equal(commandDeadlineMs(5000, { baseMs: 100, perKiBMs: 3 }), 100 + 5 * 3);
  assert.equal(commandDeadlineMs(-1), 30_000);
});

test('a command past its deadline: typed timeout, its whole process group killed, nothing tracked', async () => {
  const r = new ExecaRunner({ deadline: { baseMs: 300, perKiBMs: 0 }, killGraceMs: 200 });
  const t0 = Date.now();
  const run = r.run('sh', ['-c', 'trap "" TERM; sleep 1000 & echo $!; wait']);
  // While it runs it is tracked (and counts against liveness).
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(liveChildGroups().length, 1);
  assert.ok((oldestChildStartMs() ?? Infinity) <= Date.now());
  await assert.rejects(run, (e: unknown) => e instanceof DataplaneError && e.code === 'ERR_COMMAND_TIMEOUT');
  const took = Date.now() - t0;
  assert.ok(took >= 300 && took < 2_000, `took ${took} ms`);
  assert.deepEqual(liveChildGroups(), []);
  assert.equal(oldestChildStartMs(), undefined);
});

test('a command that exits within its deadline succeeds; a child it left in its group is killed', async () => {
  const r = new ExecaRunner({ deadline: { baseMs: 200, perKiBMs: 0 } });
  const ok = await r.run('sh', ['-c', 'cat >/dev/null; echo done'], 'x'.repeat(10_000));
  assert.equal(ok.stdout, 'done\n');
  // A child left in the group by a command that exited is killed with the group.
  const left = await r.run('sh', ['-c', 'sleep 1000 >/dev/null 2>&1 & echo $!']);
  const pid = Number(left.stdout.trim());
  for (let i = 0; i < 50 && running(pid); i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(running(pid), false, 'the leftover grandchild is gone');
});

test('no child outlives the agent: process exit SIGKILLs every running group', async () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'felix-runner-')), 'pids');
  const runnerUrl = new URL('../../../../rules/backend/runner.js', import.meta.url).href;
  const script = [
    `import { ExecaRunner } from ${JSON.stringify(runnerUrl)};`,
    `const r = new ExecaRunner();`,
    `void r.run('sh', ['-c', 'echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; wait']).catch(() => {});`,
    `import { readFileSync } from 'node:fs';`,
    // Exit once both pids are written (the sleep is running), however loaded the machine is.
    `const two = () => { try { return readFileSync(${JSON.stringify(pidFile)}, 'utf8').trim().split('\\n').length === 2; } catch { return false; } };`,
    `setInterval(() => two() && process.exit(0), 20);`,
  ].join('\n');
  const { execa } = await import('execa');
  const r = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  assert.equal(pids.length, 2, String(r.stderr));
  for (let i = 0; i < 50 && pids.some(running); i++) await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(pids.filter(running), [], 'the detached shell and its sleep died with the agent');
});
