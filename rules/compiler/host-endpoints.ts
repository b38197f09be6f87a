// Host-endpoint chains of the filter table: cali-th-/cali-fh- (with failsafes) and the forward
// cali-thfw-/cali-fhfw- chains per interface, and the four host-endpoint dispatch chains with the
// wildcard ("*") host endpoint as their fall-through (felix/rules/endpoints.go, felix/rules/dispatch.go).
import type { HostEndpoint } from '../dataplane-api/types.js';
import type { Direction } from '../model.js';
import { CHAIN, PREFIX, WILDCARD_HEP_SUFFIX } from './names.js';
import { endpointChain, type EndpointChainType, type EndpointCtx } from './endpoint-chains.js';
import { hostDispatchChains } from './host-dispatch.js';
import type { TierPlan } from './policy-groups.js';
import type { DataplaneState } from './state.js';
import type { TableBuilder } from './table.js';

export interface HostEndpointInput {
  readonly state: DataplaneState;
  readonly ectx: EndpointCtx;
  readonly plan: (tiers: HostEndpoint['tiers']) => readonly TierPlan[];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One host endpoint per interface, in key order so a duplicate resolves the same way every time. The
 * filter table reports what it ignores through `warn`; the raw and mangle tables use the same resolution
 * (felix/dataplane/linux/endpoint_mgr.go resolves once for all tables) and pass no `warn`.
 */
export function hostEndpointsByIface(
  state: DataplaneState,
  warn: (text: string) => void = () => undefined,
): Map<string, HostEndpoint> {
  const byIface = new Map<string, HostEndpoint>();
  for (const [id, { endpoint }] of [...state.hostEndpoints.entries()].sort(([x], [y]) => cmp(x, y))) {
    if (endpoint.name === '') {
      // Felix maps IP-only host endpoints to interfaces with its interface monitor; we have none.
      warn(`host endpoint ${id} has no interface name; ignored`);
      continue;
    }
    if (byIface.has(endpoint.name)) {
      warn(`host endpoint ${id}: interface ${endpoint.name} already has a host endpoint; ignored`);
      continue;
    }
    byIface.set(endpoint.name, endpoint);
  }
  return byIface;
}

/** The four chains of one host endpoint. */
function hostEndpointChains(
  iface: string,
  hep: HostEndpoint,
  input: HostEndpointInput,
  b: TableBuilder,
): void {
  const suffix = iface === '*' ? WILDCARD_HEP_SUFFIX : iface;
  const tiers = input.plan(hep.tiers);
  const forwardTiers = input.plan(hep.forwardTiers);
  const chain = (
    chainPrefix: string,
    direction: Direction,
    chainType: EndpointChainType,
    planned: readonly TierPlan[],
    failsafeChain?: string,
  ): void => {
    b.add(
      endpointChain(
        {
          chainPrefix,
          ifaceSuffix: suffix,
          tiers: planned,
          profileIds: hep.profileIds,
          direction,
          chainType,
          adminUp: true,
          dropVXLAN: false,
          dropIPIP: false,
          source: { kind: 'host-endpoint', id: iface, direction },
          ...(failsafeChain ? { failsafeChain } : {}),
        },
        input.ectx,
      ),
    );
  };
  chain(PREFIX.hostTo, 'egress', 'normal', tiers, CHAIN.failsafeOut);
  chain(PREFIX.hostFrom, 'ingress', 'normal', tiers, CHAIN.failsafeIn);
  chain(PREFIX.hostToForward, 'egress', 'forward', forwardTiers);
  chain(PREFIX.hostFromForward, 'ingress', 'forward', forwardTiers);
}

/** Host-endpoint chains and dispatch chains into a filter-table builder. */
export function addHostEndpoints(input: HostEndpointInput, b: TableBuilder): void {
  const names: string[] = [];
  let wildcard = false;
  for (const [iface, hep] of hostEndpointsByIface(input.state, (t) => b.warnOnce(t))) {
    if (iface === '*') wildcard = true;
    else names.push(iface);
    hostEndpointChains(iface, hep, input, b);
  }
  // The filter table's dispatch is HostDispatchChains(..., applyOnForward=true) (endpoint_mgr.go): with a wildcard
  // HEP, unmatched interfaces go to its chains, and there are no "Skip egress WHEP" rules (dispatch_test.go "apply
  // on forward, with default interface name"); only the mangle table's to-dispatch has them (hep-tables.ts).
  hostDispatchChains({
    names,
    ...(wildcard ? { defaultIface: WILDCARD_HEP_SUFFIX } : {}),
    directions: 'to+from',
    applyOnForward: true,
    workloadPrefixes: [],
  }).forEach((c) => b.add(c));
}
