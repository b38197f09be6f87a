// One (table, family) writer: reads the kernel with *-save, plans the minimal delta and applies it
// with ONE `iptables-restore --noflush --wait <s>` transaction (Felix: felix/iptables/table.go). It
// trusts its belief of the kernel after a successful write and re-reads on start-up, after any
// failure and whenever the owner calls invalidate() (periodic refresh, IptablesRefreshInterval).
// A transaction the kernel keeps refusing is narrowed down to the refused chains (isolate.ts):
// they get a fail-closed placeholder, everything else is programmed, and the result names them.
import type { IpFamily, TableName, TableState } from '../model.js';
import type { CommandRunner } from '../backend/runner.js';
import type { DataplaneCounters } from '../backend/counters.js';
import { binariesFor, type IptablesBackend } from '../backend/detect.js';
import { DataplaneError } from '../backend/errors.js';
import { EMPTY_SNAPSHOT, parseSave, type TableSnapshot } from './snapshot.js';
import { planTable, type TablePlan } from './plan.js';
import {
  bounded,
  emptyQuarantine,
  isolateChain,
  keptInput,
  refusalReason,
  refusedLine,
  withQuarantine,
  type Quarantine,
} from './isolate.js';

export interface TableWriterOptions {
  readonly table: TableName;
  readonly family: IpFamily;
  readonly backend: IptablesBackend;
  readonly runner: CommandRunner;
  readonly counters: DataplaneCounters;
  /** `--wait` seconds for the xtables lock (legacy); Felix uses 10 (felix/iptables/table.go). */
  readonly lockWaitSecs?: number;
  /** Attempts per apply, each after a fresh read (Felix: 10, felix/iptables/table.go). */
  readonly maxAttempts?: number;
  /** First retry delay in ms, doubled per attempt (Felix: 1 ms). */
  readonly retryBaseMs?: number;
  /** Compute and record the restore input without running restore (non-root demo). */
  readonly dryRun?: boolean;
  readonly onRetry?: (err: DataplaneError, attempt: number) => void;
  /** Most restores spent isolating refused chains in one apply (default 64). */
  readonly isolationBudget?: number;
}

/** A chain the kernel refused, left out of the transaction (placeholder or left as it was). */
export interface RefusedChain {
  readonly chain: string;
  /** 'placeholder': holds only QUARANTINE_RULE; 'left': kept as the kernel had it. */
  readonly action: 'placeholder' | 'left';
  /** The tool's error, bounded. */
  readonly reason: string;
}

export interface TableApplyResult {
  /** The restore input written ('' when nothing needed writing). */
  readonly restoreInput: string;
  readonly changedChains: readonly string[];
  readonly restoreCalls: number;
  /** Chains refused by the kernel and isolated in this apply (empty when all went in). */
  readonly refused: readonly RefusedChain[];
}

/** A restore the tool refused (not the lock, not a failure to run it): isolation may help. */
function isRefusal(err: DataplaneError): boolean {
  return err.code === 'ERR_IPTABLES_RESTORE' && err.exitCode !== undefined;
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

  /** True when the next apply starts with a read of the kernel (no belief). */
  needsRead(): boolean {
    return this.belief === undefined;
  }

  /** Takes a snapshot another reader just made of this table (rules/iptables/prefetch.ts) as the belief. */
  adopt(snapshot: TableSnapshot): void {
    this.belief = snapshot;
  }

  /** The last non-empty restore input this writer produced. */
  lastRestoreInput(): string {
    return this.lastInput;
  }

  /** Reads the table with `<backend>-save -t <table>`, retrying 3 times (100/200/400 ms). */
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
    // Exit 4 is "Another app is currently holding the xtables lock" after --wait ran out.
    const code = r.exitCode === 4 ? 'ERR_IPTABLES_LOCK_TIMEOUT' : 'ERR_IPTABLES_RESTORE';
    throw new DataplaneError(
      code,
      `${restore} (${this.table}) exited ${r.exitCode}: ${bounded(r.stderr.trim())}`,
      { input: text, exitCode: r.exitCode, stderr: r.stderr },
    );
  }

  /**
   * Brings the table to `desired`. A failed restore changes nothing (the transaction is atomic),
   * so each retry re-reads and re-plans from the kernel's real state. A refusal that names a line
   * isolates that line's chain at once; one that does not is retried once and then bisected.
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
    const q = emptyQuarantine();
    const reasons = new Map<string, string>();
    const st = { restoreCalls: 0, isolating: 0 };
    let last: DataplaneError | undefined;
    let unmapped = 0;
    for (let attempt = 0; attempt < maxAttempts;) {
      const out = await this.tryOnce(withQuarantine(desired, q), q, st);
      if (!(out instanceof DataplaneError)) return this.result(out, q, reasons, st.restoreCalls);
      last = out;
      // A hung restore is not retried inside this apply: the driver's back-off retries it.
      if (out.code === 'ERR_COMMAND_TIMEOUT') break;
      const plan = this.lastPlan;
      const line = out.stderr === undefined ? undefined : refusedLine(out.stderr);
      const chain = line === undefined ? undefined : plan?.lineChains[line - 1];
      if (isRefusal(out) && chain !== undefined && st.isolating < this.budget()) {
        if (isolateChain(q, desired, chain)) {
          reasons.set(chain, refusalReason(out.stderr ?? out.message));
          st.isolating++;
          continue; // not a retry of the same input: no back-off, no attempt spent
        }
      }
      if (isRefusal(out) && chain === undefined && ++unmapped >= 2 && plan) {
        const found = await this.bisect(desired, q, plan.changedChains, st);
        if (found !== undefined) {
          reasons.set(found, refusalReason(out.stderr ?? out.message));
          unmapped = 0;
          continue;
        }
      }
      attempt++; // (not inside `onRetry?.(…)`: optional chaining would skip the increment)
      this.opts.onRetry?.(out, attempt);
      if (attempt < maxAttempts) await sleep(base * 2 ** (attempt - 1));
    }
    throw last!;
  }

  private lastPlan: TablePlan | undefined;

  private budget(): number {
    return this.opts.isolationBudget ?? 64;
  }

  private result(
    r: { restoreInput: string; changedChains: readonly string[] },
    q: Quarantine,
    reasons: ReadonlyMap<string, string>,
    restoreCalls: number,
  ): TableApplyResult {
    const refused: RefusedChain[] = [];
    for (const chain of q.placeholder)
      refused.push({ chain, action: 'placeholder', reason: reasons.get(chain) ?? '' });
    for (const chain of q.leave) refused.push({ chain, action: 'left', reason: reasons.get(chain) ?? '' });
    return { ...r, restoreCalls, refused };
  }

  /** One read-plan-restore; returns the error instead of throwing it (planning errors still throw). */
  private async tryOnce(
    desired: TableState,
    q: Quarantine,
    st: { restoreCalls: number },
  ): Promise<{ restoreInput: string; changedChains: readonly string[] } | DataplaneError> {
    let current: TableSnapshot;
    try {
      current = this.belief ?? (await this.read());
    } catch (err) {
      return err instanceof DataplaneError ? err : new DataplaneError('ERR_IPTABLES_SAVE', String(err));
    }
    const plan = planTable(desired, current, this.opts.backend, { leave: q.leave }); // unsafe input throws
    this.lastPlan = plan;
    if (plan.text === '') {
      this.belief = current;
      return { restoreInput: '', changedChains: [] };
    }
    this.lastInput = keptInput(plan.text);
    if (!this.opts.dryRun) {
      try {
        st.restoreCalls++;
        await this.restore(plan.text);
      } catch (err) {
        this.belief = undefined;
        return err instanceof DataplaneError
          ? err
          : new DataplaneError('ERR_IPTABLES_RESTORE', String(err), { cause: err });
      }
    }
    this.belief = plan.after;
    return { restoreInput: plan.text, changedChains: plan.changedChains };
  }

  /**
   * Finds one refused chain among `candidates` when the tool named no usable line: the smallest
   * prefix that, written with every later candidate quarantined, is refused ends with the
   * offender. log2(n) restores per offender, all within the isolation budget. Successful probes
   * program the kernel (with the rest quarantined), so progress is kept either way.
   */
  private async bisect(
    desired: TableState,
    q: Quarantine,
    candidates: readonly string[],
    st: { restoreCalls: number; isolating: number },
  ): Promise<string | undefined> {
    const cands = candidates.filter((c) => !q.placeholder.has(c) && !q.leave.has(c));
    if (cands.length === 0) return undefined;
    const probe = async (k: number): Promise<boolean> => {
      const trial: Quarantine = { placeholder: new Set(q.placeholder), leave: new Set(q.leave) };
      for (const c of cands.slice(k)) isolateChain(trial, desired, c);
      st.isolating++;
      const r = await this.tryOnce(withQuarantine(desired, trial), trial, st);
      return !(r instanceof DataplaneError);
    };
    if (st.isolating >= this.budget() || !(await probe(0))) return undefined; // not the chains' fault
    let lo = 0;
    let hi = cands.length; // probe(hi) is known to fail: it is the full state
    while (hi - lo > 1) {
      if (st.isolating >= this.budget()) return undefined;
      const mid = (lo + hi) >> 1;
      if (await probe(mid)) lo = mid;
      else hi = mid;
    }
    // Every shorter prefix went in: either the last candidate is refused or the failure was
    // transient. Only a refused full write blames it.
    if (hi === cands.length && (await probe(hi))) return undefined;
    const found = cands[hi - 1]!;
    isolateChain(q, desired, found);
    return found;
  }
}
