// The default BGPConfiguration → the service CIDRs the dataplane blocks for service loop prevention
// (felix/calc/dataplane_passthru.go passes `default` through; felix/calc/event_sequencer.go
// OnGlobalBGPConfigUpdate keeps the non-empty CIDRs of serviceClusterIPs, serviceExternalIPs and
// serviceLoadBalancerIPs). Felix's API validation refuses a malformed CIDR before it reaches the
// datastore; here one that gets through is logged with the key and skipped, and the others stay.
import { normalizeCidr } from '../../rules/compiler/ipaddr.js';
import type { GlobalBGPConfig } from '../../rules/dataplane-api/types.js';
import type { ModelBGPConfiguration } from '../model/index.js';
import type { CalcLogger } from './types.js';

/** Only this BGPConfiguration is global (felix/calc/dataplane_passthru.go). */
export const DEFAULT_BGP_CONFIGURATION = 'default';

type Blocks = readonly { readonly cidr?: string | null }[] | null | undefined;

export function globalBgpConfig(
  v: ModelBGPConfiguration | undefined,
  path: string,
  log: CalcLogger,
): GlobalBGPConfig {
  const cidrs = (blocks: Blocks, field: string): string[] => {
    const out: string[] = [];
    for (const b of blocks ?? []) {
      // An empty CIDR is allowed by the CRD "for extensibility" and ignored (event_sequencer.go).
      if (!b.cidr) continue;
      const n = normalizeCidr(b.cidr);
      if (n) out.push(n);
      else log.warn('BGPConfiguration: skipping malformed service CIDR', { key: path, field, cidr: b.cidr });
    }
    return out;
  };
  const s = v?.spec;
  return {
    serviceClusterCidrs: cidrs(s?.serviceClusterIPs, 'serviceClusterIPs'),
    serviceExternalCidrs: cidrs(s?.serviceExternalIPs, 'serviceExternalIPs'),
    serviceLoadbalancerCidrs: cidrs(s?.serviceLoadBalancerIPs, 'serviceLoadBalancerIPs'),
  };
}
