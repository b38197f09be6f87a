// Applies desired ipsets with `ipset restore` (creates and deltas, before iptables) and
// `ipset destroy` (stale sets, after iptables), in Felix's order (felix/ipsets/ipsets.go). A set
// the kernel refuses ("Error in line N: ...") is put back to what it held before this apply (or
// removed if it did not exist), and the other sets are written without it (issue 17 item 2).
import type { IpFamily, IpSetState } from '../model.js';
import type { CommandRunner } from '../backend/runner.js';
import type { DataplaneCounters } from '../backend/counters.js';
import { DataplaneError } from '../backend/errors.js';
import { bounded, refusalReason } from '../iptables/isolate.js';
import { parseIpsetSave, type SetSnapshot } from './snapshot.js';
import { planIpsets } from './plan.js';

export interface IpsetWriterOptions {
  readonly runner: CommandRunner;
  readonly counters: DataplaneCounters;
  readonly families: readonly IpFamily[];
  /** MaxIpsetSize, default 1048576 (Felix: MaxIPSetSize). */
  readonly maxElem?: number;
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  readonly dryRun?: boolean;
  /** Most refused sets isolated in one apply (default 64). */
  readonly isolationBudget?: number;
}

export interface RefusedSet {
  readonly set: string;
  readonly reason: string;
}

export interface IpsetUpdateResult {
  readonly restoreInput: string;
  readonly changedSets: readonly string[];
  /** Sets refused in this apply and kept at their pre-apply state. */
  readonly refused: readonly RefusedSet[];
}

/**
 * Sets with more members than MaxIpsetSize. Felix creates every set with `maxelem MaxIPSetSize`
 * and writes all members (felix/ipsets/ipsets.go), so the kernel refuses the restore with "Hash is
 * full" and every later apply fails. Here such a set is refused before any restore text is built
 * for it: it keeps its previous contents (a new one is not created, so the rules using it fail
 * closed), everything else is written, and the apply after it shrinks writes it.
 */
function oversized(wanted: ReadonlyMap<string, IpSetState>, maxElem: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, s] of wanted) {
    if (s.members.size > maxElem) {
      out.set(name, `IP set has ${s.members.size} members, more than MaxIpsetSize (${maxElem})`);
    }
  }
  return out;
}

/** The desired sets with every refused one replaced by its pre-apply state (or dropped). */
function withRefused(
  wanted: ReadonlyMap<string, IpSetState>,
  pre: ReadonlyMap<string, SetSnapshot>,
  refused: ReadonlyMap<string, string>,
): Map<string, IpSetState> {
  const out = new Map(wanted);
  for (const name of refused.keys()) {
    const was = pre.get(name);
    if (was)
      out.set(name, { name, type: was.type as IpSetState['type'], family: was.family, members: was.members });
    else out.delete(name);
  }
  return out;
}

/** ipset's refusal to destroy a set that a rule still references. */
const IN_USE_RE = /in use by a kernel component/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class IpsetWriter {
  private readonly opts: IpsetWriterOptions;
  private belief: Map<string, SetSnapshot> | undefined;
  /** Stale sets of each family, from that family's last applyUpdates (destroyed by applyDeletions). */
  private readonly pendingDestroy = new Map<IpFamily, readonly string[]>();
  private tempCounter = 0;
  /** What each desired member set was last planned to (see IpsetPlanOptions.memo). */
  private readonly planMemo = new WeakMap<ReadonlySet<string>, SetSnapshot>();
  private lastInput = '';

  constructor(opts: IpsetWriterOptions) {
    this.opts = opts;
  }

  invalidate(): void {
    this.forget();
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

  /** Reads the kernel's sets now if they are not known, so that the next applyUpdates needs no read. */
  async prefetch(): Promise<void> {
    if (!this.opts.dryRun) await this.known();
  }

  private reading: Promise<Map<string, SetSnapshot>> | undefined;
  /** Counts the times the belief was dropped: a read begun before a drop may be stale. */
  private epoch = 0;

  /** The kernel's state is no longer known (a failed write, or a refresh). */
  private forget(): void {
    this.belief = undefined;
    this.reading = undefined;
    this.epoch++;
  }

  /**
   * The belief, read from the kernel if there is none. Calls side by side (one per family) share one
   * read; a read begun before the belief was last dropped is read again, and a read never replaces a
   * belief that a write committed while it ran.
   */
  private async known(): Promise<Map<string, SetSnapshot>> {
    for (;;) {
      if (this.belief) return this.belief;
      const epoch = this.epoch;
      if (!this.reading) {
        const r = this.read();
        this.reading = r;
        const clear = () => {
          if (this.reading === r) this.reading = undefined;
        };
        r.then(clear, clear);
      }
      const read = await this.reading;
      if (this.epoch === epoch) return (this.belief ??= read);
    }
  }

  /**
   * Creates and updates sets (run before the iptables transactions that use them). `carried`: sets
   * refused earlier in the same apply (an early write of the calc's sets), kept as they are.
   * `family`: only that family's sets are planned and written, and only its stale sets are queued
   * for destroy; a call for the other family may run at the same time (the driver writes each
   * family's sets and then its tables side by side: rules/driver/apply-tables.ts).
   */
  async applyUpdates(
    desired: ReadonlyMap<string, IpSetState>,
    carried?: ReadonlyMap<string, string>,
    family?: IpFamily,
  ): Promise<IpsetUpdateResult> {
    const fams = family === undefined ? this.opts.families : this.opts.families.filter((f) => f === family);
    const wanted = new Map([...desired].filter(([, s]) => fams.includes(s.family)));
    const maxAttempts = this.opts.maxAttempts ?? 10;
    const refused = oversized(wanted, this.opts.maxElem ?? 1048576);
    for (const [set, reason] of carried ?? []) if (!refused.has(set)) refused.set(set, reason);
    let pre: ReadonlyMap<string, SetSnapshot> | undefined;
    let last: DataplaneError | undefined;
    for (let attempt = 0; attempt < maxAttempts;) {
      let current: Map<string, SetSnapshot>;
      try {
        current = this.inFamilies(await this.known(), fams);
      } catch (err) {
        last = err instanceof DataplaneError ? err : new DataplaneError('ERR_IPSET_READ', String(err));
        // A hung ipset is not retried inside this apply: the driver's back-off retries it.
        if (last.code === 'ERR_COMMAND_TIMEOUT') break;
        if (!this.opts.dryRun) {
          if (++attempt < maxAttempts) await sleep((this.opts.retryBaseMs ?? 1) * 2 ** (attempt - 1));
          continue;
        }
        current = new Map();
      }
      pre ??= current;
      const plan = planIpsets(withRefused(wanted, pre, refused), current, {
        maxElem: this.opts.maxElem ?? 1048576,
        nextTemp: this.tempCounter,
        memo: this.planMemo,
      });
      this.tempCounter += plan.tempsUsed;
      const stale = plan.toDestroy.filter((n) => !refused.has(n) || pre!.has(n));
      for (const f of fams)
        this.pendingDestroy.set(
          f,
          stale.filter((n) => current.get(n)?.family === f),
        );
      const done = (): IpsetUpdateResult => ({
        restoreInput: plan.text,
        changedSets: plan.changedSets,
        refused: [...refused].map(([set, reason]) => ({ set, reason })),
      });
      if (plan.text !== '') this.lastInput = plan.text;
      if (plan.text === '' || this.opts.dryRun) {
        this.commit(plan.after, fams);
        return done();
      }
      const err = await this.restore(plan.text);
      if (!err) {
        this.commit(plan.after, fams);
        return done();
      }
      // ipset restore is not atomic: earlier lines may have landed, so re-read before retrying.
      this.forget();
      last = err;
      if (err.code === 'ERR_COMMAND_TIMEOUT') break; // as above: the driver's back-off retries it
      const line = /Error in line (\d+)/.exec(err.stderr ?? '')?.[1];
      // A temporary set's lines belong to the set it rebuilds (plan.lineSet).
      const base = line === undefined ? undefined : plan.lineSet(Number(line));
      if (base !== undefined && !refused.has(base) && refused.size < (this.opts.isolationBudget ?? 64)) {
        refused.set(base, refusalReason(err.stderr ?? err.message));
        // A set that did not exist before this apply is removed now, so that no rule can use a
        // half-filled copy: the chains that reference it are then refused and fail closed.
        if (!pre.has(base)) await this.destroyQuietly(base);
        continue;
      }
      if (++attempt < maxAttempts) await sleep((this.opts.retryBaseMs ?? 1) * 2 ** (attempt - 1));
    }
    throw last!;
  }

  /** `fams` are all the families this writer keeps (the belief holds no others). */
  private all(fams: readonly IpFamily[]): boolean {
    return fams.length === this.opts.families.length;
  }

  /** The sets of these families: the belief itself when they are all of them. */
  private inFamilies(sets: Map<string, SetSnapshot>, fams: readonly IpFamily[]): Map<string, SetSnapshot> {
    return this.all(fams) ? sets : new Map([...sets].filter(([, s]) => fams.includes(s.family)));
  }

  /**
   * The belief after a successful write of these families' sets: theirs replaced by `after`, the
   * other family's kept as they are now (written meanwhile by a call for it). No belief: a failed
   * write since forgot the kernel's state, and the next apply reads it again.
   */
  private commit(after: Map<string, SetSnapshot>, fams: readonly IpFamily[]): void {
    if (this.all(fams)) {
      this.belief = after;
      return;
    }
    const b = this.belief;
    if (!b) return;
    for (const [name, s] of b) if (fams.includes(s.family)) b.delete(name);
    for (const [name, s] of after) b.set(name, s);
  }

  private async destroyQuietly(name: string): Promise<void> {
    this.opts.counters.ipsetCalls++;
    const r = await this.opts.runner.run('ipset', ['destroy', name]).catch(() => undefined);
    if (!r || r.exitCode !== 0) this.opts.counters.ipsetErrors++;
  }

  /** Runs `ipset restore`; returns the error rather than throwing it. */
  private async restore(text: string): Promise<DataplaneError | undefined> {
    this.opts.counters.ipsetCalls++;
    try {
      const r = await this.opts.runner.run('ipset', ['restore'], text);
      if (r.exitCode === 0) return undefined;
      this.opts.counters.ipsetErrors++;
      return new DataplaneError(
        'ERR_IPSET_RESTORE',
        `ipset restore exited ${r.exitCode}: ${bounded(r.stderr.trim())}`,
        { input: text, exitCode: r.exitCode, stderr: r.stderr },
      );
    } catch (err) {
      this.opts.counters.ipsetErrors++;
      return err instanceof DataplaneError
        ? err
        : new DataplaneError('ERR_IPSET_RESTORE', String(err), { cause: err });
    }
  }

  /**
   * Destroys owned sets that are no longer desired (run after iptables stopped referencing
   * them). A set still in use fails; it stays in the belief and is retried next apply.
   */
  async applyDeletions(): Promise<{ destroyed: readonly string[]; failed: readonly string[] }> {
    const destroyed: string[] = [];
    const failed: string[] = [];
    for (const name of [...this.pendingDestroy.values()].flat()) {
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
        // Still referenced (by a table felix-ts does not program yet, after a takeover from Felix, or
        // by a rule not yet removed): the set is there as we believe it, so keep the belief instead of
        // re-reading every set on every apply. Anything else leaves the kernel's state unknown.
        if (!r || !IN_USE_RE.test(r.stderr)) this.forget();
      }
    }
    this.pendingDestroy.clear();
    return { destroyed, failed };
  }
}
