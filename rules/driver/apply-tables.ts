// The table writers of one apply, in order. With the nft backend the two families run side by side:
// iptables-nft-restore spends much of its time in user space, and the IPv4 and IPv6 tables are
// separate nft tables, so the restores overlap on two cores (replayed at 100k endpoints: 643-653 ms
// one after the other, 530-546 ms together; bench/scale.md "Win 5"). When the other family's commit
// gets in first, the kernel refuses the batch as stale (ERESTART, the ruleset generation changed) and
// iptables-nft rebuilds its cache and sends it again; replayed side by side, both families loaded
// completely 5 times in 5. Legacy writes stay one at a time: both families take the xtables lock.
import type { IpFamily, TableState } from '../model.js';
import type { IptablesBackend } from '../backend/detect.js';
import type { TableApplyResult, TableWriter } from '../iptables/table-writer.js';

export type Wanted = (writer: TableWriter) => TableState;

async function inOrder(
  writers: readonly TableWriter[],
  want: Wanted,
): Promise<[TableWriter, TableApplyResult][]> {
  const out: [TableWriter, TableApplyResult][] = [];
  for (const w of writers) out.push([w, await w.apply(want(w))]);
  return out;
}

/**
 * Applies every writer and returns the results in the writers' order. When one family fails, the
 * other is let finish before the error is thrown, so that no write is still running when the
 * driver retries.
 */
export async function applyTables(
  writers: readonly TableWriter[],
  want: Wanted,
  backend: IptablesBackend,
  families: readonly IpFamily[],
): Promise<[TableWriter, TableApplyResult][]> {
  if (backend !== 'nft' || families.length < 2) return inOrder(writers, want);
  const settled = await Promise.allSettled(
    families.map((f) =>
      inOrder(
        writers.filter((w) => w.family === f),
        want,
      ),
    ),
  );
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
}
