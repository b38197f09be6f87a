import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DEADLINE,
  ExecaRunner,
  commandDeadlineMs,
  liveChildGroups,
  oldestChildStartMs,
  setprivOnPath,
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

test('no child outlives the agent: process exit SIGKILLs every running group', async (t) => {
  const pidDir = mkdtempSync(join(tmpdir(), 'felix-runner-'));
  t.after(() => rmSync(pidDir, { recursive: true, force: true }));
  const pidFile = join(pidDir, 'pids');
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

test('kill -9 of the agent: the running child dies with it (setpriv --pdeathsig KILL)', async (t) => {
  assert.ok(setprivOnPath(), 'util-linux setpriv is installed (scripts/setup.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'fts-pdeath-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'child.pid');
  // A stand-in agent: a Node process whose runner starts a child that would run for 1000 s.
  const runnerUrl = new URL('../../../../rules/backend/runner.js', import.meta.url).href;
  const script = [
    `import { ExecaRunner } from ${JSON.stringify(runnerUrl)};`,
    `new ExecaRunner().run('sh', ['-c', 'echo $$ > ${pidFile}; exec sleep 1000']);`,
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const agent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  try {
    const childPid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0));
    assert.ok(running(childPid), 'the child runs while the agent does');
    assert.equal(ppidOf(childPid), agent.pid, 'the child is the agent’s own (setpriv exec’d into it)');
    process.kill(agent.pid!, 'SIGKILL');
    // No exit hook runs on SIGKILL: only the parent-death signal can end the child.
    await waitFor(() => (running(childPid) ? 0 : 1));
    assert.equal(running(childPid), false);
  } finally {
    agent.kill('SIGKILL');
  }
});

test('through setpriv, a missing binary is still ERR_COMMAND_NOT_FOUND', async () => {
  const r = new ExecaRunner();
  await assert.rejects(r.run('felix-ts-no-such-binary', []), (e: unknown) => {
    assert.ok(e instanceof DataplaneError);
    assert.equal(e.code, 'ERR_COMMAND_NOT_FOUND');
    return true;
  });
  const plain = new ExecaRunner({ parentDeathSignal: false });
  await assert.rejects(plain.run('felix-ts-no-such-binary', []), { code: 'ERR_COMMAND_NOT_FOUND' });
});

function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Polls `f` every 20 ms until it returns non-zero (at most 30 s; a hang fails the test). */
async function waitFor(f: () => number): Promise<number> {
  for (let i = 0; i < 1500; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met within 30 s');
}

test('a large input reaches the child while the main thread is busy (a file, not a pipe), and leaves no file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fts-stdin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'read');
  const input = 'add cali40s:x 10.0.0.1\n'.repeat(50_000); // 1.1 MB: far over a pipe's 64 KiB
  const r = new ExecaRunner();
  const done = r.run('sh', ['-c', `wc -c > ${marker}.tmp && mv ${marker}.tmp ${marker}`], input);
  // Block the event loop, as the table compile does, until the child has read everything (or 10 s).
  const until = Date.now() + 10_000;
  while (!existsSync(marker) && Date.now() < until);
  assert.ok(existsSync(marker), 'the child read all of its input while the event loop was blocked');
  assert.equal(Number(readFileSync(marker, 'utf8').trim()), Buffer.byteLength(input));
  assert.equal((await done).exitCode, 0);
  const left = readdirSync(tmpdir()).filter((f) => f.startsWith(`felix-ts-stdin-${process.pid}-`));
  assert.deepEqual(left, [], 'the temporary input file is unlinked at spawn');
});

test('a small input still goes through a pipe (libuv: a socket pair)', async () => {
  const r = new ExecaRunner();
  const out = await r.run('sh', ['-c', 'cat; readlink /proc/self/fd/0 >&2'], 'hello\n');
  assert.equal(out.stdout, 'hello\n');
  assert.match(out.stderr, /^(pipe|socket):/, 'a pipe or socket pair, as Node makes them, not a file');
});
