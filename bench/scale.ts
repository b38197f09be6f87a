// bench/scale (issue 15): the real agent against a generated 100k-endpoint cluster, served by the
// project's Typha-protocol test server over mTLS, in a throw-away network namespace. One run
// reports, side by side for each backend: time to ready against a raw `ipset restore` +
// `iptables-restore` of the agent's own final rules replayed into a fresh namespace; peak RSS of
// the agent and its children; the latency of a policy change and of a local endpoint add against
// the kernel floor (a single-rule write to the same table, same namespace, same run); and the
// slowest /liveness answer while all of that ran (issue 17 item 5). See bench/scale.md.
//
//   node dist/bench/scale.js [--backend legacy|nft|both] [--weps N] [--local N] [--policies N]
//                            [--hosts N] [--namespaces N] [--netsets N] [--seed S]
//
// The outer process (root) makes the namespaces and replays the dumps; the inner one runs inside
// the agent's namespace (`--inner`), so the agent, the Typha server and the probes talk over that
// namespace's loopback and nothing touches the root namespace's iptables.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { execa } from 'execa';
import { generateSnapshot, LOCAL_HOST, SCALE_SHAPE, type ClusterShape } from './calc-fixture.js';
import { delNetns, median, netns, run } from './kernel.js';
import { changeText } from './change-floor.js';
import type { ProbeReport } from './scale-probe.js';
import { binariesFor, type IptablesBackend } from '../rules/backend/index.js';
import type { CpuBeforeRestore } from '../rules/driver/index.js';
import { makeDevPki, typhaClientEnv, writeDevPki } from '../tools/pki/index.js';
import { TyphaServer } from '../tools/typha-server/index.js';

const HEALTH_PORT = 9099;
const CHANGES = 3;

interface Args {
  readonly inner: boolean;
  readonly backends: readonly IptablesBackend[];
  readonly shape: ClusterShape;
  readonly dump: string;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string, def: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  const num = (name: string, def: number): number => {
    const v = Number(get(name, String(def)));
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number`);
    return v;
  };
  const b = get('backend', 'both');
  const local = num('local', SCALE_SHAPE.localWeps);
  return {
    inner: argv.includes('--inner'),
    backends: b === 'both' ? ['legacy', 'nft'] : [b as IptablesBackend],
    shape: {
      weps: num('weps', SCALE_SHAPE.weps - SCALE_SHAPE.localWeps) + local,
      localWeps: local,
      policies: num('policies', SCALE_SHAPE.policies),
      netsets: num('netsets', SCALE_SHAPE.netsets),
      namespaces: num('namespaces', SCALE_SHAPE.namespaces),
      hosts: num('hosts', SCALE_SHAPE.hosts!),
      seed: num('seed', SCALE_SHAPE.seed!),
    },
    dump: get('dump', ''),
  };
}

// ---- inner: inside the agent's namespace ----

/** One kept-alive connection for the polling, so the agent does not accept one per poll. */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: HEALTH_PORT, path, timeout: 10_000, agent: keepAlive },
      (res) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d.toString()));
        res.on('end', () => {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(s) as Record<string, unknown>;
          } catch {
            // plain text form
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: {} }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApplyDetail {
  applies?: number;
  /** The agent's own CPU from the batch to the apply's first restore (rules/driver/cpu-clock.ts). */
  lastApplyCpuBeforeRestore?: CpuBeforeRestore | null;
}

async function dataplaneDetail(): Promise<ApplyDetail | undefined> {
  const r = await getJson('/readiness?format=json');
  return (r.body.details as { dataplane?: ApplyDetail } | undefined)?.dataplane;
}

async function applies(): Promise<number> {
  return (await dataplaneDetail())?.applies ?? -1;
}

/** utime + stime of the agent process itself (ms), not its children. */
function cpuMs(pid: number, task?: number): number {
  const stat = readFileSync(`/proc/${pid}${task === undefined ? '' : `/task/${task}`}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

async function save(backend: IptablesBackend, family: 4 | 6): Promise<string> {
  return (await execa(binariesFor(backend, family).save, [])).stdout + '\n';
}

/** The agent's child processes: the main thread's, which is where libuv forks them. */
function childPids(pid: number): number[] {
  const c = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return c === '' ? [] : c.split(' ').map(Number);
}

/** BENCH_THREADS=1: CPU ms per agent thread name (summed over threads of one name). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      out.set(`${comm}/${t === String(pid) ? 'main' : t}`, cpuMs(pid, Number(t)));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** A change's latency, the agent's CPU (all threads) and its main thread's CPU over it. */
interface Timed {
  ms: number;
  agentCpuMs: number;
  mainCpuMs: number;
  /** As the agent reports it: CPU from taking the batch to the first restore, all threads / main. */
  beforeRestoreCpuMs: number;
  beforeRestoreMainCpuMs: number;
  /** The same to the first iptables restore (an IP set change is written before the tables). */
  beforeTableRestoreCpuMs: number;
  beforeTableRestoreMainCpuMs: number;
}

/**
 * Time from `change()` to the end of the first apply after which the kernel holds `want`
 * (checked after each apply, outside the timed part), and the agent's own CPU in that time.
 */
async function timeChange(
  pid: number,
  backend: IptablesBackend,
  change: () => void,
  want: (filter: string) => boolean,
): Promise<Timed> {
  let seen = await applies();
  const threads0 = process.env.BENCH_THREADS ? threadCpu(pid) : undefined;
  const cpu0 = cpuMs(pid);
  const main0 = cpuMs(pid, pid);
  // The agent is asked for its apply count only while none of its children (the restores) runs, once
  // one has been seen, and every 50 ms in case one was missed: polling it every 5 ms all along cost
  // the agent about 20 ms of CPU per change, which is not the agent's work. Children: every 2 ms.
  const standing = new Set(childPids(pid)); // the interface monitor
  let sawChild = false;
  let asked = 0;
  const t0 = performance.now();
  change();
  for (;;) {
    await sleep(2);
    const now = childPids(pid).filter((c) => !standing.has(c));
    if (now.length > 0) sawChild = true;
    if (now.length > 0 || (!sawChild && performance.now() - asked < 50)) continue;
    asked = performance.now();
    const d = await dataplaneDetail();
    const n = d?.applies ?? -1;
    if (n === seen) continue;
    const ms = performance.now() - t0;
    const before = d?.lastApplyCpuBeforeRestore;
    const agentCpuMs = cpuMs(pid) - cpu0;
    const mainCpuMs = cpuMs(pid, pid) - main0;
    seen = n;
    if (threads0) {
      const d = [...threadCpu(pid)].map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const);
      console.error(`thread CPU (ms): ${JSON.stringify(Object.fromEntries(d.filter(([, v]) => v > 0)))}`);
    }
    if (want(await save(backend, 4)))
      return {
        ms,
        agentCpuMs,
        mainCpuMs,
        beforeRestoreCpuMs: before?.allMs ?? NaN,
        beforeRestoreMainCpuMs: before?.mainMs ?? NaN,
        beforeTableRestoreCpuMs: before?.tables?.allMs ?? NaN,
        beforeTableRestoreMainCpuMs: before?.tables?.mainMs ?? NaN,
      };
    if (performance.now() - t0 > 120_000) throw new Error('change never reached the kernel');
  }
}

function localWep(n: number): { key: string; value: string; iface: string } {
  const iface = `caliscale${String(n).padStart(5, '0')}`;
  const key = `/calico/v1/host/${LOCAL_HOST}/workload/k8s/ns-0%2fscale-probe-${n}/endpoint/eth0`;
  const value = JSON.stringify({
    state: 'active',
    name: iface,
    mac: 'ee:ee:ee:ee:ee:ee',
    profile_ids: ['kns.ns-0', 'ksa.ns-0.default'],
    ipv4_nets: [`10.250.${n >> 8}.${n & 255}/32`],
    labels: { app: 'app-1', tier: 'db', version: 'v1', 'projectcalico.org/namespace': 'ns-0' },
  });
  return { key, value, iface };
}

async function inner(a: Args): Promise<void> {
  const backend = a.backends[0]!;
  const snapshot = generateSnapshot(a.shape);
  const bytes = snapshot.reduce((n, u) => n + u.key.length + (u.value?.length ?? 0), 0);
  const dir = mkdtempSync(join(tmpdir(), 'fts-scale-'));
  const dev = makeDevPki({ serverCN: 'typha-server', clientCN: 'typha-client' });
  const pki = writeDevPki(dev, dir);
  const server = new TyphaServer({
    host: '127.0.0.1',
    port: 0,
    tls: { ca: dev.ca.cert, cert: dev.server.cert, key: dev.server.key, clientCN: 'typha-client' },
  });
  server.putMany(snapshot.map((u) => [u.key, u.value!] as const));
  // Typha serves a snapshot from its binary snapshot cache; encoding it here is the bench's work.
  server.warmBinarySnapshot();
  const port = await server.start();
  const t0 = performance.now();
  const agent: ChildProcess = spawn(
    process.execPath,
    [
      // BENCH_NODE_ARGS: extra node flags for the agent, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      join(import.meta.dirname, '../bundle/felix-ts.js'),
      'run',
    ],
    {
      stdio: [
        'ignore',
        process.env.BENCH_AGENT_STDOUT ? openSync(process.env.BENCH_AGENT_STDOUT, 'w') : 'ignore',
        'inherit',
      ],
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        FELIX_TYPHAADDR: `127.0.0.1:${port}`,
        ...typhaClientEnv(pki, 'typha-server'),
        FELIX_FELIXHOSTNAME: LOCAL_HOST,
        FELIX_IPTABLESBACKEND: backend,
        FELIX_HEALTHENABLED: 'true',
        FELIX_HEALTHHOST: '127.0.0.1',
        FELIX_HEALTHPORT: String(HEALTH_PORT),
        FELIX_LOGSEVERITYSCREEN: 'warning',
        FELIX_LOGFILEPATH: 'none',
        // BENCH_CPU_PROFILE=<file>: a 10 s CPU profile of the agent over the policy changes (SIGUSR2).
        ...(process.env.BENCH_CPU_PROFILE
          ? { FELIX_DEBUGCPUPROFILEPATH: process.env.BENCH_CPU_PROFILE }
          : {}),
        // BENCH_HEAP_SNAPSHOT=<file>: a heap snapshot of the agent once it has settled (SIGUSR1).
        ...(process.env.BENCH_HEAP_SNAPSHOT
          ? { FELIX_DEBUGMEMORYPROFILEPATH: process.env.BENCH_HEAP_SNAPSHOT }
          : {}),
      },
    },
  );
  const pid = agent.pid!;
  const worker = new Worker(new URL('./scale-probe.js', import.meta.url), {
    workerData: { pid, healthPort: HEALTH_PORT },
  });
  try {
    while ((await getJson('/readiness')).status !== 200) {
      if (agent.exitCode !== null) throw new Error(`agent exited ${agent.exitCode}`);
      await sleep(20);
    }
    const readyMs = performance.now() - t0;
    // The agent's own clock, from its start (after module loading): Typha connected, first in-sync
    // taken off the queue, first apply done.
    const phases = (await getJson('/readiness?format=json')).body as {
      details?: { timeToTyphaMs?: number; timeToInSyncMs?: number; timeToFirstApplyMs?: number };
    };
    const agentPhasesMs = {
      typha: phases.details?.timeToTyphaMs ?? NaN,
      inSync: phases.details?.timeToInSyncMs ?? NaN,
      firstApply: phases.details?.timeToFirstApplyMs ?? NaN,
    };
    // Settle: no apply for 2 s, so the dump is the state the snapshot leads to.
    for (let last = -2, n = await applies(); n !== last; last = n, await sleep(2000), n = await applies());
    const dumps = { v4: await save(backend, 4), v6: await save(backend, 6), ipsets: '' };
    dumps.ipsets = (await execa('ipset', ['save'])).stdout + '\n';
    if (process.env.BENCH_HEAP_SNAPSHOT) {
      agent.kill('SIGUSR1'); // the agent writes it synchronously: it answers again once it is done
      await sleep(500);
      await getJson('/readiness');
    }
    for (const [k, v] of Object.entries(dumps)) writeFileSync(join(a.dump, `${k}.save`), v);

    // The kernel floor: one rule in a chain of our own in the filter table, as iptables-restore
    // --noflush writes it (the legacy backend rewrites the whole table blob for any change).
    const restore = binariesFor(backend, 4).restore;
    const floor: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await execa(restore, ['--noflush'], {
        input: `*filter\n:fts-floor - [0:0]\n-A fts-floor -j RETURN\nCOMMIT\n`,
      });
      floor.push(performance.now() - t);
      await execa(restore, ['--noflush'], { input: `*filter\n-F fts-floor\n-X fts-floor\nCOMMIT\n` });
    }
    // A policy that every local endpoint's ingress chain jumps to: added, then removed.
    const policy: Timed[] = [];
    if (process.env.BENCH_CPU_PROFILE) agent.kill('SIGUSR2');
    for (let k = 0; k < CHANGES; k++) {
      // The first add's before/after dumps give the change floor (change-floor.ts, in outer()).
      if (k === 0)
        for (const f of [4, 6] as const)
          writeFileSync(join(a.dump, `chg-before-v${f}.save`), await save(backend, f));
      const key = `/calico/v1/policy/GlobalNetworkPolicy//scale-probe-${k}`;
      const port = 59000 + k;
      const value = JSON.stringify({
        tier: 'default',
        order: 1,
        selector: 'all()',
        types: ['ingress'],
        inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [port] }],
      });
      policy.push(
        await timeChange(
          pid,
          backend,
          () => server.put(key, value),
          (f) => f.includes(String(port)),
        ),
      );
      if (k === 0)
        for (const f of [4, 6] as const)
          writeFileSync(join(a.dump, `chg-after-v${f}.save`), await save(backend, f));
      policy.push(
        await timeChange(
          pid,
          backend,
          () => server.delete(key),
          (f) => !f.includes(String(port)),
        ),
      );
    }
    const endpoint: Timed[] = [];
    for (let n = 0; n < CHANGES; n++) {
      const w = localWep(n);
      if (n === 0)
        for (const f of [4, 6] as const)
          writeFileSync(join(a.dump, `ep-before-v${f}.save`), await save(backend, f));
      endpoint.push(
        await timeChange(
          pid,
          backend,
          () => server.put(w.key, w.value),
          (f) => f.includes(`cali-tw-${w.iface}`),
        ),
      );
      if (n === 0)
        for (const f of [4, 6] as const)
          writeFileSync(join(a.dump, `ep-after-v${f}.save`), await save(backend, f));
    }
    if (process.env.BENCH_CPU_PROFILE) await sleep(11_000); // the profile is written after 10 s
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    const rssEnd = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    // The probes stop before the agent does, so its shutdown is not counted as unanswered.
    worker.postMessage('stop');
    const probe = await new Promise<ProbeReport>((r) => worker.once('message', r));
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    const med = (xs: Timed[]) => ({
      ms: Math.round(median(xs.map((x) => x.ms))),
      agentCpuMs: Math.round(median(xs.map((x) => x.agentCpuMs))),
      mainCpuMs: Math.round(median(xs.map((x) => x.mainCpuMs))),
      beforeRestoreCpuMs: Math.round(median(xs.map((x) => x.beforeRestoreCpuMs))),
      beforeRestoreMainCpuMs: Math.round(median(xs.map((x) => x.beforeRestoreMainCpuMs))),
      beforeTableRestoreCpuMs: Math.round(median(xs.map((x) => x.beforeTableRestoreCpuMs))),
      beforeTableRestoreMainCpuMs: Math.round(median(xs.map((x) => x.beforeTableRestoreMainCpuMs))),
    });
    console.log(
      JSON.stringify({
        backend,
        kvs: snapshot.length,
        snapshotMB: +(bytes / 1e6).toFixed(1),
        readyMs: Math.round(readyMs),
        agentPhasesMs,
        agentHwmMiB: hwm ? Math.round(Number(hwm[1]) / 1024) : null,
        agentRssEndMiB: rssEnd ? Math.round(Number(rssEnd[1]) / 1024) : null,
        ...probe,
        floorMs: Math.round(median(floor)),
        policyChange: med(policy),
        endpointAdd: med(endpoint),
        rules: dumps.v4.split('\n').filter((l) => l.startsWith('-A ')).length,
        ipsetMembers: dumps.ipsets.split('\n').filter((l) => l.startsWith('add ')).length,
      }),
    );
  } finally {
    agent.kill('SIGKILL');
    await worker.terminate();
    keepAlive.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- outer: namespaces, the inner run, the raw replay ----

/** The raw replay's total and its three steps, each the median of 3 fresh namespaces. */
interface RawTimes {
  total: number;
  ipsets: number;
  v4: number;
  v6: number;
}

async function replay(backend: IptablesBackend, dump: string): Promise<RawTimes> {
  const runs: RawTimes[] = [];
  for (let i = 0; i < 3; i++) {
    const ns = await netns('ftsscale', `${backend}-raw${i}`);
    try {
      const read = (k: string) => readFileSync(join(dump, `${k}.save`), 'utf8');
      const t = performance.now();
      await run(ns, 'ipset', ['restore'], read('ipsets'));
      const t1 = performance.now();
      await run(ns, binariesFor(backend, 4).restore, [], read('v4'));
      const t2 = performance.now();
      await run(ns, binariesFor(backend, 6).restore, [], read('v6'));
      const t3 = performance.now();
      runs.push({ total: t3 - t, ipsets: t1 - t, v4: t2 - t1, v6: t3 - t2 });
    } finally {
      await delNetns(ns);
    }
  }
  const m = (k: keyof RawTimes) => Math.round(median(runs.map((r) => r[k])));
  return { total: median(runs.map((r) => r.total)), ipsets: m('ipsets'), v4: m('v4'), v6: m('v6') };
}

/**
 * The kernel floor of the policy change itself: the first add's before state restored into a fresh
 * namespace, then the smallest restore input that makes the add (and, alternately, its removal),
 * both families one after the other as the agent writes them; median of 3 each way.
 */
async function changeFloor(backend: IptablesBackend, dump: string, which: 'chg' | 'ep'): Promise<number> {
  const read = (k: string) => readFileSync(join(dump, `${k}.save`), 'utf8');
  const ns = await netns('ftsscale', `${backend}-${which}`);
  try {
    await run(ns, 'ipset', ['restore'], read('ipsets'));
    const texts = { fwd: new Map<4 | 6, string>(), back: new Map<4 | 6, string>() };
    for (const f of [4, 6] as const) {
      await run(ns, binariesFor(backend, f).restore, [], read(`${which}-before-v${f}`));
      texts.fwd.set(f, changeText(read(`${which}-before-v${f}`), read(`${which}-after-v${f}`)));
      texts.back.set(f, changeText(read(`${which}-after-v${f}`), read(`${which}-before-v${f}`)));
    }
    // `ip netns exec` costs a few ms per call that the agent, already in its namespace, does not pay.
    const execs: number[] = [];
    for (let i = 0; i < 5; i++) execs.push(await run(ns, 'true', []));
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (const dir of [texts.fwd, texts.back]) {
        let ms = 0;
        for (const [f, text] of dir)
          if (text)
            ms += (await run(ns, binariesFor(backend, f).restore, ['--noflush'], text)) - median(execs);
        times.push(ms);
      }
    }
    return median(times);
  } finally {
    await delNetns(ns);
  }
}

async function outer(a: Args): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench/scale needs root (network namespaces)');
    process.exit(2);
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.error(`load average before: ${load}`);
  const rows: Record<string, unknown>[] = [];
  for (const backend of a.backends) {
    const ns = await netns('ftsscale', backend);
    const dump = mkdtempSync(join(tmpdir(), 'fts-scale-dump-'));
    try {
      await run(ns, 'ip', ['link', 'set', 'lo', 'up']);
      const argv = process.argv
        .slice(2)
        .filter((x, i, all) => x !== '--backend' && all[i - 1] !== '--backend');
      const r = await execa(
        'ip',
        [
          'netns',
          'exec',
          ns,
          process.execPath,
          process.argv[1]!,
          ...argv,
          '--inner',
          '--backend',
          backend,
          '--dump',
          dump,
        ],
        { stderr: 'inherit' },
      );
      const row = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      const raw = await replay(backend, dump);
      const rawMs = raw.total;
      const changeFloorMs = await changeFloor(backend, dump, 'chg');
      const epFloorMs = await changeFloor(backend, dump, 'ep');
      const readyMs = row.readyMs as number;
      const floorMs = row.floorMs as number;
      const pc = row.policyChange as { ms: number };
      const ep = row.endpointAdd as { ms: number };
      Object.assign(row, {
        rawRestoreMs: Math.round(rawMs),
        rawPartsMs: { ipsets: raw.ipsets, v4: raw.v4, v6: raw.v6 },
        readyRatio: +(readyMs / rawMs).toFixed(2),
        policyChangeRatio: +(pc.ms / floorMs).toFixed(2),
        changeFloorMs: Math.round(changeFloorMs),
        policyChangeToChangeFloor: +(pc.ms / changeFloorMs).toFixed(2),
        endpointAddRatio: +(ep.ms / floorMs).toFixed(2),
        endpointFloorMs: Math.round(epFloorMs),
        endpointAddToItsFloor: +(ep.ms / epFloorMs).toFixed(2),
      });
      rows.push(row);
      console.error(JSON.stringify(row));
    } finally {
      await delNetns(ns);
      // BENCH_KEEP_DUMP=1 keeps the saved rules (their path is printed) for replay experiments.
      if (process.env.BENCH_KEEP_DUMP) console.error(`dump kept in ${dump}`);
      else rmSync(dump, { recursive: true, force: true });
    }
  }
  console.error(
    `load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  console.log(JSON.stringify(rows, null, 2));
}

const args = parseArgs(process.argv.slice(2));
await (args.inner ? inner(args) : outer(args));
