// A hung iptables-restore (a wrapper first on PATH that never exits) in a scratch namespace
// (issue 17 item 4): its process group is killed at the deadline, liveness fails while it hangs
// past the dataplane reporter's timeout, the pending change lands in the first apply after the
// real binary is back, and no process is left behind. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataplaneDriver, StaticSource, DataplaneError } from '../../rules/index.js';
import { ExecaRunner, liveChildGroups, netnsPrefix, oldestChildStartMs } from '../../rules/backend/index.js';
import { HealthAggregator, HealthServer, REPORTER } from '../../agent/health/index.js';
import { Netns, isRoot, save } from './netns.js';
import { scenario } from './scenario.js';
import { pollUntil } from '../e2e/poll.js';

const skip = isRoot ? false : 'needs root (network namespaces)';

/** True while the process exists and is not a zombie (an orphan may wait for a slow reaper). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of every process whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids whose parent is this test process. */
function ourChildren(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test(
  'hung iptables-restore: group killed at the deadline, liveness fails, change lands after repair',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'felix-hung-'));
    const wrapper = join(dir, 'iptables-legacy-restore');
    const pids = join(dir, 'pids');
    // The wrapper leaves a grandchild (sleep) in its group; both must die at the deadline.
    writeFileSync(wrapper, `#!/bin/sh\nsleep 1000 &\necho $$ $! >> ${pids}\nwait\n`);
    chmodSync(wrapper, 0o755);
    const ns = await Netns.create('hung');
    const health = new HealthAggregator();
    health.register(REPORTER.dataplane, { live: true, ready: true }, 1_000);
    health.setBusySource(REPORTER.dataplane, oldestChildStartMs);
    const server = new HealthServer({ aggregator: health });
    await server.listen('127.0.0.1', 0);
    const live = async (): Promise<number> =>
      (await fetch(`http://127.0.0.1:${server.address()?.port}/liveness`)).status;
    // The daemon's heartbeat keeps reporting live; only the running child can make it time out.
    const heartbeat = setInterval(() => health.report(REPORTER.dataplane, { live: true, ready: true }), 100);
    const runner = new ExecaRunner({
      prefix: netnsPrefix(ns.name),
      env: { PATH: `${dir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
      deadline: { baseMs: 2_500, perKiBMs: 0 },
      killGraceMs: 300,
    });
    const d = scenario({ port: 9093 });
    const driver = new DataplaneDriver({
      source: new StaticSource(d),
      backend: 'legacy',
      runner,
      refreshIntervalMs: 0,
      errorRetryMs: 300,
    });
    const errors: DataplaneError[] = [];
    let applies = 0;
    driver.on('apply-error', ({ error }) => errors.push(error));
    driver.on('apply', () => applies++);
    try {
      await driver.start();
      const t0 = Date.now();
      driver.onMessages([{ kind: 'inSync' }]);
      await pollUntil(
        'the wrapper to start',
        async () => ({ ok: existsSync(pids), value: undefined, describe: 'no pid file' }),
        {
          timeoutMs: 10_000,
          intervalMs: 20,
        },
      );
      const [shPid, sleepPid] = readFileSync(pids, 'utf8').trim().split('\n')[0]!.split(' ').map(Number) as [
        number,
        number,
      ];
      assert.ok(running(sleepPid), 'the grandchild runs');
      // Past the 1 s reporter timeout while the child still hangs: liveness fails.
      await pollUntil(
        'liveness 503 while the restore hangs',
        async () => {
          const s = await live();
          return { ok: s === 503, value: undefined, describe: `liveness ${s}` };
        },
        { timeoutMs: 2_400, intervalMs: 50 },
      );
      assert.ok(errors.length === 0, 'still inside the first deadline');
      // At the deadline: a typed timeout, and the whole group gone.
      await pollUntil(
        'the timeout error',
        async () => ({ ok: errors.length > 0, value: undefined, describe: 'no error yet' }),
        {
          timeoutMs: 5_000,
          intervalMs: 20,
        },
      );
      const killedAfter = Date.now() - t0;
      assert.equal(errors[0]!.code, 'ERR_COMMAND_TIMEOUT');
      assert.ok(killedAfter >= 2_500 && killedAfter < 4_500, `killed after ${killedAfter} ms`);
      await pollUntil(
        'the group to be gone',
        async () => ({
          ok: !running(shPid) && !running(sleepPid),
          value: undefined,
          describe: `sh ${running(shPid)} sleep ${running(sleepPid)}`,
        }),
        { timeoutMs: 1_000, intervalMs: 10 },
      );
      assert.equal(applies, 0);
      // The real binary is back: the pending change lands in the next apply.
      rmSync(wrapper);
      const repaired = Date.now();
      await pollUntil(
        'the next apply',
        async () => ({ ok: applies > 0, value: undefined, describe: `errors ${errors.length}` }),
        {
          timeoutMs: 10_000,
          intervalMs: 20,
        },
      );
      assert.ok(Date.now() - repaired < 5_000, 'landed within the back-off window');
      const lines = await save(ns, 'legacy', 'filter');
      assert.ok(
        lines.some((l) => l.includes('--dports 9093')),
        'the pending rule is in the kernel',
      );
      assert.equal(await live(), 200, 'live again');
      assert.deepEqual(liveChildGroups(), []);
      assert.deepEqual(processesMentioning(dir), [], 'no wrapper process is left');
      assert.deepEqual(ourChildren(), [], 'no child of ours is left');
    } finally {
      clearInterval(heartbeat);
      await driver.stop();
      await server.close();
      await ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
