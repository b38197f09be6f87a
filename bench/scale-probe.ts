// Samplers for bench/scale, run in a worker thread so that the bench's own work (the test Typha
// server encoding a 50 MB snapshot) does not delay them: every 50 ms the RSS of the agent and all
// its descendants, every 100 ms the latency of GET /liveness (what kubelet's probe sees).
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface ProbeReport {
  /** Peak of the summed RSS of the agent and its children (MiB), and of the agent alone. */
  readonly peakTreeRssMiB: number;
  readonly peakAgentRssMiB: number;
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

function treeRssKiB(pid: number): number {
  let sum = 0;
  const todo = [pid];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    sum += rssKiB(p);
    todo.push(...children(p));
  }
  return sum;
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
  const rss = setInterval(() => {
    peakTree = Math.max(peakTree, treeRssKiB(pid));
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
