// The rule scanner (felix/calc/rule_scanner.go): takes the policies and profiles the active rules
// calculator declares active, converts their rules (rule-convert.ts), keeps the IP sets each one
// references referenced in the IP set calculator, and hands the converted rules to the event
// sequencer. State: per active policy/profile, what its message was built from and its sets.
import type { PolicyID, ToDataplane } from '../../rules/dataplane-api/types.js';
import type { ModelPolicy, ModelProfileRules } from '../model/index.js';
import type { RulesSink } from './event-sequencer.js';
import type { IPSetSpec } from './ipsets.js';
import { convertRules } from './rule-convert.js';
import type { Selector } from '../selector/index.js';

/** The IP set calculator's reference counting, as the scanner uses it. */
export interface IPSetRefs {
  ref(spec: IPSetSpec): void;
  unref(id: string): void;
}

/** One active policy as the scanner needs it. */
export interface ScannedPolicy {
  readonly key: string;
  readonly id: PolicyID;
  readonly tier: string;
  readonly untracked: boolean;
  readonly preDnat: boolean;
  readonly model: ModelPolicy;
  /** The policy's selector, parsed once by the active-rules calculator. */
  readonly selector: Selector;
}

interface Scanned {
  /** What the message was built from; a change rebuilds it. */
  readonly source: string;
  readonly sets: readonly string[];
}

export class RuleScanner {
  private readonly policies = new Map<string, Scanned>();
  private readonly profiles = new Map<string, Scanned>();

  constructor(
    private readonly ipsets: IPSetRefs,
    private readonly sink: RulesSink,
  ) {}

  get activePolicyCount(): number {
    return this.policies.size;
  }

  get activeProfileCount(): number {
    return this.profiles.size;
  }

  /** True if the policy is active and was built from `source` (nothing to do). */
  policyIsCurrent(key: string, source: string): boolean {
    return this.policies.get(key)?.source === source;
  }

  profileIsCurrent(name: string, source: string): boolean {
    return this.profiles.get(name)?.source === source;
  }

  onPolicyActive(rec: ScannedPolicy, source: string): void {
    const pk = rec.key;
    const cur = this.policies.get(pk);
    if (cur && cur.source === source) return;
    const specs = new Map<string, IPSetSpec>();
    const msg: ToDataplane = {
      kind: 'activePolicyUpdate',
      id: rec.id,
      policy: {
        namespace: rec.id.namespace,
        inboundRules: convertRules(rec.model.inbound_rules, `pol-in-default/${pk}`, specs),
        outboundRules: convertRules(rec.model.outbound_rules, `pol-out-default/${pk}`, specs),
        untracked: rec.untracked,
        preDnat: rec.preDnat,
        // Normalised as Felix's rule scanner does (selector.Normalise: the canonical text); policy
        // groups (cali-gi-/cali-go-) hash this text.
        originalSelector: rec.selector.canonical(),
        tier: rec.tier,
      },
    };
    this.swapSets(cur?.sets ?? [], specs);
    this.policies.set(pk, { source, sets: [...specs.keys()] });
    this.sink.onPolicyActive(pk, msg);
  }

  onPolicyInactive(pk: string): void {
    const cur = this.policies.get(pk);
    if (!cur) return;
    this.swapSets(cur.sets, new Map());
    this.policies.delete(pk);
    this.sink.onPolicyInactive(pk, parsePolicyKey(pk));
  }

  onProfileActive(name: string, model: ModelProfileRules, source: string): void {
    const cur = this.profiles.get(name);
    if (cur && cur.source === source) return;
    const specs = new Map<string, IPSetSpec>();
    const msg: ToDataplane = {
      kind: 'activeProfileUpdate',
      id: { name },
      profile: {
        inboundRules: convertRules(model.inbound_rules, `prof-in-${name}`, specs),
        outboundRules: convertRules(model.outbound_rules, `prof-out-${name}`, specs),
      },
    };
    this.swapSets(cur?.sets ?? [], specs);
    this.profiles.set(name, { source, sets: [...specs.keys()] });
    this.sink.onProfileActive(name, msg);
  }

  onProfileInactive(name: string): void {
    const cur = this.profiles.get(name);
    if (!cur) return;
    this.swapSets(cur.sets, new Map());
    this.profiles.delete(name);
    this.sink.onProfileInactive(name);
  }

  /** Reference the new sets before releasing the old ones so shared sets do not flap. */
  private swapSets(old: readonly string[], next: ReadonlyMap<string, IPSetSpec>): void {
    for (const spec of next.values()) this.ipsets.ref(spec);
    for (const id of old) this.ipsets.unref(id);
  }
}

/** "<kind>/<ns>/<name>" or "<kind>/<name>" (policyIdString) back to an ID. */
export function parsePolicyKey(pk: string): PolicyID {
  const parts = pk.split('/');
  return parts.length === 3
    ? { kind: parts[0] as string, namespace: parts[1] as string, name: parts[2] as string }
    : { kind: parts[0] as string, namespace: '', name: parts.slice(1).join('/') };
}
