// Host-endpoint dispatch chains, one function for the three tables (felix/rules/dispatch.go
// hostDispatchChains; the callers are felix/dataplane/linux/endpoint_mgr.go updateHostEndpoints):
// - filter: HostDispatchChains(all, default, applyOnForward=true): the four roots, no "Skip egress WHEP" rules;
// - mangle: FromHostDispatchChains(pre-DNAT, default) and ToHostDispatchChains(all, default): not apply-on-forward,
//   so the to-dispatch returns for traffic to local workloads before the wildcard host endpoint's chain;
// - raw: HostDispatchChains(untracked, "", false): no default, so no end rules at all.
import { safeChainName } from './hash.js';
import { CHAIN, PREFIX } from './names.js';
import { dispatchChains } from './dispatch.js';
import { act, m, type IChain, type IRule } from './rule.js';

export interface HostDispatchSpec {
  /** Interface names with a host endpoint (the wildcard endpoint is not one of them). */
  readonly names: readonly string[];
  /** The interface whose chains unmatched packets go to (the wildcard host endpoint's), if any. */
  readonly defaultIface?: string;
  readonly directions: 'to+from' | 'from' | 'to';
  readonly applyOnForward: boolean;
  /** InterfacePrefixes: the workload interface prefixes (for the "Skip egress WHEP" rules). */
  readonly workloadPrefixes: readonly string[];
}

const gotoRule = (prefix: string, iface: string): IRule => ({
  match: [],
  action: act.goto(safeChainName(prefix, iface)),
  comments: [],
});

/** The dispatch chains in Felix's order: from (children, root), to (children, root), then the forward pair. */
export function hostDispatchChains(s: HostDispatchSpec): IChain[] {
  const d = s.defaultIface;
  const fromEnd = d !== undefined ? [gotoRule(PREFIX.hostFrom, d)] : [];
  const toEnd: IRule[] = [];
  if (d !== undefined) {
    // Wildcard host-endpoint normal policy never applies to traffic going to a local workload.
    if (!s.applyOnForward)
      for (const p of s.workloadPrefixes)
        toEnd.push({
          match: [m.outInterface(p + '+')],
          action: act.ret(),
          comments: ['Skip egress WHEP policy for traffic to local workload'],
        });
    toEnd.push(gotoRule(PREFIX.hostTo, d));
  }
  const from = (root: string, endpointPrefix: string, endRules: IRule[]): IChain[] =>
    dispatchChains(s.names, { root, endpointPrefix, direction: 'in', endRules });
  const to = (root: string, endpointPrefix: string, endRules: IRule[]): IChain[] =>
    dispatchChains(s.names, { root, endpointPrefix, direction: 'out', endRules });
  if (s.directions === 'from') return from(CHAIN.fromHostEndpoint, PREFIX.hostFrom, fromEnd);
  if (s.directions === 'to') return to(CHAIN.toHostEndpoint, PREFIX.hostTo, toEnd);
  const chains = [
    ...from(CHAIN.fromHostEndpoint, PREFIX.hostFrom, fromEnd),
    ...to(CHAIN.toHostEndpoint, PREFIX.hostTo, toEnd),
  ];
  if (!s.applyOnForward) return chains;
  const fwdFromEnd = d !== undefined ? [gotoRule(PREFIX.hostFromForward, d)] : [];
  const fwdToEnd = d !== undefined ? [gotoRule(PREFIX.hostToForward, d)] : [];
  return [
    ...chains,
    ...from(CHAIN.fromHepForward, PREFIX.hostFromForward, fwdFromEnd),
    ...to(CHAIN.toHepForward, PREFIX.hostToForward, fwdToEnd),
  ];
}
