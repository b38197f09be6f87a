// The ipset delta planner (Felix: felix/ipsets/ipsets.go tryUpdates / writeDeltas). Pure: no I/O.
import type { IpSetState } from '../model.js';
import { DataplaneError } from '../backend/errors.js';
import {
  canonicalMember,
  checkMember,
  checkSetName,
  isWrittenMember,
  ownedFamily,
  tempSetName,
  writtenMember,
} from './names.js';
import type { IpsetSnapshot, SetSnapshot } from './snapshot.js';

export interface IpsetPlan {
  /** `ipset restore` input for creates and membership deltas ('' when nothing to do). */
  readonly text: string;
  /** Sets we own that are not desired: destroyed after iptables stops using them. */
  readonly toDestroy: readonly string[];
  readonly changedSets: readonly string[];
  /** Belief after the restore succeeds (before destroys). */
  readonly after: Map<string, SetSnapshot>;
  /** The set line n (1-based) of `text` writes, so a refused line maps to a set (undefined: COMMIT). */
  lineSet(line: number): string | undefined;
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
 * A set's members by comparison key (writtenMember), with the text to write for each key when it
 * is not the key itself. `text` is absent when every member is its own key: then `keys` is the
 * members object it came from, not a copy.
 */
interface Keyed {
  readonly keys: ReadonlySet<string>;
  readonly text?: ReadonlyMap<string, string>;
}

/**
 * Member sets known to hold comparison keys only: those the planner put in a belief. A desired
 * members object is never changed once it has been handed to the writer (the compiler copies on
 * write, rules/compiler/state.ts), which is what lets a belief be that same object.
 */
const KEYED = new WeakSet<ReadonlySet<string>>();

/** The desired members by key; every member is checked to be safe restore text. */
function desiredKeys(name: string, type: string, members: ReadonlySet<string>): Keyed {
  let own = true;
  for (const m of members) {
    if (isWrittenMember(type, m)) continue; // canonical IPv4, checked in place: the calc's form
    checkMember(name, m);
    if (writtenMember(type, m) !== m) {
      own = false;
      break;
    }
  }
  if (own) return { keys: members };
  const text = new Map<string, string>();
  for (const m of members) {
    checkMember(name, m);
    text.set(writtenMember(type, m), m);
  }
  return { keys: new Set(text.keys()), text };
}

/** A belief's members by key: as they are when the planner wrote them, re-keyed after a read. */
function beliefKeys(have: SetSnapshot): Keyed {
  if (KEYED.has(have.members)) return { keys: have.members };
  const text = new Map<string, string>();
  for (const m of have.members) text.set(writtenMember(have.type, m), m);
  return { keys: new Set(text.keys()), text };
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

/**
 * Restore text built a set at a time: a set's add lines are one join, not a string per line
 * (432k members made 432k line strings, then one more copy for the join), and the lines each set
 * wrote are kept as ranges.
 */
class RestoreText {
  private readonly chunks: string[] = [];
  /** Line count after each set's lines, and that set. */
  private readonly ends: number[] = [];
  private readonly sets: string[] = [];
  lines = 0;

  line(text: string): void {
    this.chunks.push(text, '\n');
    this.lines++;
  }

  /** `<prefix><item>` for each item, one line each. */
  each(prefix: string, items: readonly string[]): void {
    if (items.length === 0) return;
    this.chunks.push(prefix, items.join(`\n${prefix}`), '\n');
    this.lines += items.length;
  }

  /** The lines since the previous endSet belong to `name`. */
  endSet(name: string): void {
    if (this.lines === (this.ends[this.ends.length - 1] ?? 0)) return;
    this.ends.push(this.lines);
    this.sets.push(name);
  }

  text(): string {
    return this.lines === 0 ? '' : this.chunks.join('') + 'COMMIT\n';
  }

  lineSet(line: number): string | undefined {
    if (!(line >= 1)) return undefined;
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ends[mid] as number) < line) lo = mid + 1;
      else hi = mid;
    }
    return this.sets[lo];
  }
}

export function planIpsets(
  desired: ReadonlyMap<string, IpSetState>,
  current: IpsetSnapshot,
  opts: IpsetPlanOptions,
): IpsetPlan & { readonly tempsUsed: number } {
  const out = new RestoreText();
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
    const wantK = desiredKeys(name, want.type, want.members);
    const size = wantK.keys.size;
    const fam = want.family === 4 ? 'inet' : 'inet6';
    const header = `${want.type} family ${fam}${hashsize(size)} maxelem ${opts.maxElem}`;
    const addAll = (set: string): void =>
      out.each(`add ${set} `, wantK.text ? [...wantK.text.values()] : [...wantK.keys]);
    if (!have) {
      out.line(`create ${name} ${header}`);
      addAll(name);
    } else if (have.type !== want.type || have.family !== want.family) {
      // swap needs equal types, so a type change must recreate the set. This fails (and is
      // reported) while a rule still uses it; Felix avoids the case by versioning set names.
      out.line(`destroy ${name}`);
      out.line(`create ${name} ${header}`);
      addAll(name);
    } else if (have.maxelem !== opts.maxElem) {
      const tmp = tempSetName(want.family, temp++);
      out.line(`create ${tmp} ${header}`);
      addAll(tmp);
      out.line(`swap ${name} ${tmp}`);
      out.line(`destroy ${tmp}`);
    } else {
      const haveK = beliefKeys(have);
      const before = out.lines;
      // A delete names the member as `ipset save` prints it (canonicalMember), as the kernel holds it.
      for (const k of haveK.keys)
        if (!wantK.keys.has(k))
          out.line(`del ${name} ${haveK.text?.get(k) ?? canonicalMember(have.type, k)} -exist`);
      for (const k of wantK.keys)
        if (!haveK.keys.has(k)) out.line(`add ${name} ${wantK.text?.get(k) ?? k} -exist`);
      if (out.lines === before) {
        // Nothing to write: the belief becomes the keyed desired members (after a read, the
        // kernel's copy of them is dropped).
        const same = have.members === wantK.keys ? have : { ...have, members: wantK.keys };
        KEYED.add(wantK.keys);
        after.set(name, same);
        memo?.set(want.members, same);
        continue;
      }
    }
    out.endSet(name);
    changed.push(name);
    // The belief shares the desired members object when it was already keyed (no copy).
    const members = wantK.keys;
    KEYED.add(members);
    const snap: SetSnapshot = { name, type: want.type, family: want.family, maxelem: opts.maxElem, members };
    after.set(name, snap);
    memo?.set(want.members, snap);
  }
  const toDestroy = [...current.keys()].filter((n) => !desired.has(n)).sort();
  return {
    text: out.text(),
    toDestroy,
    changedSets: changed,
    after,
    lineSet: (line) => out.lineSet(line),
    tempsUsed: temp - opts.nextTemp,
  };
}
