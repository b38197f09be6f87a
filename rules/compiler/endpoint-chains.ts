// Per-endpoint chains: cali-tw-/cali-fw- for workloads, cali-th-/cali-fh-/cali-thfw-/cali-fhfw- for
// host endpoints (felix/rules/endpoints.go; the failsafe chains are in felix/rules/static.go).
import type { ChainSource } from '../model.js';
import type { MarkBits } from './marks.js';
import { safeChainName } from './hash.js';
import { act, m, rule, type Action, type IChain, type IRule } from './rule.js';
import { isStaged, policyChainName, profileChainName } from './policy-render.js';
import { groupChainName, hasNonStaged, shouldInline, type TierPlan } from './policy-groups.js';

/**
 * felix/rules/endpoints.go endpointChainType: normal and forward chains live in the filter table (and the
 * mangle table's cali-th- egress chains are normal chains with a RETURN allow action); untracked chains
 * live in raw, pre-DNAT chains in mangle.
 */
export type EndpointChainType = 'normal' | 'forward' | 'untracked' | 'preDNAT';

export interface EndpointCtx {
  readonly marks: MarkBits;
  /** IptablesFilterAllowAction (ACCEPT or RETURN). */
  readonly allowAction: Action;
  readonly denyAction: Action;
  /** "Drop" or "Reject": Felix prints the deny action's name into some comments. */
  readonly denyName: string;
  readonly vxlanPort: number;
  readonly disableConntrackInvalid: boolean;
}

export interface EndpointChainSpec {
  readonly chainPrefix: string;
  readonly ifaceSuffix: string;
  /** Tiers with their policies already grouped (felix/rules/endpoints.go). */
  readonly tiers: readonly TierPlan[];
  readonly profileIds: readonly string[];
  readonly direction: 'ingress' | 'egress';
  readonly chainType: EndpointChainType;
  readonly adminUp: boolean;
  /** cali-failsafe-in/out for host endpoints, none for workloads and forward chains. */
  readonly failsafeChain?: string;
  readonly dropVXLAN: boolean;
  readonly dropIPIP: boolean;
  /** The endpoint the chain implements (kind, interface name, policy direction). */
  readonly source: ChainSource;
}

/** endpointIptablesChain (felix/rules/endpoints.go). */
export function endpointChain(spec: EndpointChainSpec, ctx: EndpointCtx): IChain {
  const name = safeChainName(spec.chainPrefix, spec.ifaceSuffix);
  const { marks } = ctx;
  if (!spec.adminUp) {
    return { name, rules: [rule([], ctx.denyAction, 'Endpoint admin disabled')], source: spec.source };
  }
  const rules: IRule[] = [];
  const untracked = spec.chainType === 'untracked';
  // Conntrack (row 2/3), not in untracked chains: the raw table runs before conntrack. With a RETURN allow
  // action the accept bit is set first so callers can see it (appendConntrackRules).
  if (!untracked) {
    if (ctx.allowAction.isReturn)
      rules.push(rule([m.conntrackState('RELATED,ESTABLISHED')], act.setMark(marks.accept)));
    rules.push(rule([m.conntrackState('RELATED,ESTABLISHED')], ctx.allowAction));
    if (!ctx.disableConntrackInvalid) rules.push(rule([m.conntrackState('INVALID')], ctx.denyAction));
  }
  if (spec.failsafeChain) rules.push(rule([], act.jump(spec.failsafeChain)));
  rules.push(rule([], act.clearMark(marks.accept | marks.pass)));
  if (spec.dropVXLAN) {
    rules.push(
      rule(
        [m.protocol('17'), m.destPorts(String(ctx.vxlanPort))],
        ctx.denyAction,
        `${ctx.denyName} VXLAN encapped packets originating in workloads`,
      ),
    );
  }
  if (spec.dropIPIP) {
    rules.push(
      rule(
        [m.protocol('4')],
        ctx.denyAction,
        `${ctx.denyName} IPinIP encapped packets originating in workloads`,
      ),
    );
  }
  const polDir = spec.direction === 'ingress' ? 'in' : 'out';
  for (const tier of spec.tiers) {
    const groups = spec.direction === 'ingress' ? tier.ingress : tier.egress;
    if (groups.length === 0) continue;
    rules.push(rule([], act.clearMark(marks.pass), `Start of tier ${tier.name}`));
    // A tier made only of staged policies gets no end-of-tier drop (staged policies never give a verdict).
    let endOfTierDrop = false;
    for (const g of groups) {
      const nonStaged = hasNonStaged(g);
      if (nonStaged) endOfTierDrop = true;
      const targets = shouldInline(g)
        ? g.policies.filter((p) => !isStaged(p)).map((p) => policyChainName(polDir, p))
        : [groupChainName(g)];
      for (const t of targets) {
        rules.push(rule([m.markClear(marks.pass)], act.jump(t)));
        if (!nonStaged) continue;
        // An untracked allow is "NOTRACK and allow" (felix/rules/endpoints.go).
        if (untracked) rules.push(rule([m.markSingleBitSet(marks.accept)], act.noTrack()));
        rules.push(rule([m.markSingleBitSet(marks.accept)], act.ret(), 'Return if policy accepted'));
      }
    }
    // No end-of-tier drop when the tier's default action is Pass, and none in untracked and pre-DNAT
    // chains, where the filter table's normal policy still follows (felix/rules/endpoints.go).
    const dropAtEnd = spec.chainType === 'normal' || spec.chainType === 'forward';
    if (dropAtEnd && endOfTierDrop && tier.defaultAction !== 'Pass') {
      rules.push(
        rule(
          [m.markClear(marks.pass)],
          ctx.denyAction,
          `End of tier ${tier.name}. ${ctx.denyName} if no policies passed packet`,
        ),
      );
    }
  }
  if (spec.chainType === 'forward') {
    if (spec.tiers.length === 0) {
      rules.push(rule([], act.setMark(marks.accept), 'Allow forwarded traffic by default'));
      rules.push(rule([], act.ret(), 'Return for accepted forward traffic'));
    }
    return { name, rules, source: spec.source };
  }
  // Profiles are not rendered into the raw table nor into pre-DNAT chains.
  if (spec.chainType !== 'normal') return { name, rules, source: spec.source };
  for (const prof of spec.profileIds) {
    rules.push(rule([], act.jump(profileChainName(polDir, prof))));
    rules.push(rule([m.markSingleBitSet(marks.accept)], act.ret(), 'Return if profile accepted'));
  }
  rules.push(rule([], ctx.denyAction, `${ctx.denyName} if no profiles matched`));
  return { name, rules, source: spec.source };
}
