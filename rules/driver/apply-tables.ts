// The writes of one apply, family by family. A family's tables wait only for that family's IP sets,
// not the other's: at 100k endpoints the IPv4 sets take 0.55-0.75 s to load and the IPv6 ones a few
// milliseconds, so the IPv6 tables are written while the IPv4 sets still load (bench/scale.md, Win 8).
// Each family's table reads (nft: one save for all its tables, rules/iptables/prefetch.ts) also run
// while its sets load.
//
// With the nft backend the two families' tables are written side by side: iptables-nft-restore spends
// much of its time in user space, and the IPv4 and IPv6 tables are separate nft tables, so the
// restores overlap on two cores (replayed at 100k endpoints: 643-653 ms one after the other, 530-546
// ms together; bench/scale.md "Win 5"). When the other family's commit gets in first, the kernel
// refuses the batch as stale (ERESTART, the ruleset generation changed) and iptables-nft rebuilds its
// cache and sends it again; replayed side by side, both families loaded completely 5 times in 5.
// Legacy table writes stay one at a time: both families take the xtables lock, and a restore that
// finds it held polls it only once a second (iptables' default --wait-interval). The turns are per
// table, in the order asked: when the IPv4 sets finish while an IPv6 table is being written, IPv4's
// filter table goes next, not after all four IPv6 tables.
import type { IpFamily, TableState } from '../model.js';
import type { IptablesBackend } from '../backend/detect.js';
import type { TableApplyResult, TableWriter } from '../iptables/table-writer.js';
import type { IpsetUpdateResult } from '../ipsets/writer.js';
import type { RefusedItem } from './events.js';

export type Wanted = (writer: TableWriter) => TableState;

/** What the driver does for one family, in this order. */
export interface FamilySteps {
  /** Reads the family's tables ahead of their writes; runs while its sets are written. */
  prefetch(family: IpFamily, writers: readonly TableWriter[]): Promise<void>;
  /** Writes the family's IP sets (before any of its tables). */
  sets(family: IpFamily): Promise<IpsetUpdateResult>;
  readonly want: Wanted;
}

export interface FamilyResult {
  readonly family: IpFamily;
  readonly sets: IpsetUpdateResult;
  /** In the writers' order. */
  readonly tables: readonly [TableWriter, TableApplyResult][];
}

/** A family's tables one after the other; with `turns`, each table write waits for its turn. */
async function inOrder(
  writers: readonly TableWriter[],
  want: Wanted,
  turns?: Turns,
): Promise<[TableWriter, TableApplyResult][]> {
  const out: [TableWriter, TableApplyResult][] = [];
  for (const w of writers) {
    const write = () => w.apply(want(w));
    out.push([w, await (turns ? turns.run(write) : write())]);
  }
  return out;
}

/** Runs one task at a time, in the order they asked. */
class Turns {
  private last: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.last.then(task, task);
    this.last = next.catch(() => undefined);
    return next;
  }
}

/**
 * Applies every family and returns the results in the families' order. When one family fails, the
 * other is let finish before the error is thrown, so that no write is still running when the driver
 * retries.
 */
export async function applyFamilies(
  writers: readonly TableWriter[],
  steps: FamilySteps,
  backend: IptablesBackend,
  families: readonly IpFamily[],
): Promise<FamilyResult[]> {
  const turns = backend === 'nft' ? undefined : new Turns();
  const one = async (family: IpFamily): Promise<FamilyResult> => {
    const mine = writers.filter((w) => w.family === family);
    // Settled here, so that a failed read is not an unhandled rejection while the sets are awaited.
    const read = steps.prefetch(family, mine).then(
      () => undefined,
      (err: unknown) => ({ err }),
    );
    const sets = await steps.sets(family);
    const failed = await read;
    if (failed) throw failed.err;
    return { family, sets, tables: await inOrder(mine, steps.want, turns) };
  };
  const settled = await Promise.allSettled(families.map(one));
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
}

/** What an apply wrote and what the kernel refused, from the families' results. */
export function summarize(results: readonly FamilyResult[], keyOf: (w: TableWriter) => string) {
  const changedChains: string[] = [];
  const changedSets: string[] = [];
  const refused: RefusedItem[] = [];
  const tableInputs: [string, string][] = [];
  let restoreCalls = 0;
  for (const { family, sets } of results) {
    changedSets.push(...sets.changedSets);
    for (const r of sets.refused)
      refused.push({ ipVersion: family, table: 'ipsets', kind: 'set', name: r.set, reason: r.reason });
  }
  for (const [writer, r] of results.flatMap((f) => f.tables)) {
    const key = keyOf(writer);
    restoreCalls += r.restoreCalls;
    for (const c of r.refused)
      refused.push({
        ipVersion: writer.family,
        table: writer.table,
        kind: 'chain',
        name: c.chain,
        reason: c.reason,
      });
    if (r.restoreInput) {
      tableInputs.push([key, r.restoreInput]);
      for (const c of r.changedChains) changedChains.push(`${key}:${c}`);
    }
  }
  // The sets' inputs in the families' order: together they are what this apply wrote.
  const setInput = results.map((r) => r.sets.restoreInput).join('');
  return { setInput, changedSets, refused, changedChains, restoreCalls, tableInputs };
}
