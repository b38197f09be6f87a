// The policy resolver (felix/calc/policy_resolver.go, ordering from felix/calc/policy_sorter.go):
// a pure function from the policies matching one endpoint and the tier definitions to the
// endpoint's ordered tier lists. No state: the calc graph calls it when the event sequencer
// materialises a dirty endpoint, and the describe view calls it for `inspect`.
import type { PolicyID, TierInfo } from '../../rules/dataplane-api/types.js';
import type { ModelTier } from '../model/index.js';
import { comparePolicies, compareTiers } from './sorting.js';

/** What the resolver reads of a policy (active-rules.ts keeps the full record). */
export interface ResolverPolicy {
  readonly id: PolicyID;
  readonly tier: string;
  readonly order: number | undefined;
  /** `<name>/<namespace>/<kind>`: the tie-break after order. */
  readonly tieBreak: string;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly untracked: boolean;
  readonly preDnat: boolean;
  readonly applyOnForward: boolean;
}

export interface TierLists {
  readonly tiers: TierInfo[];
  readonly untrackedTiers: TierInfo[];
  readonly preDnatTiers: TierInfo[];
  readonly forwardTiers: TierInfo[];
}

/** True if the two records sort and split into tier lists identically (all resolveTiers reads). */
export function sameTierPlacement(a: ResolverPolicy, b: ResolverPolicy): boolean {
  return (
    a.tieBreak === b.tieBreak && // name, namespace and kind: the same id
    a.tier === b.tier &&
    a.order === b.order &&
    a.ingress === b.ingress &&
    a.egress === b.egress &&
    a.untracked === b.untracked &&
    a.preDnat === b.preDnat &&
    a.applyOnForward === b.applyOnForward
  );
}

function tierInfo(
  name: string,
  ps: readonly ResolverPolicy[],
  ingressOnly: boolean,
  action: string,
): TierInfo | null {
  const ingressPolicies = ps.filter((p) => p.ingress).map((p) => p.id);
  const egressPolicies = ingressOnly ? [] : ps.filter((p) => p.egress).map((p) => p.id);
  if (ingressPolicies.length === 0 && egressPolicies.length === 0) return null;
  return { name, ingressPolicies, egressPolicies, defaultAction: action };
}

/**
 * Orders the matching policies by tier, then policy order. Workload endpoints get the normal
 * tiers only; host endpoints also get untracked, pre-DNAT (ingress only) and forward tiers, whose
 * end-of-tier action is Pass for untracked and pre-DNAT (felix/calc/event_sequencer.go
 * tierInfoToProtoTierInfo).
 */
export function resolveTiers(
  isHost: boolean,
  matching: Iterable<ResolverPolicy>,
  tierDefs: ReadonlyMap<string, ModelTier>,
): TierLists {
  const byTier = new Map<string, ResolverPolicy[]>();
  for (const rec of matching) {
    let l = byTier.get(rec.tier);
    if (!l) byTier.set(rec.tier, (l = []));
    l.push(rec);
  }
  const tierNames = [...byTier.keys()]
    .map((name) => ({ name, valid: tierDefs.has(name), order: tierDefs.get(name)?.order ?? undefined }))
    .sort(compareTiers);
  const out: TierLists = { tiers: [], untrackedTiers: [], preDnatTiers: [], forwardTiers: [] };
  for (const t of tierNames) {
    const pols = (byTier.get(t.name) as ResolverPolicy[]).sort(comparePolicies);
    const tierAction = tierDefs.get(t.name)?.defaultAction === 'Pass' ? 'Pass' : 'Deny';
    const normal = pols.filter((p) => !p.untracked && !p.preDnat);
    const n = tierInfo(t.name, normal, false, tierAction);
    if (n) out.tiers.push(n);
    if (!isHost) continue; // WEPs get only the normal tiers.
    const u = tierInfo(
      t.name,
      pols.filter((p) => p.untracked),
      false,
      'Pass',
    );
    if (u) out.untrackedTiers.push(u);
    const pd = tierInfo(
      t.name,
      pols.filter((p) => p.preDnat),
      true,
      'Pass',
    );
    if (pd) out.preDnatTiers.push(pd);
    const f = tierInfo(
      t.name,
      normal.filter((p) => p.applyOnForward),
      false,
      tierAction,
    );
    if (f) out.forwardTiers.push(f);
  }
  return out;
}
