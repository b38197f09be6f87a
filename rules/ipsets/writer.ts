// Applies desired ipsets with `ipset restore` (creates and deltas, before iptables) and
// `ipset destroy` (stale sets, after iptables), per felix-iptables-dataplane.md §1 and §8.
import type { IpFamily, IpSetState } from '../model.js';
import type { CommandRunner } from '../backend/runner.js';
import type { DataplaneCounters } from '../backend/counters.js';
import { DataplaneError } from '../backend/errors.js';
import { parseIpsetSave, type SetSnapshot } from './snapshot.js';
import { planIpsets } from './plan.js';

export interface IpsetWriterOptions {
  readonly runner: CommandRunner;
  readonly counters: DataplaneCounters;
  readonly families: readonly IpFamily[];
  /** MaxIpsetSize (§3.3), default 1048576. */
  readonly maxElem?: number;
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  readonly dryRun?: boolean;
}

export interface IpsetUpdateResult {
  readonly restoreInput: string;
  readonly changedSets: readonly string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class IpsetWriter {
  private readonly opts: IpsetWriterOptions;
  private belief: Map<string, SetSnapshot> | undefined;
  private pendingDestroy: readonly string[] = [];
  private tempCounter = 0;
  private lastInput = '';

  constructor(opts: IpsetWriterOptions) {
    this.opts = opts;
  }

  invalidate(): void {
    this.belief = undefined;
  }

  lastRestoreInput(): string {
    return this.lastInput;
  }

  async read(): Promise<Map<string, SetSnapshot>> {
    this.opts.counters.ipsetCalls++;
    const r = await this.opts.runner.run('ipset', ['save']).catch((err: unknown) => {
      this.opts.counters.ipsetErrors++;
      throw err;
    });
    if (r.exitCode !== 0) {
      this.opts.counters.ipsetErrors++;
      if (this.opts.dryRun) return new Map();
      throw new DataplaneError('ERR_IPSET_READ', `ipset save exited ${r.exitCode}: ${r.stderr.trim()}`, {
        exitCode: r.exitCode,
      });
    }
    return parseIpsetSave(r.stdout, this.opts.families);
  }

  /** Creates and updates sets (run before the iptables transactions that use them). */
  async applyUpdates(desired: ReadonlyMap<string, IpSetState>): Promise<IpsetUpdateResult> {
    const wanted = new Map([...desired].filter(([, s]) => this.opts.families.includes(s.family)));
    const maxAttempts = this.opts.maxAttempts ?? 10;
    let last: DataplaneError | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) await sleep((this.opts.retryBaseMs ?? 1) * 2 ** (attempt - 1));
      let current: Map<string, SetSnapshot>;
      try {
        current = this.belief ?? (await this.read());
      } catch (err) {
        last =
          err instanceof DataplaneError
            ? err
            : new DataplaneError('ERR_IPSET_READ', String(err), { cause: err });
        if (this.opts.dryRun) current = new Map();
        else continue;
      }
      const plan = planIpsets(wanted, current, {
        maxElem: this.opts.maxElem ?? 1048576,
        nextTemp: this.tempCounter,
      });
      this.tempCounter += plan.tempsUsed;
      this.pendingDestroy = plan.toDestroy;
      if (plan.text === '' || this.opts.dryRun) {
        if (plan.text !== '') this.lastInput = plan.text;
        this.belief = plan.after;
        return { restoreInput: plan.text, changedSets: plan.changedSets };
      }
      this.lastInput = plan.text;
      this.opts.counters.ipsetCalls++;
      try {
        const r = await this.opts.runner.run('ipset', ['restore'], plan.text);
        if (r.exitCode !== 0) {
          throw new DataplaneError(
            'ERR_IPSET_RESTORE',
            `ipset restore exited ${r.exitCode}: ${r.stderr.trim()}`,
            {
              input: plan.text,
              exitCode: r.exitCode,
            },
          );
        }
        this.belief = plan.after;
        return { restoreInput: plan.text, changedSets: plan.changedSets };
      } catch (err) {
        // ipset restore is not atomic: earlier lines may have landed, so re-read before retrying.
        this.opts.counters.ipsetErrors++;
        this.belief = undefined;
        last =
          err instanceof DataplaneError
            ? err
            : new DataplaneError('ERR_IPSET_RESTORE', String(err), { cause: err });
      }
    }
    throw last!;
  }

  /**
   * Destroys owned sets that are no longer desired (run after iptables stopped referencing
   * them). A set still in use fails; it stays in the belief and is retried next apply (§8).
   */
  async applyDeletions(): Promise<{ destroyed: readonly string[]; failed: readonly string[] }> {
    const destroyed: string[] = [];
    const failed: string[] = [];
    for (const name of this.pendingDestroy) {
      if (this.opts.dryRun) {
        this.belief?.delete(name);
        destroyed.push(name);
        continue;
      }
      this.opts.counters.ipsetCalls++;
      const r = await this.opts.runner.run('ipset', ['destroy', name]).catch(() => undefined);
      if (r && r.exitCode === 0) {
        destroyed.push(name);
        this.belief?.delete(name);
      } else {
        this.opts.counters.ipsetErrors++;
        failed.push(name);
        this.belief = undefined;
      }
    }
    this.pendingDestroy = [];
    return { destroyed, failed };
  }
}
