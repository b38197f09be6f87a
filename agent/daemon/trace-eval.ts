// One direction of `felix-ts trace`: the first packet of a connection through one local workload's
// policy chain (cali-fw-<iface> for its egress, cali-tw-<iface> for its ingress) with the
// semantics rules/compiler/endpoint-chains.ts renders (felix/rules/endpoints.go): admin-down drop,
// the encapsulated-packet drops on egress, each tier in order (a policy's allow or deny decides, a
// pass goes to the next tier, no verdict ends in the tier's drop unless its default action is
// Pass; staged policies never decide and a tier of only staged policies has no drop), then the
// profiles in order, then "Drop if no profiles matched". The rule that decided is mapped to the
// chain and rule hashes the compiler produced (DesiredState). Pure: no I/O.
import {
  policyIdString,
  type PolicyID,
  type Rule,
  type WorkloadEndpoint,
} from '../../rules/dataplane-api/types.js';
import { isStaged, type CompilerConfig, type DataplaneState } from '../../rules/compiler/index.js';
import type { Chain, DesiredState, RenderedRule } from '../../rules/model.js';
import {
  ruleMismatch,
  selectorDisagreement,
  type EndLabels,
  type IpSetView,
  type TracePacket,
} from './trace-match.js';

export type Verdict = 'allow' | 'deny';

/** What gave the verdict. */
export type DecidedBy =
  'policy' | 'end-of-tier' | 'profile' | 'no-profile-matched' | 'admin-down' | 'encap-drop';

/** One iptables rule of the kernel's filter table that implements the decision. */
export interface KernelRule {
  readonly table: 'filter';
  readonly ipVersion: 4 | 6;
  readonly chain: string;
  /** Position in the chain (0-based). */
  readonly index: number;
  readonly hash: string;
  readonly body: string;
}

/** One rule or tier end seen on the way, in evaluation order. */
export interface TraceStep {
  readonly tier?: string;
  readonly policy?: string;
  readonly profile?: string;
  readonly rule?: number;
  readonly ruleId?: string;
  readonly action?: string;
  readonly result:
    | 'no-match'
    | 'log'
    | 'allow'
    | 'deny'
    | 'pass'
    | 'end-of-tier-deny'
    | 'end-of-tier-pass'
    | 'staged-skipped'
    | 'missing';
  /** Why a rule did not match. */
  readonly why?: string;
  /** The rule's selectors on the local ends' labels disagree with the IP sets (trace-match.ts selectorDisagreement). */
  readonly selectorCheck?: string;
}

export interface DirectionTrace {
  readonly direction: 'ingress' | 'egress';
  /** The endpoint's workload key ("k8s/prod/web/eth0") and interface. */
  readonly endpoint: string;
  readonly iface: string;
  readonly verdict: Verdict;
  readonly decidedBy: DecidedBy;
  readonly tier?: string;
  readonly policy?: string;
  readonly profile?: string;
  readonly rule?: number;
  readonly ruleId?: string;
  readonly action?: string;
  /** The endpoint's own chain, where evaluation starts. */
  readonly endpointChain?: string;
  /** The kernel rule(s) that implement the decision; the last one carries the verdict. Empty before the first compile. */
  readonly kernel: readonly KernelRule[];
  readonly steps: readonly TraceStep[];
}

export interface TraceSources {
  readonly state: DataplaneState;
  readonly config: CompilerConfig;
  readonly desired: DesiredState | undefined;
  /** Labels of the local ends, for the selector cross-check (absent: no cross-check). */
  readonly labels?: EndLabels;
}

interface Decision {
  readonly verdict: Verdict;
  readonly decidedBy: DecidedBy;
  readonly tier?: string;
  readonly policy?: string;
  readonly profile?: string;
  readonly rule?: number;
  readonly ruleId?: string;
  readonly action?: string;
}

type RuleOutcome =
  { kind: 'verdict'; verdict: Verdict; index: number; rule: Rule } | { kind: 'pass' } | { kind: 'none' };

/** Runs one rule list (a policy's or profile's chain): the first allow, deny or pass decides; log goes on. */
function runRules(
  rules: readonly Rule[],
  p: TracePacket,
  ctx: { readonly sets: IpSetView; readonly labels: EndLabels },
  where: Pick<TraceStep, 'tier' | 'policy' | 'profile'>,
  steps: TraceStep[],
): RuleOutcome {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as Rule;
    const check = selectorDisagreement(r, p, ctx.sets, ctx.labels);
    const base = {
      ...where,
      rule: i,
      ...(r.ruleId ? { ruleId: r.ruleId } : {}),
      action: r.action || 'allow',
      ...(check !== undefined ? { selectorCheck: check } : {}),
    };
    const why = ruleMismatch(r, p, ctx.sets);
    if (why !== undefined) {
      steps.push({ ...base, result: 'no-match', why });
      continue;
    }
    switch (r.action) {
      case 'log':
        steps.push({ ...base, result: 'log' });
        continue;
      case 'pass':
      case 'next-tier':
        steps.push({ ...base, result: 'pass' });
        return { kind: 'pass' };
      case 'deny':
        steps.push({ ...base, result: 'deny' });
        return { kind: 'verdict', verdict: 'deny', index: i, rule: r };
      default:
        steps.push({ ...base, result: 'allow' });
        return { kind: 'verdict', verdict: 'allow', index: i, rule: r };
    }
  }
  return { kind: 'none' };
}

function ruleDecision(o: {
  verdict: Verdict;
  index: number;
  rule: Rule;
}): Pick<Decision, 'verdict' | 'rule' | 'ruleId' | 'action'> {
  return {
    verdict: o.verdict,
    rule: o.index,
    ...(o.rule.ruleId ? { ruleId: o.rule.ruleId } : {}),
    action: o.rule.action || 'allow',
  };
}

/** The tiers, then the profiles (endpoint-chains.ts endpointChain, chainType normal). */
function decide(
  ep: WorkloadEndpoint,
  direction: 'ingress' | 'egress',
  p: TracePacket,
  src: TraceSources,
  steps: TraceStep[],
): Decision {
  const { state, config } = src;
  const ctx = { sets: state.ipsets, labels: src.labels ?? {} };
  if (ep.state !== 'active') return { verdict: 'deny', decidedBy: 'admin-down' };
  if (direction === 'egress') {
    if (!config.allowVXLANPacketsFromWorkloads && p.protocol === 17 && p.dstPort === config.vxlanPort)
      return { verdict: 'deny', decidedBy: 'encap-drop', action: 'vxlan' };
    if (!config.allowIPIPPacketsFromWorkloads && p.protocol === 4)
      return { verdict: 'deny', decidedBy: 'encap-drop', action: 'ipip' };
  }
  for (const tier of ep.tiers) {
    const ids: readonly PolicyID[] = direction === 'ingress' ? tier.ingressPolicies : tier.egressPolicies;
    if (ids.length === 0) continue;
    let passed = false;
    let anyNonStaged = false;
    for (const id of ids) {
      const policy = policyIdString(id);
      if (isStaged(id)) {
        steps.push({ tier: tier.name, policy, result: 'staged-skipped' });
        continue;
      }
      anyNonStaged = true;
      const entry = state.policies.get(policy);
      if (!entry) {
        // The compiler programs a chain it has no policy for empty (rules/compiler/table.ts).
        steps.push({ tier: tier.name, policy, result: 'missing' });
        continue;
      }
      const rules = direction === 'ingress' ? entry.policy.inboundRules : entry.policy.outboundRules;
      const o = runRules(rules, p, ctx, { tier: tier.name, policy }, steps);
      if (o.kind === 'verdict') return { ...ruleDecision(o), decidedBy: 'policy', tier: tier.name, policy };
      if (o.kind === 'pass') {
        passed = true;
        break;
      }
    }
    if (passed || !anyNonStaged) continue;
    if (tier.defaultAction === 'Pass') {
      steps.push({ tier: tier.name, result: 'end-of-tier-pass' });
      continue;
    }
    steps.push({ tier: tier.name, result: 'end-of-tier-deny' });
    return { verdict: 'deny', decidedBy: 'end-of-tier', tier: tier.name };
  }
  for (const profile of ep.profileIds) {
    const prof = state.profiles.get(profile);
    if (!prof) {
      steps.push({ profile, result: 'missing' });
      continue;
    }
    const rules = direction === 'ingress' ? prof.inboundRules : prof.outboundRules;
    const o = runRules(rules, p, ctx, { profile }, steps);
    if (o.kind === 'verdict') return { ...ruleDecision(o), decidedBy: 'profile', profile };
  }
  return { verdict: 'deny', decidedBy: 'no-profile-matched' };
}

function filterTable(
  desired: DesiredState | undefined,
  family: 4 | 6,
): ReadonlyMap<string, Chain> | undefined {
  return desired?.tables.find((t) => t.table === 'filter' && t.family === family)?.chains;
}

function kernelRules(
  chain: Chain | undefined,
  family: 4 | 6,
  pick: (r: RenderedRule) => boolean,
): KernelRule[] {
  if (!chain) return [];
  const out: KernelRule[] = [];
  chain.rules.forEach((r, index) => {
    if (pick(r))
      out.push({ table: 'filter', ipVersion: family, chain: chain.name, index, hash: r.hash, body: r.body });
  });
  return out;
}

/** The endpoint chain's rule with this comment text (the compiler's comments, endpoint-chains.ts). */
function commentRule(chain: Chain | undefined, family: 4 | 6, text: string): KernelRule[] {
  return kernelRules(chain, family, (r) => r.body.includes(text)).slice(-1);
}

function kernelFor(
  d: Decision,
  epChain: Chain | undefined,
  chains: ReadonlyMap<string, Chain> | undefined,
  family: 4 | 6,
  direction: 'ingress' | 'egress',
): KernelRule[] {
  const sourced = (kind: 'policy' | 'profile', id: string): KernelRule[] => {
    const c = [...(chains?.values() ?? [])].find(
      (x) => x.source?.kind === kind && x.source.id === id && x.source.direction === direction,
    );
    return kernelRules(c, family, (r) => r.source?.index === d.rule);
  };
  switch (d.decidedBy) {
    case 'policy':
      return sourced('policy', d.policy ?? '');
    case 'profile':
      return sourced('profile', d.profile ?? '');
    case 'end-of-tier':
      return commentRule(epChain, family, `End of tier ${d.tier ?? ''}.`);
    case 'no-profile-matched':
      return commentRule(epChain, family, 'if no profiles matched');
    case 'admin-down':
      return commentRule(epChain, family, 'Endpoint admin disabled');
    case 'encap-drop':
      return commentRule(epChain, family, d.action === 'ipip' ? 'IPinIP encapped' : 'VXLAN encapped');
  }
}

/** Traces one direction of one local workload. */
export function traceDirection(
  key: string,
  ep: WorkloadEndpoint,
  direction: 'ingress' | 'egress',
  p: TracePacket,
  src: TraceSources,
): DirectionTrace {
  const steps: TraceStep[] = [];
  const d = decide(ep, direction, p, src, steps);
  const chains = filterTable(src.desired, p.family);
  const epChain = [...(chains?.values() ?? [])].find(
    (c) =>
      c.source?.kind === 'workload-endpoint' && c.source.id === ep.name && c.source.direction === direction,
  );
  return {
    direction,
    endpoint: key,
    iface: ep.name,
    ...d,
    ...(epChain ? { endpointChain: epChain.name } : {}),
    kernel: kernelFor(d, epChain, chains, p.family, direction),
    steps,
  };
}
