// Each endpoint's tiers grouped into policy groups (policy-groups.ts), planned once per compile and
// shared by every table and family that renders endpoint chains.
import type { PolicyID, TierInfo } from '../dataplane-api/types.js';
import { groupChainName, planTiers, shouldInline, type PolicyGroup, type TierPlan } from './policy-groups.js';
import { policyKey, type DataplaneState } from './state.js';

/** An endpoint's tiers grouped into policy groups; the same for both families. */
export interface PlannedTiers {
  readonly plans: readonly TierPlan[];
  /** The groups that get their own chain, by chain name. */
  readonly groups: ReadonlyArray<readonly [string, PolicyGroup]>;
  /** JSON of plans: part of the memo key of chains built from them. */
  readonly key: string;
}

export type TierPlanner = (tiers: readonly TierInfo[]) => PlannedTiers;

/** Plans each endpoint's tiers once per compile (memoised on the tiers array), not once per family. */
export function tierPlanner(state: DataplaneState): TierPlanner {
  // Policy groups need each policy's selector; a policy that has not arrived groups under "" like Felix.
  const selectorOf = (id: PolicyID): string =>
    state.policies.get(policyKey(id))?.policy.originalSelector ?? '';
  const memo = new Map<readonly TierInfo[], PlannedTiers>();
  return (tiers) => {
    let p = memo.get(tiers);
    if (!p) {
      const plans = planTiers(tiers, selectorOf);
      const groups: [string, PolicyGroup][] = [];
      for (const t of plans) {
        for (const g of [...t.ingress, ...t.egress])
          if (!shouldInline(g)) groups.push([groupChainName(g), g]);
      }
      p = { plans, groups, key: JSON.stringify(plans) };
      memo.set(tiers, p);
    }
    return p;
  };
}
