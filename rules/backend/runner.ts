// The one place that starts processes for the dataplane: execa with an argv array (never a
// shell) and input on stdin. A prefix such as ['ip', 'netns', 'exec', ns] lets tests and the demo
// run every command inside a network namespace.
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

export interface ExecaRunnerOptions {
  /** Prepended to every command, e.g. ['ip', 'netns', 'exec', 'ns1']. */
  readonly prefix?: readonly string[];
  /** Extra environment, e.g. XTABLES_LOCKFILE for tests that hold a private xtables lock. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill a command that runs longer than this (ms); 0 disables. */
  readonly timeoutMs?: number;
}

export class ExecaRunner implements CommandRunner {
  private readonly prefix: readonly string[];
  private readonly env: Readonly<Record<string, string>> | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ExecaRunnerOptions = {}) {
    this.prefix = opts.prefix ?? [];
    this.env = opts.env;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  async run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const argv = [...this.prefix, file, ...args];
    const [cmd, ...rest] = argv as [string, ...string[]];
    try {
      const r = await execa(cmd, rest, {
        input: input ?? '',
        reject: false,
        stripFinalNewline: false,
        env: this.env ? { ...this.env } : undefined,
        timeout: this.timeoutMs > 0 ? this.timeoutMs : undefined,
        maxBuffer: 1024 * 1024 * 1024,
      });
      if (r.failed && r.exitCode === undefined) {
        // Spawn failure (ENOENT) or timeout: no exit code to report.
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
