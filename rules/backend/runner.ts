// The one place that starts processes for the dataplane: execa with an argv array (never a
// shell) and input on stdin. A prefix such as ['ip', 'netns', 'exec', ns] lets tests and the demo
// run every command inside a network namespace.
//
// Every child has a deadline proportional to its input (commandDeadlineMs) and runs in its own
// process group; at the deadline the whole group gets SIGTERM and, after a grace period, SIGKILL,
// and the run fails with ERR_COMMAND_TIMEOUT (the driver's normal failed-apply retry with
// back-off). Felix has no config parameter for this (felix/config/config_params.go), so the
// formula is documented in docs/operations.md. Live children are tracked so that health can count
// a running child against the dataplane's liveness timeout, and so that none outlives the agent:
// on a normal exit the live groups are killed, and against a kill -9 (no exit hook runs) each
// child is started through util-linux `setpriv --pdeathsig KILL`, so the kernel kills it when the
// agent dies (Node has no prctl(PR_SET_PDEATHSIG) of its own).
import { accessSync, closeSync, constants, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { DataplaneError } from './errors.js';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface CommandRunner {
  /** Runs `file args…`; resolves with the exit code instead of throwing on non-zero exit. */
  run(file: string, args: readonly string[], input?: string): Promise<CommandResult>;
}

export interface DeadlineParams {
  /** Every command gets at least this long (ms). */
  readonly baseMs: number;
  /** Plus this much per started KiB of stdin (ms). */
  readonly perKiBMs: number;
}

/** 30 s, plus 10 ms per KiB of input (about 10 s per MiB). */
export const DEFAULT_DEADLINE: DeadlineParams = { baseMs: 30_000, perKiBMs: 10 };

/** SIGTERM first; SIGKILL this long after if the group is still there. */
export const KILL_GRACE_MS = 2_000;

/** The deadline of one command: base + perKiB × ceil(input bytes / 1024). */
export function commandDeadlineMs(inputBytes: number, p: DeadlineParams = DEFAULT_DEADLINE): number {
  return p.baseMs + Math.ceil(Math.max(0, inputBytes) / 1024) * p.perKiBMs;
}

export interface ExecaRunnerOptions {
  /** Prepended to every command, e.g. ['ip', 'netns', 'exec', 'ns1']. */
  readonly prefix?: readonly string[];
  /** Extra environment, e.g. XTABLES_LOCKFILE for tests that hold a private xtables lock. */
  readonly env?: Readonly<Record<string, string>>;
  /** Deadline formula; `{ baseMs: 0, perKiBMs: 0 }` disables the deadline. */
  readonly deadline?: DeadlineParams;
  readonly killGraceMs?: number;
  /** Start children through `setpriv --pdeathsig KILL` when setpriv is on PATH (default true). */
  readonly parentDeathSignal?: boolean;
}

let setprivPath: string | null | undefined;

/** setpriv's path on PATH, looked up once (null: not installed). */
export function setprivOnPath(): string | null {
  if (setprivPath === undefined) {
    setprivPath = null;
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir === '') continue;
      try {
        accessSync(join(dir, 'setpriv'), constants.X_OK);
        setprivPath = join(dir, 'setpriv');
        break;
      } catch {
        // not in this directory
      }
    }
  }
  return setprivPath;
}

/** setpriv's own report that it could not exec the command (util-linux exits 127 for ENOENT). */
function setprivNotFound(r: { exitCode?: number; stderr?: unknown }): boolean {
  return (
    r.exitCode === 127 && /^setpriv: failed to execute .*No such file or directory/m.test(String(r.stderr))
  );
}

let execObserver: ((micros: number) => void) | undefined;

/**
 * Receives the fork/exec time of every child in microseconds (the agent's felix_exec_time_micros, as
 * Felix observes it around cmd.Start() in felix/ipsets/ipsets.go). Node's spawn is synchronous, so
 * the time across execa() is the fork/exec. One observer per process; undefined removes it.
 */
export function setExecObserver(f: ((micros: number) => void) | undefined): void {
  execObserver = f;
}

/**
 * Inputs longer than a pipe's buffer go to the child as an unlinked temporary file rather than
 * through a pipe. A pipe is fed by the event loop, so a child writing IP sets would stop after the
 * first 64 KiB for as long as the main thread is busy (the table compile that runs meanwhile at
 * start-up, rules/driver/early-ipsets.ts); a file needs nobody. When no file can be written (a
 * read-only /tmp), the pipe it is.
 */
export const FILE_INPUT_CHARS = 64 * 1024;
let stdinSeq = 0;

function stdinFile(text: string): number | undefined {
  const path = join(tmpdir(), `felix-ts-stdin-${process.pid}-${stdinSeq++}`);
  try {
    writeFileSync(path, text, { mode: 0o600 });
    const fd = openSync(path, 'r');
    unlinkSync(path);
    return fd;
  } catch {
    try {
      unlinkSync(path);
    } catch {
      // never written
    }
    return undefined;
  }
}

/** Process-group ids of the children running now, with their start times (ms since epoch). */
const live = new Map<number, number>();
let exitHookInstalled = false;

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllChildren);
}

/** SIGKILLs every running child's process group (on agent exit; safe to call any time). */
export function killAllChildren(): void {
  for (const pgid of live.keys()) killGroup(pgid, 'SIGKILL');
  live.clear();
}

/** Start time of the oldest child still running, or undefined when none is. */
export function oldestChildStartMs(): number | undefined {
  let oldest: number | undefined;
  for (const t of live.values()) if (oldest === undefined || t < oldest) oldest = t;
  return oldest;
}

/** Process-group ids of the children running now (for tests and diagnostics). */
export function liveChildGroups(): number[] {
  return [...live.keys()];
}

export class ExecaRunner implements CommandRunner {
  private readonly prefix: readonly string[];
  private readonly env: Readonly<Record<string, string>> | undefined;
  private readonly deadline: DeadlineParams;
  private readonly graceMs: number;
  private readonly pdeath: readonly string[];

  constructor(opts: ExecaRunnerOptions = {}) {
    this.prefix = opts.prefix ?? [];
    const setpriv = opts.parentDeathSignal === false ? null : setprivOnPath();
    this.pdeath = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [];
    this.env = opts.env;
    this.deadline = opts.deadline ?? DEFAULT_DEADLINE;
    this.graceMs = opts.killGraceMs ?? KILL_GRACE_MS;
  }

  async run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const argv = [...this.prefix, file, ...args];
    const [cmd, ...rest] = [...this.pdeath, ...argv] as [string, ...string[]];
    const stdin = input ?? '';
    const limitMs = commandDeadlineMs(Buffer.byteLength(stdin), this.deadline);
    installExitHook();
    let timedOut = false;
    let term: NodeJS.Timeout | undefined;
    let kill: NodeJS.Timeout | undefined;
    let pgid: number | undefined;
    try {
      const t0 = performance.now();
      const fd = stdin.length > FILE_INPUT_CHARS ? stdinFile(stdin) : undefined;
      const common = {
        reject: false,
        stripFinalNewline: false,
        env: this.env ? { ...this.env } : undefined,
        detached: true,
        maxBuffer: 1024 * 1024 * 1024,
      } as const;
      // An integer stdin is handed to spawn() as the child's fd 0 (execa's "no stream" options); its
      // types list only 3-9 there.
      let child;
      try {
        child =
          fd === undefined
            ? execa(cmd, rest, { ...common, input: stdin })
            : execa(cmd, rest, { ...common, stdin: fd as unknown as 'inherit' });
      } finally {
        if (fd !== undefined) closeSync(fd); // the child has its own copy (or was never started)
      }
      execObserver?.((performance.now() - t0) * 1000);
      pgid = child.pid;
      if (pgid !== undefined) {
        live.set(pgid, Date.now());
        const g = pgid;
        if (limitMs > 0) {
          term = setTimeout(() => {
            timedOut = true;
            killGroup(g, 'SIGTERM');
            kill = setTimeout(() => killGroup(g, 'SIGKILL'), this.graceMs);
          }, limitMs);
        }
      }
      const r = await child;
      if (timedOut) {
        throw new DataplaneError(
          'ERR_COMMAND_TIMEOUT',
          `${argv.join(' ')}: no exit within its deadline of ${limitMs} ms; process group killed`,
          { input },
        );
      }
      if (this.pdeath.length > 0 && setprivNotFound(r)) {
        throw new DataplaneError('ERR_COMMAND_NOT_FOUND', `${argv.join(' ')}: command not found`, { input });
      }
      if (r.failed && r.exitCode === undefined) {
        // Spawn failure (ENOENT) or a signal: no exit code to report.
        const code = /ENOENT/.test(r.message ?? '') ? 'ERR_COMMAND_NOT_FOUND' : 'ERR_COMMAND_FAILED';
        throw new DataplaneError(code, `${argv.join(' ')}: ${r.shortMessage ?? 'failed'}`, { input });
      }
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 0 };
    } catch (err) {
      if (err instanceof DataplaneError) throw err;
      throw new DataplaneError('ERR_COMMAND_FAILED', `${argv.join(' ')}: ${String(err)}`, {
        input,
        cause: err,
      });
    } finally {
      if (term) clearTimeout(term);
      if (pgid !== undefined) {
        // The leader has exited; anything it left in its group goes with it.
        killGroup(pgid, 'SIGKILL');
        live.delete(pgid);
      }
      if (kill) clearTimeout(kill);
    }
  }
}

/** Prefix that runs every command in a named network namespace. */
export function netnsPrefix(ns: string): readonly string[] {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) {
    throw new DataplaneError('ERR_BAD_DESIRED_STATE', `invalid network namespace name ${JSON.stringify(ns)}`);
  }
  return ['ip', 'netns', 'exec', ns];
}
