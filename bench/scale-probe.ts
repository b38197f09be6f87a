// Samplers for bench/scale, run in a worker thread so that the bench's own work (the test Typha
// server encoding a 50 MB snapshot) does not delay them: every 50 ms the RSS of the agent and all
// its descendants, every 100 ms the latency of GET /liveness (what kubelet's probe sees).
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface ProbeReport {
  /**
   * Peak memory of the agent and its children (MiB): the agent's VmRSS plus each child's private
   * pages, sampled together; and of the agent alone.
   */
  readonly peakTreeRssMiB: number;
  readonly peakAgentRssMiB: number;
  /** Peak of the plain VmRSS sum of the tree, which counts pages a child shares with the agent twice. */
  readonly peakTreeRssSumMiB: number;
  /** Each process in the tree at the peak: name, VmRSS MiB (and private MiB for children). */
  readonly peakTreeParts: string;
  /** GET /liveness: answered, slowest answer (ms), answers slower than 1 s, no answer within 10 s. */
  readonly probes: number;
  readonly probeMaxMs: number;
  readonly probesOver1s: number;
  readonly probesUnanswered: number;
  /** The first few reasons a probe got no answer. */
  readonly unansweredWhy: readonly string[];
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c !== '') out.push(...c.split(' ').map(Number));
    }
  } catch {
    // gone meanwhile
  }
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * A child's own memory: its private pages (smaps_rollup Private_Clean + Private_Dirty). Pages it
 * shares are not its cost: a child that has forked but not yet exec'd shares all of the agent's
 * memory copy-on-write, and its VmRSS would count the agent's heap twice. VmRSS if unreadable.
 */
function privateKiB(pid: number): number {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    let kib = 0;
    for (const m of t.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB$/gm)) kib += Number(m[1]);
    return kib;
  } catch {
    return rssKiB(pid);
  }
}

/**
 * The memory of a process tree: the agent's VmRSS plus each descendant's private memory; also the
 * plain sum of VmRSS, and what each process held (name, RSS and private MiB).
 */
function treeKiB(pid: number): { own: number; naive: number; parts: string } {
  let own = rssKiB(pid);
  let naive = own;
  const parts = [`${comm(pid)} ${Math.round(own / 1024)}`];
  const todo = children(pid);
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    const r = rssKiB(p);
    const priv = privateKiB(p);
    own += priv;
    naive += r;
    parts.push(`${comm(p)} ${Math.round(r / 1024)}/${Math.round(priv / 1024)}`);
    todo.push(...children(p));
  }
  return { own, naive, parts: parts.join(', ') };
}

function probe(port: number): Promise<number | string> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/liveness', timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (e) => resolve(`${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`));
  });
}

function main(): void {
  const { pid, healthPort } = workerData as { pid: number; healthPort: number };
  let peakTree = 0;
  let peakAgent = 0;
  let probes = 0;
  let probeMax = 0;
  let over1s = 0;
  let unanswered = 0;
  const why: string[] = [];
  let started = false;
  let peakParts = '';
  let peakNaive = 0;
  const rss = setInterval(() => {
    const t = treeKiB(pid);
    peakNaive = Math.max(peakNaive, t.naive);
    if (t.own > peakTree) {
      peakTree = t.own;
      peakParts = t.parts;
    }
    peakAgent = Math.max(peakAgent, rssKiB(pid));
  }, 50);
  let stop = false;
  const loop = async (): Promise<void> => {
    while (!stop) {
      const t = await probe(healthPort);
      // Before the health server listens, a refused probe is not a stall.
      if (typeof t === 'number') {
        started = true;
        probes++;
        probeMax = Math.max(probeMax, t);
        if (t > 1000) over1s++;
      } else if (started) {
        unanswered++;
        if (why.length < 3) why.push(t);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const done = loop();
  parentPort!.on('message', (m: string) => {
    if (m !== 'stop') return;
    stop = true;
    clearInterval(rss);
    void done.then(() => {
      const r: ProbeReport = {
        peakTreeRssMiB: Math.round(peakTree / 1024),
        peakAgentRssMiB: Math.round(peakAgent / 1024),
        peakTreeRssSumMiB: Math.round(peakNaive / 1024),
        peakTreeParts: peakParts,
        probes,
        probeMaxMs: Math.round(probeMax),
        probesOver1s: over1s,
        probesUnanswered: unanswered,
        unansweredWhy: why,
      };
      parentPort!.postMessage(r);
    });
  });
}

if (parentPort) main();
