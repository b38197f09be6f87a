// The minimal-delta planner: desired TableState + what the kernel holds -> one iptables-restore
// --noflush transaction (Felix: felix/iptables/table.go applyUpdates). Pure: no I/O.
import type { TableState } from '../model.js';
import type { IptablesBackend } from '../backend/detect.js';
import type { SnapshotRule, TableSnapshot } from './snapshot.js';
import { BUILTIN_CHAINS, isOwnedChain } from './owned.js';
import { checkTableState, ruleSpec } from './render.js';

export interface TablePlan {
  /** Restore input, or '' when the kernel already matches. */
  readonly text: string;
  /** Chains that the transaction creates, changes or deletes (owned and kernel chains). */
  readonly changedChains: readonly string[];
  readonly deletedChains: readonly string[];
  /** What the kernel will hold once the transaction succeeds (the writer's new belief). */
  readonly after: TableSnapshot;
  /** The chain each line of `text` writes (index 0 = line 1), so a refused line maps to a chain. */
  readonly lineChains: readonly (string | undefined)[];
}

export interface PlanOptions {
  /** Chains left exactly as the kernel holds them (not created, patched, hooked or deleted). */
  readonly leave?: ReadonlySet<string>;
}

/** Same hashes in the same order (a foreign rule's hash is undefined). */
function sameHashes(
  actual: readonly SnapshotRule[],
  want: readonly { readonly hash: string | undefined }[],
): boolean {
  if (actual.length !== want.length) return false;
  for (let i = 0; i < actual.length; i++) if (actual[i]!.hash !== want[i]!.hash) return false;
  return true;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The keys in byte order; the compiler's maps are sorted already, so the sort is usually skipped. */
function sortedKeys(keys: Iterable<string>): string[] {
  const out = [...keys];
  for (let i = 1; i < out.length; i++) if (out[i - 1]! > out[i]!) return out.sort(byteOrder);
  return out;
}

type Line = readonly [chain: string, text: string];

export function planTable(
  desired: TableState,
  current: TableSnapshot,
  backend: IptablesBackend,
  opts: PlanOptions = {},
): TablePlan {
  checkTableState(desired);
  const table = desired.table;
  const leave = opts.leave ?? new Set<string>();
  const declares: Line[] = [];
  const ruleLines: Line[] = [];
  const hookLines: Line[] = [];
  const deletes: Line[] = [];
  const changed = new Set<string>();
  const deleted: string[] = [];
  const after = new Map<string, readonly SnapshotRule[]>(current.chains);

  // 1. Our chains: create, or patch rule by rule. nft rewrites a changed chain whole
  // because per-rule -R was unreliable in older iptables-nft.
  for (const name of sortedKeys(desired.chains.keys())) {
    const want = desired.chains.get(name)!.rules;
    const have = current.chains.get(name);
    if ((have && sameHashes(have, want)) || leave.has(name)) continue;
    const wantRules: SnapshotRule[] = want.map((r) => ({ hash: r.hash, spec: ruleSpec(r) }));
    changed.add(name);
    after.set(name, wantRules);
    if (!have || backend === 'nft') {
      declares.push([name, `:${name} - -`]);
      for (const r of wantRules) ruleLines.push([name, `-A ${name} ${r.spec}`]);
      continue;
    }
    const common = Math.min(have.length, want.length);
    for (let i = 0; i < common; i++) {
      if (have[i]!.hash !== want[i]!.hash)
        ruleLines.push([name, `-R ${name} ${i + 1} ${wantRules[i]!.spec}`]);
    }
    for (let i = common; i < want.length; i++) ruleLines.push([name, `-A ${name} ${wantRules[i]!.spec}`]);
    for (let i = want.length; i < have.length; i++) ruleLines.push([name, `-D ${name} ${want.length + 1}`]);
  }

  // 2. Owned chains we no longer want: flush via a forward reference (drops the references they
  // hold), delete last.
  for (const name of sortedKeys(current.chains.keys())) {
    if (!isOwnedChain(name) || desired.chains.has(name) || leave.has(name)) continue;
    declares.push([name, `:${name} - -`]);
    deletes.push([name, `--delete-chain ${name}`]);
    changed.add(name);
    deleted.push(name);
    after.delete(name);
  }

  // 3. Kernel (foreign) chains: our inserts on top, foreign rules untouched, our appends at the end.
  const hookChains = new Set<string>();
  for (const [name, rules] of current.chains) {
    if (!isOwnedChain(name) && rules.some((r) => r.hash !== undefined)) hookChains.add(name);
  }
  for (const name of desired.inserts.keys()) hookChains.add(name);
  for (const name of desired.appends.keys()) hookChains.add(name);
  const builtins = BUILTIN_CHAINS[table];
  for (const name of sortedKeys(hookChains)) {
    if (leave.has(name)) continue;
    const inserts = desired.inserts.get(name) ?? [];
    const appends = desired.appends.get(name) ?? [];
    const have = current.chains.get(name) ?? [];
    const foreign = have.filter((r) => r.hash === undefined);
    const expected = [...inserts, ...foreign, ...appends];
    if (current.chains.has(name) && sameHashes(have, expected)) continue;
    if (expected.length === 0 && !current.chains.has(name)) continue;
    changed.add(name);
    if (!current.chains.has(name) && !builtins.includes(name)) declares.push([name, `:${name} - -`]);
    // Delete ours by value, not by position, so a concurrent writer moving rules cannot make us
    // delete theirs.
    for (const r of have) if (r.hash !== undefined) hookLines.push([name, `-D ${name} ${r.spec}`]);
    for (let i = inserts.length - 1; i >= 0; i--)
      hookLines.push([name, `-I ${name} ${ruleSpec(inserts[i]!)}`]);
    for (const r of appends) hookLines.push([name, `-A ${name} ${ruleSpec(r)}`]);
    after.set(name, [
      ...inserts.map((r) => ({ hash: r.hash, spec: ruleSpec(r) })),
      ...foreign,
      ...appends.map((r) => ({ hash: r.hash, spec: ruleSpec(r) })),
    ]);
  }

  const body = [...declares, ...ruleLines, ...hookLines, ...deletes];
  // One transaction even on nft: iptables-nft 1.8.9 accepts deleting chains whose references are
  // removed in the same transaction, and one COMMIT keeps the table atomic.
  const text = body.length === 0 ? '' : [`*${table}`, ...body.map((l) => l[1]), 'COMMIT', ''].join('\n');
  return {
    text,
    lineChains: body.length === 0 ? [] : [undefined, ...body.map((l) => l[0]), undefined],
    changedChains: sortedKeys(changed),
    deletedChains: deleted,
    after: { chains: after },
  };
}
