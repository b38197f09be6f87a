// The ipset delta planner (Felix: felix/ipsets/ipsets.go tryUpdates / writeDeltas). Pure: no I/O.
import type { IpSetState } from '../model.js';
import { DataplaneError } from '../backend/errors.js';
import { canonicalMember, checkMember, checkSetName, ownedFamily, tempSetName } from './names.js';
import type { IpsetSnapshot, SetSnapshot } from './snapshot.js';

export interface IpsetPlan {
  /** `ipset restore` input for creates and membership deltas ('' when nothing to do). */
  readonly text: string;
  /** Sets we own that are not desired: destroyed after iptables stops using them. */
  readonly toDestroy: readonly string[];
  readonly changedSets: readonly string[];
  /** Belief after the restore succeeds (before destroys). */
  readonly after: Map<string, SetSnapshot>;
  /** The set each line of `text` writes (index 0 = line 1), so a refused line maps to a set. */
  readonly lineSets: readonly (string | undefined)[];
}

export interface IpsetPlanOptions {
  readonly maxElem: number;
  /** Counter for temp names; the planner returns how many it used. */
  readonly nextTemp: number;
  /**
   * The snapshot each desired member set was last planned to. The compiler shares a set's members
   * between compiles until a delta changes them (copy on write), so a set whose members object and
   * belief are both the ones recorded here is unchanged: it is skipped without a diff. The writer
   * owns it; a re-read of the kernel gives new snapshots, so nothing is skipped after one.
   */
  readonly memo?: WeakMap<ReadonlySet<string>, SetSnapshot>;
}

/**
 * ` hashsize N` for a set created with many members, so the kernel allocates its buckets once
 * instead of doubling the table over and over while the restore runs ('' for small sets, which
 * keep the kernel's default of 1024, as Felix's sets do).
 */
function hashsize(members: number): string {
  const perBucket = 4;
  if (members <= 1024 * perBucket) return '';
  let n = 1024;
  while (n * perBucket < members && n < 1 << 26) n *= 2;
  return ` hashsize ${n}`;
}

export function planIpsets(
  desired: ReadonlyMap<string, IpSetState>,
  current: IpsetSnapshot,
  opts: IpsetPlanOptions,
): IpsetPlan & { readonly tempsUsed: number } {
  const lines: string[] = [];
  const lineSets: (string | undefined)[] = [];
  const changed: string[] = [];
  const after = new Map(current);
  let temp = opts.nextTemp;
  for (const name of [...desired.keys()].sort()) {
    const want = desired.get(name)!;
    const have = current.get(name);
    const memo = opts.memo;
    if (
      have !== undefined &&
      memo?.get(want.members) === have &&
      have.type === want.type &&
      have.family === want.family &&
      have.maxelem === opts.maxElem &&
      have.name === want.name
    )
      continue;
    checkSetName(name);
    if (want.name !== name)
      throw new DataplaneError('ERR_BAD_DESIRED_STATE', `ipset key ${name} != name ${want.name}`);
    if (ownedFamily(name) !== want.family) {
      throw new DataplaneError(
        'ERR_BAD_DESIRED_STATE',
        `ipset ${name} is not under the owned prefix for IPv${want.family}`,
      );
    }
    const wantCanon = new Map<string, string>();
    for (const m of want.members) {
      checkMember(name, m);
      wantCanon.set(canonicalMember(want.type, m), m);
    }
    const fam = want.family === 4 ? 'inet' : 'inet6';
    const header = `${want.type} family ${fam}${hashsize(wantCanon.size)} maxelem ${opts.maxElem}`;
    if (!have) {
      lines.push(`create ${name} ${header}`);
      for (const m of wantCanon.values()) lines.push(`add ${name} ${m}`);
    } else if (have.type !== want.type || have.family !== want.family) {
      // swap needs equal types, so a type change must recreate the set. This fails (and is
      // reported) while a rule still uses it; Felix avoids the case by versioning set names.
      lines.push(`destroy ${name}`, `create ${name} ${header}`);
      for (const m of wantCanon.values()) lines.push(`add ${name} ${m}`);
    } else if (have.maxelem !== opts.maxElem) {
      const tmp = tempSetName(want.family, temp++);
      lines.push(`create ${tmp} ${header}`);
      for (const m of wantCanon.values()) lines.push(`add ${tmp} ${m}`);
      lines.push(`swap ${name} ${tmp}`, `destroy ${tmp}`);
    } else {
      const before = lines.length;
      for (const m of have.members) if (!wantCanon.has(m)) lines.push(`del ${name} ${m} -exist`);
      for (const [c, m] of wantCanon) if (!have.members.has(c)) lines.push(`add ${name} ${m} -exist`);
      if (lines.length === before) {
        memo?.set(want.members, have);
        continue;
      }
    }
    while (lineSets.length < lines.length) lineSets.push(name);
    changed.push(name);
    const members = new Set(wantCanon.keys());
    const snap: SetSnapshot = { name, type: want.type, family: want.family, maxelem: opts.maxElem, members };
    after.set(name, snap);
    memo?.set(want.members, snap);
  }
  const toDestroy = [...current.keys()].filter((n) => !desired.has(n)).sort();
  const text = lines.length === 0 ? '' : [...lines, 'COMMIT', ''].join('\n');
  if (lines.length > 0) lineSets.push(undefined); // COMMIT
  return { text, toDestroy, changedSets: changed, after, lineSets, tempsUsed: temp - opts.nextTemp };
}
