// The IP sets are written while the tables compile (issue 15: time to ready). At 100k endpoints the
// first `ipset restore` takes 0.65-0.75 s of kernel time, the table compile 0.3-0.5 s of the main
// thread, and the sets do not depend on the tables. So an apply reads the kernel's sets if it does not
// know them, asks the source for the sets alone (compileIpSets), and starts their restore before it
// compiles the tables; the restore reads its input from a file (rules/backend/runner.ts), so the
// busy main thread does not hold it up. Each family's sets are a restore of their own, started side
// by side: a family's tables need only its own sets, so the IPv6 tables (whose sets are small) can be
// written while the IPv4 sets are still loading (apply-tables.ts). Once the tables are compiled, each
// family's full set list is written as before: it differs only by the empty sets that rules refer
// to, and the sets already written are planned to no change (the writer's plan memo).
import type { IpFamily, IpSetState } from '../model.js';
import type { IpsetUpdateResult, IpsetWriter } from '../ipsets/writer.js';
import type { DesiredStateSource } from './source.js';

/** An early write in flight: its result, or what it threw. */
export interface EarlySets {
  readonly done: Promise<{ readonly ok: IpsetUpdateResult } | { readonly err: unknown }>;
}

/**
 * Starts the early writes, one per family; undefined when the source cannot give the sets alone.
 * Returns once the restores are started (or planned to nothing): no await may come between this and
 * the compile, or a message arriving in between would be in the tables and not in the sets.
 */
export async function startEarlySets(
  writer: IpsetWriter,
  source: DesiredStateSource,
  families: readonly IpFamily[],
): Promise<ReadonlyMap<IpFamily, EarlySets> | undefined> {
  if (!source.desiredIpSets) return undefined;
  try {
    await writer.prefetch();
  } catch {
    return undefined; // the full write reads again and reports the error
  }
  let sets: ReadonlyMap<string, IpSetState>;
  try {
    sets = source.desiredIpSets();
  } catch {
    return undefined; // the compile fails the same way and reports it
  }
  const out = new Map<IpFamily, EarlySets>();
  for (const f of families) {
    out.set(f, {
      done: writer.applyUpdates(sets, undefined, f).then(
        (ok) => ({ ok }),
        (err: unknown) => ({ err }),
      ),
    });
  }
  return out;
}

/** A family's full write after the compile; with an early one, both results together. */
export async function finishSets(
  writer: IpsetWriter,
  early: EarlySets | undefined,
  desired: ReadonlyMap<string, IpSetState>,
  family: IpFamily,
): Promise<IpsetUpdateResult> {
  const first = early ? await early.done : undefined;
  // A failed early write left the writer without a belief: the full write reads the kernel again.
  if (!first || !('ok' in first)) return writer.applyUpdates(desired, undefined, family);
  const carried = new Map(first.ok.refused.map((r) => [r.set, r.reason] as const));
  const full = await writer.applyUpdates(desired, carried, family);
  return {
    // Both inputs, in the order they ran: together they are what this apply wrote.
    restoreInput: first.ok.restoreInput + full.restoreInput,
    changedSets: [...new Set([...first.ok.changedSets, ...full.changedSets])],
    refused: full.refused,
  };
}
