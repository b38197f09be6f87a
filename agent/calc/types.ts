// Public types of the calculation graph.
import type { Encapsulation } from './encapsulation.js';
import type { TunnelConfigName } from './host-metadata.js';

export interface CalcLogger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export interface CalcGraphOptions {
  /** Felix's hostname: selects the local WEPs (key hostname) and HEPs (spec.node). */
  readonly hostname: string;
  readonly logger?: CalcLogger;
  // ---- raw table (issue 12) ----
  /**
   * WorkloadSourceSpoofing when a local source (env, config file, flag) sets it: it then wins over the
   * datastore's value, as in Felix's precedence. Undefined: the datastore's value (ConfigBatcher) or Disabled.
   */
  readonly workloadSourceSpoofing?: 'Disabled' | 'Any';
}

/** What the daemon reads of the overlay (issue 14) when it builds and checks the dataplane's config. */
export interface OverlayFacts {
  /** IPIP / VXLAN / VXLANv6 from the IP pools alone (EncapsulationCalculator, before the config overrides). */
  readonly pools: Encapsulation;
  /** This node's tunnel addresses (HostMetadataCalculator.localTunnelAddrs). */
  readonly tunnels: Partial<Record<TunnelConfigName, string>>;
}

export interface CalcStats {
  readonly localWorkloadEndpoints: number;
  readonly localHostEndpoints: number;
  readonly activePolicies: number;
  readonly activeProfiles: number;
  readonly ipSets: number;
  readonly clusterWorkloadEndpoints: number;
}

export interface TierDescription {
  readonly tier: string;
  readonly defaultAction: 'Deny' | 'Pass';
  /** Policy IDs in evaluation order ("<kind>/<ns>/<name>"). */
  readonly policies: readonly string[];
}

/** One of the endpoints an ambiguous `felix-ts inspect endpoint` name matches. */
export interface EndpointCandidate {
  readonly key: string;
  /** A name that selects this endpoint alone ("ns/pod/eth0", or the host endpoint's name). */
  readonly name: string;
  readonly iface: string;
}

/** For `felix-ts inspect`: what applies to one local endpoint, in evaluation order (felix/calc/policy_resolver.go). */
export interface EndpointDescription {
  readonly key: string;
  readonly kind: 'workload' | 'host';
  /** Interface name ("*" or "" possible for host endpoints). */
  readonly iface: string;
  /** Workloads: ipv4_nets/ipv6_nets; host endpoints: expected_ipv4_addrs/expected_ipv6_addrs. */
  readonly ipv4Nets: readonly string[];
  readonly ipv6Nets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly profiles: readonly string[];
  readonly ingress: readonly TierDescription[];
  readonly egress: readonly TierDescription[];
  /** Host endpoints only. */
  readonly untracked?: {
    readonly ingress: readonly TierDescription[];
    readonly egress: readonly TierDescription[];
  };
  readonly preDnat?: { readonly ingress: readonly TierDescription[] };
  readonly forward?: {
    readonly ingress: readonly TierDescription[];
    readonly egress: readonly TierDescription[];
  };
}
