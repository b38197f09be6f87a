// The long fuzz run (issue 17 item 8), outside CI's time budget: mutated Go-produced streams through
// the gob, snappy and syncproto decoders and mutated KVs through the agent's key/value parsers
// (test/fuzz/core.ts; CI runs a bounded slice of it in test/protocol/fuzz.test.ts). Reports crashes
// (any exception that is not one of our coded errors), hangs (an input taking over 1 s; a worker
// making no progress for 10 s is reported with its input and stopped) and memory growth.
// Usage: npx tsc -p tsconfig.json &&
//   node --expose-gc dist/bench/fuzz.js [--count 10000000] [--minutes M] [--workers W] [--seed S]
// Exits 1 if anything was found. See bench/fuzz.md.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Crash, Fuzzer, TARGETS, fuzzOne, loadSeeds } from '../test/fuzz/core.js';

const HANG_MS = 1000;
const STALL_MS = 10_000;
const REPORT_EVERY = 5000;
const INPUT_SLOT = 1 << 20;

interface Job {
  readonly count: number;
  readonly seed: number;
  readonly deadline: number;
  /** [0] = inputs done, [1] = length of the current input in `input`. */
  readonly progress: SharedArrayBuffer;
  readonly input: SharedArrayBuffer;
}

interface Finding {
  readonly kind: 'crash' | 'hang';
  readonly target: string;
  readonly ms?: number;
  readonly message: string;
  readonly inputHex: string;
}

interface Report {
  readonly done: number;
  readonly perTarget: Record<string, number>;
  readonly codes: Record<string, number>;
  readonly findings: Finding[];
  readonly slowestMs: number;
  readonly heapStart: number;
  readonly heapNow: number;
  readonly rssPeak: number;
  readonly final: boolean;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function work(job: Job): void {
  const seeds = loadSeeds();
  const f = new Fuzzer(job.seed);
  const progress = new Int32Array(job.progress);
  const slot = new Uint8Array(job.input);
  const perTarget: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const findings: Finding[] = [];
  let slowestMs = 0;
  let heapStart = 0;
  let rssPeak = 0;
  const report = (done: number, final: boolean): void => {
    if (done === 10_000 || (heapStart === 0 && final)) {
      gc();
      heapStart = process.memoryUsage().heapUsed; // after warm-up: compiled code and caches exist
    }
    if (final) gc();
    const mem = process.memoryUsage();
    rssPeak = Math.max(rssPeak, mem.rss);
    const r: Report = {
      done,
      perTarget,
      codes,
      findings: findings.splice(0),
      slowestMs,
      heapStart,
      heapNow: mem.heapUsed,
      rssPeak,
      final,
    };
    parentPort!.postMessage(r);
  };
  let done = 0;
  for (; done < job.count && Date.now() < job.deadline; done++) {
    const target = TARGETS[done % TARGETS.length]!;
    const t0 = performance.now();
    try {
      // Each input goes to the shared slot before it runs, so the parent can report one that
      // never returns; a Crash carries its input itself.
      const out = fuzzOne(f, seeds, target, (input) => {
        const n = Math.min(input.length, INPUT_SLOT);
        slot.set(input.subarray(0, n));
        Atomics.store(progress, 1, n);
      });
      const k = `${target} ${out.code ?? (out.messages > 0 ? 'ok' : 'empty')}`;
      codes[k] = (codes[k] ?? 0) + 1;
    } catch (e) {
      const c = e instanceof Crash ? e : new Crash(target, new Uint8Array(0), e);
      findings.push({
        kind: 'crash',
        target,
        message: String(c.cause instanceof Error ? (c.cause.stack ?? c.cause) : c.cause).slice(0, 2000),
        inputHex: Buffer.from(c.input).toString('hex').slice(0, 8192),
      });
    }
    const ms = performance.now() - t0;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > HANG_MS) {
      const n = Atomics.load(progress, 1);
      findings.push({
        kind: 'hang',
        target,
        ms,
        message: `input took ${ms.toFixed(0)} ms`,
        inputHex: Buffer.from(slot.subarray(0, n)).toString('hex').slice(0, 8192),
      });
    }
    perTarget[target] = (perTarget[target] ?? 0) + 1;
    Atomics.store(progress, 0, done + 1);
    if ((done + 1) % REPORT_EVERY === 0) report(done + 1, false);
  }
  report(done, true);
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const count = arg('--count', 10_000_000);
  const minutes = arg('--minutes', Infinity);
  const workers = arg('--workers', 1);
  const seed = arg('--seed', 0x5eed2026);
  const deadline = Number.isFinite(minutes) ? Date.now() + minutes * 60_000 : Number.MAX_SAFE_INTEGER;
  const started = Date.now();
  const findings: Finding[] = [];
  const latest = new Map<number, Report>();
  const gcOn = typeof (globalThis as { gc?: unknown }).gc === 'function';
  console.log(
    `fuzz: ${count} inputs over ${workers} worker(s), targets ${TARGETS.join(', ')}, seed ${seed}, ` +
      `${Number.isFinite(minutes) ? `stop after ${minutes} min` : 'no time limit'}, gc ${gcOn ? 'exposed' : 'not exposed (heap figures are noisier)'}`,
  );
  const summary = (): string => {
    let done = 0;
    for (const r of latest.values()) done += r.done;
    const s = (Date.now() - started) / 1000;
    return `${done} inputs in ${s.toFixed(0)} s (${Math.round(done / s)}/s), ${findings.length} findings`;
  };
  const ticker = setInterval(() => console.log(`  ${new Date().toISOString()} ${summary()}`), 60_000);
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: Job = {
        count: Math.ceil(count / workers),
        seed: seed + w * 7919,
        deadline,
        progress: new SharedArrayBuffer(8),
        input: new SharedArrayBuffer(INPUT_SLOT),
      };
      return new Promise<void>((resolve) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: job });
        const progress = new Int32Array(job.progress);
        let last = -1;
        let lastChange = Date.now();
        const watchdog = setInterval(() => {
          const d = Atomics.load(progress, 0);
          if (d !== last) {
            last = d;
            lastChange = Date.now();
          } else if (Date.now() - lastChange > STALL_MS) {
            const n = Atomics.load(progress, 1);
            findings.push({
              kind: 'hang',
              target: TARGETS[d % TARGETS.length]!,
              message: `worker ${w} made no progress for ${STALL_MS} ms at input ${d}; stopped`,
              inputHex: Buffer.from(new Uint8Array(job.input, 0, n))
                .toString('hex')
                .slice(0, 8192),
            });
            void worker.terminate();
          }
        }, 1000);
        worker.on('message', (r: Report) => {
          latest.set(w, r);
          findings.push(...r.findings);
        });
        worker.on('error', (e) => {
          findings.push({ kind: 'crash', target: 'worker', message: String(e.stack ?? e), inputHex: '' });
        });
        worker.on('exit', () => {
          clearInterval(watchdog);
          resolve();
        });
      });
    }),
  );
  clearInterval(ticker);
  const codes: Record<string, number> = {};
  const perTarget: Record<string, number> = {};
  let slowest = 0;
  for (const r of latest.values()) {
    for (const [k, v] of Object.entries(r.codes)) codes[k] = (codes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.perTarget)) perTarget[k] = (perTarget[k] ?? 0) + v;
    slowest = Math.max(slowest, r.slowestMs);
  }
  console.log(`done: ${summary()}`);
  console.log(`per target: ${JSON.stringify(perTarget)}`);
  console.log(`slowest input: ${slowest.toFixed(1)} ms (hang threshold ${HANG_MS} ms)`);
  for (const [w, r] of latest) {
    const mb = (b: number): string => (b / 1048576).toFixed(1);
    console.log(
      `worker ${w}: heap after warm-up ${mb(r.heapStart)} MB, at end ${mb(r.heapNow)} MB, peak RSS ${mb(r.rssPeak)} MB`,
    );
  }
  console.log('outcomes (target, code or ok/empty):');
  for (const [k, v] of Object.entries(codes).sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(v).padStart(10)}  ${k}`);
  for (const f of findings.slice(0, 20))
    console.log(`FINDING ${f.kind} ${f.target}: ${f.message}\n  input ${f.inputHex}`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

if (isMainThread) void main();
else work(workerData as Job);
