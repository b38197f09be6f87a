// One (table, family) writer: reads the kernel with *-save, plans the minimal delta and applies it
// with ONE `iptables-restore --noflush --wait <s>` transaction (§7). It trusts its belief of the
// kernel after a successful write (§10.2: a TS agent may skip the re-read) and re-reads on start-up,
// after any failure and whenever the owner calls invalidate() (periodic refresh, §7.4).
import type { IpFamily, TableName, TableState } from '../model.js';
import type { CommandRunner } from '../backend/runner.js';
import type { DataplaneCounters } from '../backend/counters.js';
import { binariesFor, type IptablesBackend } from '../backend/detect.js';
import { DataplaneError } from '../backend/errors.js';
import { EMPTY_SNAPSHOT, parseSave, type TableSnapshot } from './snapshot.js';
import { planTable } from './plan.js';

export interface TableWriterOptions {
  readonly table: TableName;
  readonly family: IpFamily;
  readonly backend: IptablesBackend;
  readonly runner: CommandRunner;
  readonly counters: DataplaneCounters;
  /** `--wait` seconds for the xtables lock (legacy); Felix uses 10 (§7.3). */
  readonly lockWaitSecs?: number;
  /** Attempts per apply, each after a fresh read (Felix: 10, §7.4). */
  readonly maxAttempts?: number;
  /** First retry delay in ms, doubled per attempt (Felix: 1 ms). */
  readonly retryBaseMs?: number;
  /** Compute and record the restore input without running restore (non-root demo). */
  readonly dryRun?: boolean;
  readonly onRetry?: (err: DataplaneError, attempt: number) => void;
}

export interface TableApplyResult {
  /** The restore input written ('' when nothing needed writing). */
  readonly restoreInput: string;
  readonly changedChains: readonly string[];
  readonly restoreCalls: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TableWriter {
  readonly table: TableName;
  readonly family: IpFamily;
  private readonly opts: TableWriterOptions;
  private belief: TableSnapshot | undefined;
  private lastInput = '';

  constructor(opts: TableWriterOptions) {
    this.opts = opts;
    this.table = opts.table;
    this.family = opts.family;
  }

  /** Forget what we believe the kernel holds; the next apply starts with a read. */
  invalidate(): void {
    this.belief = undefined;
  }

  /** The last non-empty restore input this writer produced. */
  lastRestoreInput(): string {
    return this.lastInput;
  }

  /** Reads the table with `<backend>-save -t <table>`, retrying 3 times (100/200/400 ms, §7.2). */
  async read(): Promise<TableSnapshot> {
    const { save } = binariesFor(this.opts.backend, this.family);
    let last: DataplaneError | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
      this.opts.counters.iptablesSaveCalls++;
      try {
        const r = await this.opts.runner.run(save, ['-t', this.table]);
        if (r.exitCode !== 0) {
          throw new DataplaneError(
            'ERR_IPTABLES_SAVE',
            `${save} -t ${this.table} exited ${r.exitCode}: ${r.stderr.trim()}`,
            {
              exitCode: r.exitCode,
            },
          );
        }
        return parseSave(r.stdout, this.table);
      } catch (err) {
        this.opts.counters.iptablesSaveErrors++;
        last =
          err instanceof DataplaneError
            ? err
            : new DataplaneError('ERR_IPTABLES_SAVE', String(err), { cause: err });
        if (this.opts.dryRun) return EMPTY_SNAPSHOT; // non-root: plan against an empty table
      }
    }
    throw last!;
  }

  private async restore(text: string): Promise<void> {
    const { restore } = binariesFor(this.opts.backend, this.family);
    const wait = String(this.opts.lockWaitSecs ?? 10);
    this.opts.counters.iptablesRestoreCalls++;
    let r;
    try {
      r = await this.opts.runner.run(restore, ['--noflush', '--wait', wait], text);
    } catch (err) {
      this.opts.counters.iptablesRestoreErrors++;
      throw err;
    }
    if (r.exitCode === 0) return;
    this.opts.counters.iptablesRestoreErrors++;
    // Exit 4 is "Another app is currently holding the xtables lock" after --wait ran out (§7.3).
    const code = r.exitCode === 4 ? 'ERR_IPTABLES_LOCK_TIMEOUT' : 'ERR_IPTABLES_RESTORE';
    throw new DataplaneError(code, `${restore} (${this.table}) exited ${r.exitCode}: ${r.stderr.trim()}`, {
      input: text,
      exitCode: r.exitCode,
    });
  }

  /**
   * Brings the table to `desired`. A failed restore changes nothing (the transaction is atomic),
   * so each retry re-reads and re-plans from the kernel's real state (§7.4).
   */
  async apply(desired: TableState): Promise<TableApplyResult> {
    if (desired.table !== this.table || desired.family !== this.family) {
      throw new DataplaneError(
        'ERR_BAD_DESIRED_STATE',
        `state for ${desired.table}/v${desired.family} given to ${this.table}/v${this.family}`,
      );
    }
    const maxAttempts = this.opts.maxAttempts ?? 10;
    const base = this.opts.retryBaseMs ?? 1;
    let restoreCalls = 0;
    let last: DataplaneError | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) await sleep(base * 2 ** (attempt - 1));
      const current = this.belief ?? (await this.read());
      const plan = planTable(desired, current, this.opts.backend); // throws on unsafe input: not retried
      if (plan.text === '') {
        this.belief = current;
        return { restoreInput: '', changedChains: [], restoreCalls };
      }
      this.lastInput = plan.text;
      if (this.opts.dryRun) {
        this.belief = plan.after;
        return { restoreInput: plan.text, changedChains: plan.changedChains, restoreCalls };
      }
      try {
        restoreCalls++;
        await this.restore(plan.text);
        this.belief = plan.after;
        return { restoreInput: plan.text, changedChains: plan.changedChains, restoreCalls };
      } catch (err) {
        this.belief = undefined;
        last =
          err instanceof DataplaneError
            ? err
            : new DataplaneError('ERR_IPTABLES_RESTORE', String(err), { cause: err });
        // A hung restore is not retried inside this apply: the driver's back-off retries it.
        if (last.code === 'ERR_COMMAND_TIMEOUT') break;
        this.opts.onRetry?.(last, attempt + 1);
      }
    }
    throw last!;
  }
}
