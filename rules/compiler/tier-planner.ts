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
  /** JSON of the ingress (egress) half of plans: the key of one direction's endpoint chain. */
  readonly ingressKey: string;
  readonly egressKey: string;
}

export type TierPlanner = (tiers: readonly TierInfo[]) => PlannedTiers;

/**
 * Per state: the plans by tiers array, and by the tiers' content (endpoints with the same policies
 * share one plan: 52 distinct lists among bench/scale's 250 endpoints), valid while every policy's
 * selector stays as recorded. A content entry no compile asked for in the last two goes.
 */
interface PlannerMemo {
  readonly selectors: Map<string, string>;
  plans: WeakMap<readonly TierInfo[], PlannedTiers>;
  byContent: Map<string, PlannedTiers>;
  lastContent: Map<string, PlannedTiers>;
}
const MEMO = new WeakMap<DataplaneState, PlannerMemo>();

/**
 * The planner memo of this state, emptied when a policy's selector changed, or a policy came or went,
 * since the last compile (grouping depends on the selectors, felix/rules/endpoints.go).
 */
function plannerMemo(state: DataplaneState): PlannerMemo {
  let m = MEMO.get(state);
  if (!m) {
    m = { selectors: new Map(), plans: new WeakMap(), byContent: new Map(), lastContent: new Map() };
    MEMO.set(state, m);
  }
  let same = m.selectors.size === state.policies.size;
  for (const [k, e] of state.policies) {
    const sel = e.policy.originalSelector ?? '';
    if (m.selectors.get(k) !== sel) {
      same = false;
      m.selectors.set(k, sel);
    }
  }
  if (!same) {
    for (const k of m.selectors.keys()) if (!state.policies.has(k)) m.selectors.delete(k);
    m.plans = new WeakMap();
    m.byContent = new Map();
  }
  m.lastContent = m.byContent;
  m.byContent = new Map();
  return m;
}

/**
 * Plans each endpoint's tiers once (memoised on the tiers array, and on its content, across compiles
 * while the policies' selectors are unchanged), not once per family.
 */
export function tierPlanner(state: DataplaneState): TierPlanner {
  // Policy groups need each policy's selector; a policy that has not arrived groups under "" like Felix.
  const selectorOf = (id: PolicyID): string =>
    state.policies.get(policyKey(id))?.policy.originalSelector ?? '';
  const m = plannerMemo(state);
  return (tiers) => {
    let p = m.plans.get(tiers);
    if (p) return p;
    const content = JSON.stringify(tiers);
    p = m.byContent.get(content) ?? m.lastContent.get(content) ?? plan(tiers, selectorOf);
    m.byContent.set(content, p);
    m.plans.set(tiers, p);
    return p;
  };
}

function plan(tiers: readonly TierInfo[], selectorOf: (id: PolicyID) => string): PlannedTiers {
  const plans = planTiers(tiers, selectorOf);
  const groups: [string, PolicyGroup][] = [];
  for (const t of plans) {
    for (const g of [...t.ingress, ...t.egress]) if (!shouldInline(g)) groups.push([groupChainName(g), g]);
  }
  const ingressKey = JSON.stringify(plans.map((t) => [t.name, t.defaultAction, t.ingress]));
  const egressKey = JSON.stringify(plans.map((t) => [t.name, t.defaultAction, t.egress]));
  return { plans, groups, key: `${ingressKey}|${egressKey}`, ingressKey, egressKey };
}
