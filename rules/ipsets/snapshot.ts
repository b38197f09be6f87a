// Parsing `ipset save` (one call lists every set with its header and members; Felix: felix/ipsets/ipsets.go).
import type { IpFamily } from '../model.js';
import { canonicalMember, ownedFamily } from './names.js';

export interface SetSnapshot {
  readonly name: string;
  readonly type: string;
  readonly family: IpFamily;
  readonly maxelem: number | undefined;
  /** Canonical members (see canonicalMember). */
  readonly members: ReadonlySet<string>;
}

export type IpsetSnapshot = ReadonlyMap<string, SetSnapshot>;

/** Keeps only sets we own for the given families. */
export function parseIpsetSave(text: string, families: readonly IpFamily[]): Map<string, SetSnapshot> {
  const sets = new Map<
    string,
    { name: string; type: string; family: IpFamily; maxelem: number | undefined; members: Set<string> }
  >();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'create' && parts.length >= 3) {
      const name = parts[1]!;
      const fam = ownedFamily(name);
      if (fam === undefined || !families.includes(fam)) continue;
      const fi = parts.indexOf('family');
      const family: IpFamily = fi >= 0 && parts[fi + 1] === 'inet6' ? 6 : 4;
      const mi = parts.indexOf('maxelem');
      const maxelem = mi >= 0 ? Number(parts[mi + 1]) : undefined;
      sets.set(name, { name, type: parts[2]!, family, maxelem, members: new Set() });
    } else if (parts[0] === 'add' && parts.length >= 3) {
      const s = sets.get(parts[1]!);
      if (s) s.members.add(canonicalMember(s.type, parts[2]!));
    }
  }
  return sets;
}
