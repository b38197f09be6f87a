// cali-nat-outgoing (felix/rules/nat.go NATOutgoingChain, makeNATOutgoingRuleIPTables) and the pool IP
// sets behind it (felix/dataplane/linux/masq_mgr.go), and the SNAT/MASQUERADE actions
// (felix/iptables/actions.go SNATAction, MasqAction).
import type { IpFamily, IpSetState } from '../model.js';
import type { CompilerConfig } from './config.js';
import { ipSetName } from './names.js';
import { act, m, rule, type Action, type IRule, type Match } from './rule.js';
import type { DataplaneState } from './state.js';

/** Felix's set IDs (felix/rules/rule_defs.go IPSetIDAllPools, IPSetIDNATOutgoingMasqPools, IPSetIDAllHostNets). */
export const POOL_SET_ID = {
  all: 'network-ip-pools',
  masq: 'masq-ipam-pools',
  hosts: 'all-hosts-net',
} as const;

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

/** MasqAction: `--jump MASQUERADE [--to-ports P] [--random-fully]`. */
export function masqAction(toPorts: string, fullyRandom: boolean): Action {
  const ports = toPorts === '' ? '' : ` --to-ports ${toPorts}`;
  return { frag: `--jump MASQUERADE${ports}${fullyRandom ? ' --random-fully' : ''}` };
}

/** SNATAction: `--jump SNAT --to-source A [--random-fully]`. */
export function snatAction(toAddr: string, fullyRandom: boolean): Action {
  return { frag: `--jump SNAT --to-source ${toAddr}${fullyRandom ? ' --random-fully' : ''}` };
}

function outgoingMatch(cfg: CompilerConfig, family: IpFamily, protocol: string): Match[] {
  const match: Match[] = [
    m.sourceIPSet(ipSetName(POOL_SET_ID.masq, family)),
    m.notDestIPSet(ipSetName(POOL_SET_ID.all, family)),
  ];
  if (cfg.natOutgoingExclusions === 'IPPoolsAndHostIPs')
    match.push(m.notDestIPSet(ipSetName(POOL_SET_ID.hosts, family)));
  if (protocol !== '') match.push(m.protocol(protocol));
  if (cfg.natOutgoingInterfaceFilter !== '') match.push(m.outInterface(cfg.natOutgoingInterfaceFilter));
  return match;
}

/**
 * The address NAT outgoing SNATs to in this family. Felix's NATOutgoingAddress is an IPv4 parameter that
 * Felix also writes into the IPv6 chain, where ip6tables refuses it; felix-ts masquerades IPv6 instead.
 */
export function snatAddressFor(cfg: CompilerConfig, family: IpFamily): string {
  return family === 4 ? cfg.natOutgoingAddress : '';
}

/** cali-nat-outgoing: empty unless a pool of this family masquerades. */
export function natOutgoingRules(state: DataplaneState, family: IpFamily, cfg: CompilerConfig): IRule[] {
  const active = [...state.pools.values()].some((e) => e.family === family && e.pool.masquerade);
  if (!active) return [];
  const masqRandom = cfg.masqFullyRandom !== false;
  const snatRandom = cfg.snatFullyRandom !== false;
  const addr = snatAddressFor(cfg, family);
  const dflt = addr !== '' ? snatAction(addr, snatRandom) : masqAction('', masqRandom);
  const { min, max } = cfg.natPortRange;
  if (max <= 0) return [rule(outgoingMatch(cfg, family, ''), dflt)];
  const toPorts = `${min}-${max}`;
  // net.JoinHostPort: an IPv4 address is not bracketed.
  const ranged = addr !== '' ? snatAction(`${addr}:${toPorts}`, snatRandom) : masqAction(toPorts, masqRandom);
  return [
    rule(outgoingMatch(cfg, family, 'tcp'), ranged),
    rule(outgoingMatch(cfg, family, 'tcp'), act.ret()),
    rule(outgoingMatch(cfg, family, 'udp'), ranged),
    rule(outgoingMatch(cfg, family, 'udp'), act.ret()),
    rule(outgoingMatch(cfg, family, ''), dflt),
  ];
}

/** cali-POSTROUTING's tunnel rules: host-sourced packets leaving a tunnel with a wrong source are masqueraded. */
export function tunnelMasqRules(cfg: CompilerConfig, family: IpFamily): IRule[] {
  const ifaces = family === 4 ? cfg.tunnelMasqInterfaces.v4 : cfg.tunnelMasqInterfaces.v6;
  return ifaces.map((i) =>
    rule(
      [m.outInterface(i), '-m addrtype ! --src-type LOCAL --limit-iface-out', '-m addrtype --src-type LOCAL'],
      masqAction('', cfg.masqFullyRandom !== false),
    ),
  );
}
