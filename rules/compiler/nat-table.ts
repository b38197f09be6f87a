// The nat table of one IP family, NAT-outgoing part (felix/rules/static.go StaticNATTableChains,
// felix/rules/nat.go NATOutgoingChain, felix/dataplane/linux/masq_mgr.go, hooks from
// felix/dataplane/linux/int_dataplane.go). Floating IPs are not supported, so cali-fip-dnat and
// cali-fip-snat are empty, as Felix programs them without OpenStack floating IPs. See docs/nat-plan.md.
import type { IpFamily, IpSetState } from '../model.js';
import { ipSetName } from './names.js';
import { act, m, rule, type IRule } from './rule.js';
import type { DataplaneState } from './state.js';
import { TableBuilder, type TableInput } from './table.js';

export const NAT_CHAIN = {
  prerouting: 'cali-PREROUTING',
  postrouting: 'cali-POSTROUTING',
  output: 'cali-OUTPUT',
  natOutgoing: 'cali-nat-outgoing',
  fipDnat: 'cali-fip-dnat',
  fipSnat: 'cali-fip-snat',
} as const;

/** Felix's set IDs (felix/rules/rule_defs.go IPSetIDAllPools, IPSetIDNATOutgoingMasqPools). */
export const POOL_SET_ID = { all: 'network-ip-pools', masq: 'masq-ipam-pools' } as const;

/** A pool used only for LoadBalancer addresses stays out of network-ip-pools (masq_mgr.go isLoadBalancerOnly). */
function isLoadBalancerOnly(allowedUses: readonly string[]): boolean {
  return allowedUses.length === 1 && allowedUses[0] === 'LoadBalancer';
}

/** The two pool IP sets of one family (hash:net), always present as Felix creates them at start. */
export function poolIpSets(state: DataplaneState, family: IpFamily): IpSetState[] {
  const all = new Set<string>();
  const masq = new Set<string>();
  for (const e of state.pools.values()) {
    if (e.family !== family) continue;
    if (!isLoadBalancerOnly(e.pool.allowedUses)) all.add(e.cidr);
    if (e.pool.masquerade) masq.add(e.cidr);
  }
  return [
    { name: ipSetName(POOL_SET_ID.all, family), type: 'hash:net', family, members: all },
    { name: ipSetName(POOL_SET_ID.masq, family), type: 'hash:net', family, members: masq },
  ];
}

/** cali-nat-outgoing: empty unless a pool of this family masquerades (felix/rules/nat.go). */
function natOutgoingRules(state: DataplaneState, family: IpFamily, fullyRandom: boolean): IRule[] {
  const active = [...state.pools.values()].some((e) => e.family === family && e.pool.masquerade);
  if (!active) return [];
  // felix/iptables/actions.go MasqAction.
  const masq = { frag: fullyRandom ? '--jump MASQUERADE --random-fully' : '--jump MASQUERADE' };
  return [
    rule(
      [
        m.sourceIPSet(ipSetName(POOL_SET_ID.masq, family)),
        m.notDestIPSet(ipSetName(POOL_SET_ID.all, family)),
      ],
      masq,
    ),
  ];
}

export function compileNatTable(input: TableInput): ReturnType<TableBuilder['build']> {
  const { state, family, cfg } = input;
  const b = new TableBuilder('nat', input);
  b.add({ name: NAT_CHAIN.prerouting, rules: [rule([], act.jump(NAT_CHAIN.fipDnat))] });
  b.add({
    name: NAT_CHAIN.postrouting,
    rules: [rule([], act.jump(NAT_CHAIN.fipSnat)), rule([], act.jump(NAT_CHAIN.natOutgoing))],
  });
  b.add({ name: NAT_CHAIN.output, rules: [rule([], act.jump(NAT_CHAIN.fipDnat))] });
  b.add({ name: NAT_CHAIN.fipDnat, rules: [] });
  b.add({ name: NAT_CHAIN.fipSnat, rules: [] });
  b.add({
    name: NAT_CHAIN.natOutgoing,
    rules: natOutgoingRules(state, family, cfg.masqFullyRandom !== false),
  });
  // InsertOrAppendRules: at the top unless ChainInsertMode is Append.
  b.hook('PREROUTING', [rule([], act.jump(NAT_CHAIN.prerouting))], cfg.chainInsertMode);
  // AppendRules, not InsertOrAppendRules: always appended, so that kube-proxy's POSTROUTING rules run
  // first, and hashed as "POSTROUTING*appends*" (felix/dataplane/linux/int_dataplane.go; Felix's hash
  // on real nodes is cali:0i8pjzKKPyA34aQD, docs/reference/felix-iptables-dataplane.md §5.3).
  b.alwaysAppend('POSTROUTING', [rule([], act.jump(NAT_CHAIN.postrouting))]);
  b.hook('OUTPUT', [rule([], act.jump(NAT_CHAIN.output))], cfg.chainInsertMode);
  return b.build();
}
