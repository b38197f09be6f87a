// Tier and policy ordering (felix/calc/policy_sorter.go).
import { compareBytes } from '../selector/index.js';

export interface TierSortKey {
  readonly name: string;
  /** False for a tier only referenced by policies (no Tier KV). */
  readonly valid: boolean;
  readonly order: number | undefined;
}

export function compareTiers(a: TierSortKey, b: TierSortKey): number {
  if (a.valid !== b.valid) return a.valid ? -1 : 1;
  if (a.order !== b.order) {
    if (a.order === undefined) return 1;
    if (b.order === undefined) return -1;
    return a.order - b.order;
  }
  return compareBytes(a.name, b.name);
}

export interface PolicySortKey {
  readonly order: number | undefined;
  /** `<name>/<namespace>/<kind>` (v3.32+ tie-break). */
  readonly tieBreak: string;
}

export function comparePolicies(a: PolicySortKey, b: PolicySortKey): number {
  if (a.order !== b.order) {
    if (a.order === undefined) return 1;
    if (b.order === undefined) return -1;
    return a.order - b.order;
  }
  return compareBytes(a.tieBreak, b.tieBreak);
}
