// Child processes of the e2e suite: a JSON-lines process wrapper (used for the netns workers and
// the Typha server CLI) and a registry that kills every child we started when the test process
// exits, even after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL whatever is still running.
  process.on('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

/** Spawns argv, tracked for exit-time cleanup. */
export function spawnTracked(
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {},
): ChildProcess {
  installExitHook();
  const [file, ...args] = argv;
  const child = spawn(file!, args, {
    env: opts.env ?? process.env,
    stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  child.on('error', () => live.delete(child));
  return child;
}

/** Resolves when the child has exited (immediately if it already has). */
export function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGKILLs the child (by its own pid only) and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await waitExit(child);
}

export type JsonObject = Record<string, unknown>;

/**
 * A child that prints JSON objects one per line on stdout. Lines are queued; `next(pred)` waits
 * for the first queued-or-future line that matches. Non-JSON lines and stderr are kept as log.
 */
export class JsonLineProcess {
  readonly child: ChildProcess;
  readonly log: string[] = [];
  /** Every JSON line ever received, consumed or not. */
  readonly history: JsonObject[] = [];
  private readonly lines: JsonObject[] = [];
  private readonly waiters: {
    pred: (o: JsonObject) => boolean;
    resolve: (o: JsonObject) => void;
    fail: (why: string) => void;
  }[] = [];
  private exited = false;

  constructor(
    argv: readonly string[],
    readonly name: string,
    opts: { env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawnTracked(argv, opts);
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => this.log.push(line));
    this.child.stdin!.on('error', () => undefined);
    this.child.on('exit', (code, sig) => {
      this.exited = true;
      this.log.push(`[${name} exited code=${code} signal=${sig}]`);
      // One exit listener for all pending waiters (not one per call: many calls are in flight).
      for (const w of [...this.waiters]) w.fail('process exited');
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  private onLine(line: string): void {
    let obj: JsonObject;
    try {
      obj = JSON.parse(line) as JsonObject;
    } catch {
      this.log.push(line);
      return;
    }
    if (typeof obj !== 'object' || obj === null) {
      this.log.push(line);
      return;
    }
    this.history.push(obj);
    const i = this.waiters.findIndex((w) => w.pred(obj));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w!.resolve(obj);
    } else {
      this.lines.push(obj);
    }
  }

  /** Every JSON line received so far that nobody consumed (for event counting). */
  seen(pred: (o: JsonObject) => boolean): JsonObject[] {
    return this.lines.filter(pred);
  }

  /** Waits for a matching line (consuming it), failing after timeoutMs or when the child exits. */
  next(pred: (o: JsonObject) => boolean, timeoutMs: number, what = 'a matching line'): Promise<JsonObject> {
    const i = this.lines.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.lines.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        const k = this.waiters.indexOf(waiter);
        if (k >= 0) this.waiters.splice(k, 1);
        clearTimeout(timer);
        reject(
          new Error(
            `${this.name}: ${why} while waiting for ${what}; log tail:\n${this.log.slice(-20).join('\n')}`,
          ),
        );
      };
      const waiter = {
        pred,
        resolve: (o: JsonObject) => {
          clearTimeout(timer);
          resolve(o);
        },
        fail,
      };
      const timer = setTimeout(() => fail(`timeout ${timeoutMs} ms`), timeoutMs);
      if (this.exited) fail('process exited');
      else this.waiters.push(waiter);
    });
  }

  send(obj: JsonObject): void {
    this.child.stdin!.write(JSON.stringify(obj) + '\n');
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await killHard(this.child);
  }
}
