// Small wrappers around child_process for the e2e suite: run a command (optionally inside a
// network namespace) and collect its output. Arguments are always passed as an argv array,
// never through a shell.
import { execFile, execFileSync } from 'node:child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  readonly code = 'ERR_E2E_COMMAND';
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`command failed (rc ${result.code}): ${argv.join(' ')}\n${result.stderr.trim()}`);
  }
}

/** Runs argv and resolves with its result; never rejects on a non-zero exit code. */
export function run(
  argv: readonly string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const child = execFile(
      file!,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        let code = 0;
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: number | string };
          code = typeof e.code === 'number' ? e.code : (child.exitCode ?? 1);
          if (code === 0) code = 1;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs argv and rejects with CommandError on a non-zero exit code. */
export async function must(
  argv: readonly string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<string> {
  const res = await run(argv, opts);
  if (res.code !== 0) throw new CommandError(argv, res);
  return res.stdout;
}

/** argv prefix that runs a command inside network namespace `ns`. */
export function inNs(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** Synchronous best-effort run, for exit-time cleanup (errors ignored). */
export function runSyncQuiet(argv: readonly string[]): void {
  try {
    const [file, ...args] = argv;
    execFileSync(file!, args, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // best effort: the resource may already be gone
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
