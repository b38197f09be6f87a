// The inspect view behind `felix-ts inspect endpoint`: what applies to one local endpoint, in
// evaluation order. Read-only over the endpoint bookkeeping and the policy resolver's output.
import { policyIdString, type TierInfo } from '../../rules/dataplane-api/types.js';
import type { LocalEndpoint } from './endpoints.js';
import type { TierLists } from './policy-resolver.js';
import type { EndpointDescription, TierDescription } from './types.js';

/** Finds a local endpoint by KV key, interface name, workload ID ("ns/pod"), or HEP name. */
export function findEndpoint(
  nameOrIface: string,
  byKey: (key: string) => LocalEndpoint | undefined,
  all: Iterable<LocalEndpoint>,
): LocalEndpoint | undefined {
  const direct = byKey(nameOrIface);
  if (direct) return direct;
  for (const ep of all) {
    const hit =
      ep.kind === 'workload'
        ? ep.model.name === nameOrIface ||
          ep.id.workloadId === nameOrIface ||
          `${ep.id.workloadId}/${ep.id.endpointId}` === nameOrIface
        : ep.id.endpointId === nameOrIface || (ep.model.name ?? '') === nameOrIface;
    if (hit) return ep;
  }
  return undefined;
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
