// The inspect view behind `felix-ts inspect endpoint`: what applies to one local endpoint, in
// evaluation order. Read-only over the endpoint bookkeeping and the policy resolver's output.
import { policyIdString, type TierInfo } from '../../rules/dataplane-api/types.js';
import type { LocalEndpoint } from './endpoints.js';
import type { TierLists } from './policy-resolver.js';
import type { EndpointCandidate, EndpointDescription, TierDescription } from './types.js';

/** The exact names of an endpoint: interface, workload ID ("ns/pod"), "ns/pod/eth0", or HEP name. */
function exactMatch(ep: LocalEndpoint, q: string): boolean {
  return ep.kind === 'workload'
    ? ep.model.name === q || ep.id.workloadId === q || `${ep.id.workloadId}/${ep.id.endpointId}` === q
    : ep.id.endpointId === q || (ep.model.name ?? '') === q;
}

/** A Kubernetes workload ID is "<namespace>/<pod>"; the pod name alone is what `kubectl get pods` shows. */
function podName(workloadId: string): string | undefined {
  const i = workloadId.indexOf('/');
  return i < 0 ? undefined : workloadId.slice(i + 1);
}

/**
 * Every local endpoint `q` names: the one with KV key `q`; else those whose interface, workload ID
 * ("ns/pod"), "ns/pod/<endpoint>" or host endpoint name is `q`; else the workloads whose pod name
 * (without namespace) is `q`. More than one result means the name is ambiguous.
 */
export function matchEndpoints(
  q: string,
  byKey: (key: string) => LocalEndpoint | undefined,
  all: Iterable<LocalEndpoint>,
): LocalEndpoint[] {
  const direct = byKey(q);
  if (direct) return [direct];
  const eps = [...all];
  const exact = eps.filter((ep) => exactMatch(ep, q));
  if (exact.length > 0) return exact;
  return eps.filter((ep) => ep.kind === 'workload' && podName(ep.id.workloadId) === q);
}

/** The one local endpoint `q` names (see matchEndpoints), or undefined when none or several. */
export function findEndpoint(
  q: string,
  byKey: (key: string) => LocalEndpoint | undefined,
  all: Iterable<LocalEndpoint>,
): LocalEndpoint | undefined {
  const m = matchEndpoints(q, byKey, all);
  return m.length === 1 ? m[0] : undefined;
}

/** How an ambiguous name's candidates are listed: each with a name that selects it alone. */
export function candidateOf(ep: LocalEndpoint): EndpointCandidate {
  return {
    key: ep.key,
    name: ep.kind === 'workload' ? `${ep.id.workloadId}/${ep.id.endpointId}` : ep.id.endpointId,
    iface: ep.model.name ?? '',
  };
}

function direction(tiers: readonly TierInfo[], d: 'ingress' | 'egress'): TierDescription[] {
  return tiers
    .map((ti) => ({
      tier: ti.name,
      defaultAction: (ti.defaultAction === 'Pass' ? 'Pass' : 'Deny') as 'Deny' | 'Pass',
      policies: (d === 'ingress' ? ti.ingressPolicies : ti.egressPolicies).map(policyIdString),
    }))
    .filter((x) => x.policies.length > 0);
}

function addresses(ep: LocalEndpoint): { ipv4Nets: string[]; ipv6Nets: string[] } {
  if (ep.kind === 'workload')
    return { ipv4Nets: [...(ep.model.ipv4_nets ?? [])], ipv6Nets: [...(ep.model.ipv6_nets ?? [])] };
  return {
    ipv4Nets: [...(ep.model.expected_ipv4_addrs ?? [])],
    ipv6Nets: [...(ep.model.expected_ipv6_addrs ?? [])],
  };
}

export function describeEndpoint(
  ep: LocalEndpoint,
  t: TierLists,
  labelMap: ReadonlyMap<string, string> | undefined,
): EndpointDescription {
  const labels: Record<string, string> = {};
  for (const [k, v] of labelMap ?? []) labels[k] = v;
  const base = {
    key: ep.key,
    kind: ep.kind,
    iface: ep.model.name ?? '',
    ...addresses(ep),
    labels,
    profiles: ep.profileIds,
    ingress: direction(t.tiers, 'ingress'),
    egress: direction(t.tiers, 'egress'),
  };
  if (ep.kind === 'workload') return base;
  return {
    ...base,
    untracked: {
      ingress: direction(t.untrackedTiers, 'ingress'),
      egress: direction(t.untrackedTiers, 'egress'),
    },
    preDnat: { ingress: direction(t.preDnatTiers, 'ingress') },
    forward: { ingress: direction(t.forwardTiers, 'ingress'), egress: direction(t.forwardTiers, 'egress') },
  };
}
