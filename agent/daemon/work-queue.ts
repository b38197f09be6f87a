// The main loop: one serial queue of jobs. Every datastore batch, config change and heartbeat runs
// here in order. A job that throws is logged and the loop carries on (never kills the process).
// A job that never finishes stalls the queue, so heartbeats stop and the liveness reporters time
// out: that is how "the main loop is stuck" becomes visible to kubelet (felix/daemon/daemon.go).
import type { Logger } from '../log/index.js';

/** The longest run of back-to-back jobs before the loop lets I/O in. */
export const YIELD_AFTER_MS = 20;

type Job = { readonly name: string; readonly run: () => void | Promise<void>; readonly done: () => void };

export class WorkQueue {
  private readonly jobs: Job[] = [];
  private running = false;
  private closed = false;
  /** Jobs finished (errors included). */
  processed = 0;
  errors = 0;
  /** Times the loop gave the event loop a turn between jobs. */
  yields = 0;

  /** `afterEach` runs after every job, once it is off the queue (flow control reads `depth`). */
  constructor(
    private readonly log: Logger,
    private readonly afterEach?: () => void,
  ) {}

  /** Queues a job; the promise resolves when it has run (or was dropped after close()). */
  push(name: string, run: () => void | Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.jobs.push({ name, run, done: resolve });
      if (!this.running) void this.drain();
    });
  }

  get depth(): number {
    return this.jobs.length;
  }

  /** Drops queued jobs; the running one finishes on its own. */
  close(): void {
    this.closed = true;
    for (const j of this.jobs.splice(0)) j.done();
  }

  private async drain(): Promise<void> {
    this.running = true;
    let slice = performance.now();
    try {
      for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
        // Jobs queued back to back would otherwise run in one macrotask (awaiting a settled promise
        // does not let I/O in): after YIELD_AFTER_MS of them, let probes and sockets be served.
        if (performance.now() - slice > YIELD_AFTER_MS) {
          await new Promise((r) => setImmediate(r));
          this.yields++;
          slice = performance.now();
        }
        try {
          await job.run();
        } catch (e) {
          this.errors++;
          this.log.error('Error in main loop job; continuing', {
            job: job.name,
            error: e instanceof Error ? e.message : String(e),
            stack: e instanceof Error ? e.stack?.split('\n').slice(1, 4).join(' | ') : undefined,
          });
        } finally {
          this.processed++;
          job.done();
          this.afterEach?.();
        }
      }
    } finally {
      this.running = false;
    }
  }
}
