// The overlay's host IP sets, from the nodes' addresses (hostMetadataUpdate) and ExternalNodesCIDRList, created
// only when Felix creates them (felix/dataplane/linux/int_dataplane.go):
// - all-hosts-net (hash:net): IPv4 when IPIP is on or NATOutgoingExclusions=IPPoolsAndHostIPs, IPv6 only for
//   the latter. Members: every node's address of the family (this node's too), plus ExternalNodesCIDRList in
//   IPv4 only ("IPIP encapsulation is only supported with IPv4", ipset_hosts_mgr.go updateAllHostsIPSet).
// - all-vxlan-net (hash:net): when VXLAN (VXLANEnabledV6 for IPv6) is on. Members: ExternalNodesCIDRList, and
//   the parent-device (node) address of every other node with a VTEP of the family (vxlan_mgr.go
//   updateNeighborsAndAllowedSources; the local VTEP is kept apart by OnUpdate).
// The sets are part of the compiled state, not calc-graph IP sets: a node that Felix programmed without them
// gets none from felix-ts either.
import type { IpFamily, IpSetState } from '../model.js';
import type { CompilerConfig } from './config.js';
import { ipSetName } from './names.js';
import type { DataplaneState } from './state.js';
import { canonicalMember } from './validate.js';

/** Felix's set IDs (felix/rules/rule_defs.go IPSetIDAllHostNets, IPSetIDAllVXLANSourceNets). */
export const OVERLAY_SET_ID = { hosts: 'all-hosts-net', vxlan: 'all-vxlan-net' } as const;

/** ExternalNodesCIDRList entries of one family, canonical (a set of that family takes no other). */
function externalNets(cfg: CompilerConfig, family: IpFamily): string[] {
  const out: string[] = [];
  for (const c of cfg.externalNodesCidrs) {
    const m = canonicalMember(2 /* NET */, c);
    if (m && m.family === family) out.push(m.text);
  }
  return out;
}

export function allHostsNetWanted(cfg: CompilerConfig, family: IpFamily): boolean {
  const exclusions = cfg.natOutgoingExclusions === 'IPPoolsAndHostIPs';
  return family === 4 ? cfg.ipipEnabled || exclusions : exclusions;
}

export function allVxlanNetWanted(cfg: CompilerConfig, family: IpFamily): boolean {
  return family === 4 ? cfg.vxlanEnabled : cfg.vxlanEnabledV6;
}

/** The last sets built per state and family, reused while the hosts and the inputs from the config are the same. */
const memo = new WeakMap<DataplaneState, Map<IpFamily, { key: string; sets: IpSetState[] }>>();

/** The overlay sets Felix would have for this family (none, one or both). */
export function overlayIpSets(state: DataplaneState, cfg: CompilerConfig, family: IpFamily): IpSetState[] {
  const key = JSON.stringify([
    state.hostsVersion,
    allHostsNetWanted(cfg, family),
    allVxlanNetWanted(cfg, family),
    cfg.externalNodesCidrs,
    cfg.hostname,
  ]);
  let perFamily = memo.get(state);
  if (!perFamily) memo.set(state, (perFamily = new Map()));
  const hit = perFamily.get(family);
  if (hit?.key === key) return hit.sets;
  const sets = buildOverlaySets(state, cfg, family);
  perFamily.set(family, { key, sets });
  return sets;
}

function buildOverlaySets(state: DataplaneState, cfg: CompilerConfig, family: IpFamily): IpSetState[] {
  const out: IpSetState[] = [];
  if (allHostsNetWanted(cfg, family)) {
    const members = new Set<string>();
    for (const h of state.hosts.values()) {
      const a = family === 4 ? h.ipv4Addr : h.ipv6Addr;
      if (a !== '') members.add(a);
    }
    if (family === 4) for (const c of externalNets(cfg, 4)) members.add(c);
    out.push({ name: ipSetName(OVERLAY_SET_ID.hosts, family), type: 'hash:net', family, members });
  }
  if (allVxlanNetWanted(cfg, family)) {
    const members = new Set<string>(externalNets(cfg, family));
    for (const [hostname, h] of state.hosts) {
      if (hostname === cfg.hostname) continue;
      const vtep = family === 4 ? h.vxlanTunnelAddr : h.vxlanTunnelAddrV6;
      const parent = family === 4 ? h.ipv4Addr : h.ipv6Addr;
      if (vtep !== '' && parent !== '') members.add(parent);
    }
    out.push({ name: ipSetName(OVERLAY_SET_ID.vxlan, family), type: 'hash:net', family, members });
  }
  return out;
}
