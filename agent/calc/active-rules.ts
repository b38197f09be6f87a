// The active rules calculator (felix/calc/active_rules_calculator.go): which policies and profiles
// apply on this host. It matches policy selectors against local endpoints (a label index over
// local endpoints only) and counts profile references from local endpoints; a policy is active
// while it matches a local endpoint (or carries the AssumeNeededOnEveryNode hint), a profile while
// a local endpoint references it. State: policies, tiers, profile rules, profile reference counts,
// the policy ↔ endpoint matches, and which policies/profiles need re-evaluating at the next flush.
// Outputs: activity to the rule scanner (at flush), "this endpoint's policies changed" to the
// event sequencer (at once), and the matching policies per endpoint for the policy resolver.
import { policyIdString, type PolicyID } from '../../rules/dataplane-api/types.js';
import {
  isStagedKind,
  shortPolicyKind,
  type Key,
  type ModelPolicy,
  type ModelProfileRules,
  type ModelTier,
  type PolicyKind,
} from '../model/index.js';
import type { Selector } from '../selector/index.js';
import { LabelIndex, type MatchListener } from './label-index.js';
import { sameTierPlacement, type ResolverPolicy } from './policy-resolver.js';
import { cachedSelector } from './rule-convert.js';
import type { RuleScanner, ScannedPolicy } from './rule-scanner.js';
import type { CalcLogger } from './types.js';

export interface PolicyRec extends ResolverPolicy, ScannedPolicy {
  readonly kind: PolicyKind;
  readonly selector: Selector;
  readonly assumeNeeded: boolean;
  readonly raw: string;
}

type PolicyKey = Key & { type: 'policy' };

const DENY_ALL: ModelProfileRules = {
  inbound_rules: [{ action: 'deny' }],
  outbound_rules: [{ action: 'deny' }],
};

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  s?.delete(v);
  if (s && s.size === 0) m.delete(k);
}

function policyIdOf(key: PolicyKey): PolicyID {
  return { name: key.name, namespace: key.namespace, kind: shortPolicyKind(key.kind) };
}

function policyRecord(key: PolicyKey, pk: string, tier: string, v: ModelPolicy, raw: string): PolicyRec {
  const types = (v.types ?? []).map((t) => t.toLowerCase());
  const both = types.length === 0;
  return {
    key: pk,
    id: policyIdOf(key),
    kind: key.kind,
    tier,
    order: v.order ?? undefined,
    tieBreak: `${key.name}/${key.namespace}/${key.kind}`,
    selector: cachedSelector(v.selector ?? ''),
    ingress: both || types.includes('ingress'),
    egress: both || types.includes('egress'),
    untracked: v.untracked === true,
    preDnat: v.pre_dnat === true,
    applyOnForward: v.apply_on_forward === true,
    assumeNeeded: (v.performance_hints ?? []).includes('AssumeNeededOnEveryNode'),
    model: v,
    raw,
  };
}

export class ActiveRulesCalculator implements MatchListener {
  private readonly policies = new Map<string, PolicyRec>();
  private readonly tierDefs = new Map<string, ModelTier>();
  private readonly tierPolicies = new Map<string, Set<string>>();
  private readonly profileRules = new Map<string, { model: ModelProfileRules; raw: string }>();
  private readonly profileRefs = new Map<string, number>();
  private readonly policyIndex = new LabelIndex(this);
  private readonly policyMatches = new Map<string, Set<string>>();
  private readonly endpointPolicies = new Map<string, Set<string>>();
  private readonly dirtyPolicies = new Set<string>();
  private readonly dirtyProfiles = new Set<string>();
  private inSync = false;

  /** `endpointDirty` hears of every local endpoint whose matching policies or their placement change. */
  constructor(
    private readonly scanner: RuleScanner,
    private readonly endpointDirty: (endpointKey: string) => void,
    private readonly log: CalcLogger,
  ) {}

  // ---- label index listener (policy selector ↔ local endpoint) ----

  onMatchStarted(policyKey: string, endpointKey: string): void {
    addTo(this.policyMatches, policyKey, endpointKey);
    addTo(this.endpointPolicies, endpointKey, policyKey);
    this.dirtyPolicies.add(policyKey);
    this.endpointDirty(endpointKey);
  }

  onMatchStopped(policyKey: string, endpointKey: string): void {
    removeFrom(this.policyMatches, policyKey, endpointKey);
    removeFrom(this.endpointPolicies, endpointKey, policyKey);
    this.dirtyPolicies.add(policyKey);
    this.endpointDirty(endpointKey);
  }

  onInSync(): void {
    this.inSync = true;
  }

  // ---- inputs ----

  onTierUpdate(name: string, tier: ModelTier | undefined): void {
    if (tier) this.tierDefs.set(name, tier);
    else if (!this.tierDefs.delete(name)) return;
    for (const pk of this.tierPolicies.get(name) ?? []) {
      for (const ep of this.policyMatches.get(pk) ?? []) this.endpointDirty(ep);
    }
  }

  onPolicyUpdate(key: PolicyKey, v: ModelPolicy | undefined, raw: string): void {
    const pk = policyIdString(policyIdOf(key));
    if (!v) {
      this.deletePolicy(pk);
      return;
    }
    if (isStagedKind(key.kind)) {
      // Staged policies are never enforced (felix/calc/active_rules_calculator.go); not sent at all.
      this.log.debug('calc: ignoring staged policy', { policy: pk });
      this.deletePolicy(pk);
      return;
    }
    const tier = key.legacyTier ?? (v.tier || 'default');
    const old = this.policies.get(pk);
    if (old && old.raw === raw && old.tier === tier) return;
    const rec = policyRecord(key, pk, tier, v, raw);
    if (old && old.tier !== tier) this.tierPolicies.get(old.tier)?.delete(pk);
    addTo(this.tierPolicies, tier, pk);
    this.policies.set(pk, rec);
    this.policyIndex.updateSelector(pk, rec.selector);
    // Endpoints that start or stop matching are dirtied by the index. The others only need
    // re-resolving if something the resolver reads changed (a rules-only edit leaves them as sent).
    if (!old || !sameTierPlacement(old, rec)) {
      for (const ep of this.policyMatches.get(pk) ?? []) this.endpointDirty(ep);
    }
    this.dirtyPolicies.add(pk);
  }

  private deletePolicy(pk: string): void {
    const old = this.policies.get(pk);
    if (!old) return;
    this.policyIndex.deleteSelector(pk);
    this.policies.delete(pk);
    removeFrom(this.tierPolicies, old.tier, pk);
    this.dirtyPolicies.add(pk);
  }

  onProfileRulesUpdate(name: string, model: ModelProfileRules | undefined, raw: string): void {
    if (model) this.profileRules.set(name, { model, raw });
    else if (!this.profileRules.delete(name)) return;
    this.dirtyProfiles.add(name);
  }

  /** A profile's labelsToApply, inherited by the endpoints that name it. */
  onProfileLabels(name: string, labels: ReadonlyMap<string, string> | undefined): void {
    this.policyIndex.updateParent(name, labels);
  }

  /** A local endpoint was added or changed (its previous profiles in `before`). */
  updateEndpoint(
    key: string,
    labels: ReadonlyMap<string, string>,
    before: readonly string[],
    profileIds: readonly string[],
  ): void {
    this.adjustProfileRefs(before, profileIds);
    this.policyIndex.updateItem(key, labels, profileIds);
  }

  removeEndpoint(key: string, profileIds: readonly string[]): void {
    this.adjustProfileRefs(profileIds, []);
    this.policyIndex.deleteItem(key);
  }

  private adjustProfileRefs(before: readonly string[], after: readonly string[]): void {
    for (const p of before) {
      if (after.includes(p)) continue;
      const n = (this.profileRefs.get(p) ?? 0) - 1;
      if (n <= 0) this.profileRefs.delete(p);
      else this.profileRefs.set(p, n);
      this.dirtyProfiles.add(p);
    }
    for (const p of after) {
      if (before.includes(p)) continue;
      this.profileRefs.set(p, (this.profileRefs.get(p) ?? 0) + 1);
      this.dirtyProfiles.add(p);
    }
  }

  // ---- outputs ----

  /** The policies matching a local endpoint (input of the policy resolver). */
  *policiesOf(endpointKey: string): Iterable<PolicyRec> {
    for (const pk of this.endpointPolicies.get(endpointKey) ?? []) {
      const rec = this.policies.get(pk);
      if (rec) yield rec;
    }
  }

  get tiers(): ReadonlyMap<string, ModelTier> {
    return this.tierDefs;
  }

  labelsOf(endpointKey: string): ReadonlyMap<string, string> | undefined {
    return this.policyIndex.labelsOf(endpointKey);
  }

  /** Re-evaluates the policies and profiles marked since the last flush; tells the rule scanner. */
  flush(): void {
    for (const pk of this.dirtyPolicies) {
      const rec = this.policies.get(pk);
      const want = rec !== undefined && ((this.policyMatches.get(pk)?.size ?? 0) > 0 || rec.assumeNeeded);
      if (want && rec) this.scanner.onPolicyActive(rec, `${rec.tier}\n${rec.raw}`);
      else this.scanner.onPolicyInactive(pk);
    }
    this.dirtyPolicies.clear();
    for (const name of this.dirtyProfiles) {
      if (!this.profileRefs.has(name)) {
        this.scanner.onProfileInactive(name);
        continue;
      }
      const rules = this.profileRules.get(name);
      const source = rules?.raw ?? '<deny-all>';
      if (this.scanner.profileIsCurrent(name, source)) continue;
      if (!rules && this.inSync)
        this.log.warn('calc: active profile has no rules; using deny-all', { profile: name });
      this.scanner.onProfileActive(name, rules?.model ?? DENY_ALL, source);
    }
    this.dirtyProfiles.clear();
  }
}
