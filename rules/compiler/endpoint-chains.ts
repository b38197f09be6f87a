// Per-endpoint chains: cali-tw-/cali-fw- for workloads, cali-th-/cali-fh-/cali-thfw-/cali-fhfw- for
// host endpoints (felix/rules/endpoints.go; the failsafe chains are in felix/rules/static.go).
import type { QoSControls } from '../dataplane-api/types.js';
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
  /** This direction's QoS limits (workload endpoints' qosControls; normal chains only). */
  readonly qos?: EndpointQos;
}

/** One direction of a workload's QoSControls; 0 means no limit (felix/proto QoSControls). */
export interface EndpointQos {
  readonly packetRate: number;
  readonly packetBurst: number;
  readonly maxConnections: number;
}

const inRange = (n: number, lo: number, hi: number): boolean => Number.isInteger(n) && n >= lo && n <= hi;

/**
 * One direction of a workload's QoS controls for its endpoint chain, or undefined when it sets none. The
 * calc has checked the ranges already (agent/model/validate.ts); a message that still breaks the kernel's
 * limits (xt_limit's 10000, xt_connlimit's u32) loses that limit with a warning, where Felix would panic in
 * felix/iptables/actions.go.
 */
export function endpointQos(
  q: QoSControls | null | undefined,
  dir: 'ingress' | 'egress',
  warn: (text: string) => void,
): EndpointQos | undefined {
  if (!q) return undefined;
  let packetRate = q[`${dir}PacketRate`] ?? 0;
  let packetBurst = q[`${dir}PacketBurst`] ?? 0;
  let maxConnections = q[`${dir}MaxConnections`] ?? 0;
  if (packetRate !== 0 && !(inRange(packetRate, 1, 10_000) && inRange(packetBurst, 1, 10_000))) {
    warn(`${dir} packet rate ${packetRate} (burst ${packetBurst}) is outside 1..10000; not applied`);
    packetRate = packetBurst = 0;
  }
  if (maxConnections !== 0 && !inRange(maxConnections, 1, 4_294_967_295)) {
    warn(`${dir} max connections ${maxConnections} is outside 1..4294967295; not applied`);
    maxConnections = 0;
  }
  return packetRate === 0 && maxConnections === 0 ? undefined : { packetRate, packetBurst, maxConnections };
}

/** The packet-rate rules at the top of a normal endpoint chain, marking with scratch0 (felix/rules/endpoints.go). */
function packetRateRules(q: EndpointQos, dir: string, marks: MarkBits): IRule[] {
  const mark = marks.scratch0;
  const clear = rule([], act.clearMark(mark), `Clear ${dir} packet rate limit mark`);
  return [
    clear,
    rule(
      [],
      act.limitPacketRate(q.packetRate, q.packetBurst, mark),
      `Mark packets within ${dir} packet rate limit`,
    ),
    // r.Drop(), not the configured deny action.
    rule([m.notMarkMatchesWithMask(mark, mark)], act.drop(), `Drop packets over ${dir} packet rate limit`),
    clear,
  ];
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
  const qos = spec.chainType === 'normal' ? spec.qos : undefined;
  if (qos && qos.packetRate !== 0) rules.push(...packetRateRules(qos, spec.direction, marks));
  // Conntrack (row 2/3), not in untracked chains: the raw table runs before conntrack. With a RETURN allow
  // action the accept bit is set first so callers can see it (appendConntrackRules).
  if (!untracked) {
    if (ctx.allowAction.isReturn)
      rules.push(rule([m.conntrackState('RELATED,ESTABLISHED')], act.setMark(marks.accept)));
    rules.push(rule([m.conntrackState('RELATED,ESTABLISHED')], ctx.allowAction));
    if (!ctx.disableConntrackInvalid) rules.push(rule([m.conntrackState('INVALID')], ctx.denyAction));
  }
  // Connection limits come after the conntrack rules, so only new connections are counted against them.
  if (qos && qos.maxConnections !== 0)
    rules.push(
      rule(
        [],
        act.limitNumConnections(qos.maxConnections),
        `Reject connections over ${spec.direction} connection limit`,
      ),
    );
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
