// Policy groups (felix/rules/endpoints.go, Felix ≥ v3.28): consecutive policies in a tier with
// the same policy selector share one cali-gi-/cali-go- chain when the group has two or more non-staged
// policies, so endpoints that share the policies share the chain.
import { createHash } from 'node:crypto';
import type { PolicyID, TierInfo } from '../dataplane-api/types.js';
import type { MarkBits } from './marks.js';
import { act, m, rule, type IChain, type IRule } from './rule.js';
import { isStaged, kindLong, policyChainName } from './policy-render.js';

export type PolicyDirection = 'inbound' | 'outbound';

export interface PolicyGroup {
  readonly direction: PolicyDirection;
  readonly selector: string;
  readonly policies: readonly PolicyID[];
}

export interface TierPlan {
  readonly name: string;
  readonly defaultAction: string;
  readonly ingress: readonly PolicyGroup[];
  readonly egress: readonly PolicyGroup[];
}

/** groupPolicies: split a tier's policy list into runs that share a selector. */
export function groupPolicies(
  ids: readonly PolicyID[],
  direction: PolicyDirection,
  selectorOf: (id: PolicyID) => string,
): PolicyGroup[] {
  const groups: { direction: PolicyDirection; selector: string; policies: PolicyID[] }[] = [];
  for (const id of ids) {
    const sel = selectorOf(id);
    const last = groups[groups.length - 1];
    if (last && last.selector === sel) last.policies.push(id);
    else groups.push({ direction, selector: sel, policies: [id] });
  }
  return groups;
}

export function planTiers(tiers: readonly TierInfo[], selectorOf: (id: PolicyID) => string): TierPlan[] {
  return tiers.map((t) => ({
    name: t.name,
    defaultAction: t.defaultAction ?? 'Deny',
    ingress: groupPolicies(t.ingressPolicies, 'inbound', selectorOf),
    egress: groupPolicies(t.egressPolicies, 'outbound', selectorOf),
  }));
}

export function hasNonStaged(g: PolicyGroup): boolean {
  return g.policies.some((p) => !isStaged(p));
}

/** Groups with fewer than two non-staged policies are inlined into the endpoint chain. */
export function shouldInline(g: PolicyGroup): boolean {
  return g.policies.filter((p) => !isStaged(p)).length <= 1;
}

/** Felix's types.PolicyID.String(), which Felix (with long kind names) feeds into the group UID. */
function policyIdGoString(id: PolicyID): string {
  return `{Name: ${id.name}, Namespace: ${id.namespace}, Kind: ${kindLong(id.kind)}}`;
}

/** PolicyGroup.UniqueID: 20 characters of base64url(SHA3-224(selector, direction, count, each ID)). */
export function groupUid(g: PolicyGroup): string {
  // Each field is followed by "\n". Every endpoint that uses a group asks again on every compile (and
  // per family), so the UIDs are memoised on the group (planned groups are shared by the endpoints
  // with the same tiers, tier-planner.ts) and on the hashed text.
  const known = uidByGroup.get(g);
  if (known !== undefined) return known;
  let text = `${g.selector}\n${g.direction}\n${g.policies.length}\n`;
  for (const p of g.policies) text += `${policyIdGoString(p)}\n`;
  let uid = uidMemo.get(text);
  if (uid === undefined) {
    uid = createHash('sha3-224').update(text, 'utf8').digest('base64url').slice(0, 20);
    if (uidMemo.size >= UID_MEMO_MAX) uidMemo.clear();
    uidMemo.set(text, uid);
  }
  uidByGroup.set(g, uid);
  return uid;
}

/** A group's fields never change once planned (PolicyGroup is read-only). */
const uidByGroup = new WeakMap<PolicyGroup, string>();

const UID_MEMO_MAX = 10_000;
const uidMemo = new Map<string, string>();

export function groupChainName(g: PolicyGroup): string {
  return (g.direction === 'inbound' ? 'cali-gi-' : 'cali-go-') + groupUid(g);
}

/** PolicyGroupToIptablesChains: jumps in blocks of 5, each later jump guarded, "Return on verdict" between. */
export function groupChain(g: PolicyGroup, marks: MarkBits): IChain {
  const verdict = marks.pass | marks.accept;
  const dir = g.direction === 'inbound' ? 'in' : 'out';
  const rules: IRule[] = [];
  let count = -1;
  for (const p of g.policies) {
    if (isStaged(p)) continue;
    count++;
    if (count !== 0 && count % 5 === 0)
      rules.push(rule([m.markNotClear(verdict)], act.ret(), 'Return on verdict'));
    rules.push(rule(count % 5 === 0 ? [] : [m.markClear(verdict)], act.jump(policyChainName(dir, p))));
  }
  const direction = g.direction === 'inbound' ? 'ingress' : 'egress';
  return { name: groupChainName(g), rules, source: { kind: 'policy-group', id: groupUid(g), direction } };
}
