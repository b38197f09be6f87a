// TypeScript view of proto/dataplane.proto (the calc -> dataplane boundary).
// Field names are protobufjs's camelCase conversions of the proto names; every repeated field
// is always present (possibly empty) after decode() / fromObject(), see ./codec.ts.

export interface PolicyID {
  readonly name: string;
  readonly namespace: string;
  /** np, gnp, knp, kcnp, snp, sgnp, sknp */
  readonly kind: string;
}

export interface ProfileID {
  readonly name: string;
}

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export interface IcmpTypeAndCode {
  readonly type: number;
  readonly code: number;
}

export type Protocol =
  | { readonly number: number; readonly name?: undefined }
  | { readonly name: string; readonly number?: undefined };

export const enum IPVersion {
  ANY = 0,
  IPV4 = 4,
  IPV6 = 6,
}

export interface Rule {
  /** "allow" | "deny" | "next-tier" | "pass" | "log" */
  readonly action: string;
  readonly ipVersion?: IPVersion;
  readonly protocol?: Protocol | null;
  readonly srcNet?: readonly string[];
  readonly srcPorts?: readonly PortRange[];
  readonly dstNet?: readonly string[];
  readonly dstPorts?: readonly PortRange[];
  readonly icmpType?: number;
  readonly icmpTypeCode?: IcmpTypeAndCode | null;
  readonly srcIpSetIds?: readonly string[];
  readonly dstIpSetIds?: readonly string[];
  readonly dstIpPortSetIds?: readonly string[];
  readonly srcNamedPortIpSetIds?: readonly string[];
  readonly dstNamedPortIpSetIds?: readonly string[];
  readonly notProtocol?: Protocol | null;
  readonly notSrcNet?: readonly string[];
  readonly notSrcPorts?: readonly PortRange[];
  readonly notDstNet?: readonly string[];
  readonly notDstPorts?: readonly PortRange[];
  readonly notIcmpType?: number;
  readonly notIcmpTypeCode?: IcmpTypeAndCode | null;
  readonly notSrcIpSetIds?: readonly string[];
  readonly notDstIpSetIds?: readonly string[];
  readonly notSrcNamedPortIpSetIds?: readonly string[];
  readonly notDstNamedPortIpSetIds?: readonly string[];
  readonly originalSrcSelector?: string;
  readonly originalDstSelector?: string;
  readonly originalNotSrcSelector?: string;
  readonly originalNotDstSelector?: string;
  readonly originalSrcNamespaceSelector?: string;
  readonly originalDstNamespaceSelector?: string;
  readonly originalSrcNamedPortProtocol?: readonly string[];
  readonly originalDstNamedPortProtocol?: readonly string[];
  readonly ruleId?: string;
  readonly metadata?: { readonly annotations: Readonly<Record<string, string>> } | null;
}

export interface Policy {
  readonly namespace?: string;
  readonly inboundRules: readonly Rule[];
  readonly outboundRules: readonly Rule[];
  readonly untracked?: boolean;
  readonly preDnat?: boolean;
  readonly originalSelector?: string;
  readonly tier?: string;
}

export interface Profile {
  readonly inboundRules: readonly Rule[];
  readonly outboundRules: readonly Rule[];
}

export interface TierInfo {
  readonly name: string;
  readonly ingressPolicies: readonly PolicyID[];
  readonly egressPolicies: readonly PolicyID[];
  /** "Deny" (default) or "Pass" */
  readonly defaultAction?: string;
}

export interface NatInfo {
  readonly extIp: string;
  readonly intIp: string;
}

export interface WorkloadEndpointID {
  readonly orchestratorId: string;
  readonly workloadId: string;
  readonly endpointId: string;
}

export interface WorkloadEndpoint {
  /** "active" or "inactive" (admin down) */
  readonly state: string;
  /** Interface name, e.g. cali1a2b3c4d5e6 */
  readonly name: string;
  readonly mac?: string;
  readonly profileIds: readonly string[];
  readonly ipv4Nets: readonly string[];
  readonly ipv6Nets: readonly string[];
  readonly tiers: readonly TierInfo[];
  readonly ipv4Nat?: readonly NatInfo[];
  readonly ipv6Nat?: readonly NatInfo[];
  readonly allowSpoofedSourcePrefixes?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  /** The endpoint's QoS controls (felix/proto/felixbackend.proto QoSControls); null or absent: none. */
  readonly qosControls?: QoSControls | null;
}

/**
 * felix/proto/felixbackend.proto QoSControls (filled from the WorkloadEndpoint's qosControls by
 * felix/calc/event_sequencer.go ModelWorkloadEndpointToProto). Zero means "not set". The packet-rate and
 * connection limits are rendered into the endpoint chains (felix/rules/endpoints.go); the bandwidth fields
 * are carried but not applied (Felix programs them with tc, which felix-ts does not do).
 */
export interface QoSControls {
  readonly ingressBandwidth: number;
  readonly egressBandwidth: number;
  readonly ingressBurst: number;
  readonly egressBurst: number;
  readonly ingressPacketRate: number;
  readonly egressPacketRate: number;
  readonly ingressMaxConnections: number;
  readonly egressMaxConnections: number;
  readonly ingressPeakrate: number;
  readonly egressPeakrate: number;
  readonly ingressMinburst: number;
  readonly egressMinburst: number;
  readonly ingressPacketBurst: number;
  readonly egressPacketBurst: number;
}

export interface HostEndpointID {
  readonly endpointId: string;
}

export interface HostEndpoint {
  /** Interface name, or "*" for all interfaces. */
  readonly name: string;
  readonly profileIds: readonly string[];
  readonly tiers: readonly TierInfo[];
  readonly untrackedTiers: readonly TierInfo[];
  readonly preDnatTiers: readonly TierInfo[];
  readonly forwardTiers: readonly TierInfo[];
  readonly expectedIpv4Addrs: readonly string[];
  readonly expectedIpv6Addrs: readonly string[];
}

/** An IP pool as the dataplane sees it (Felix's proto.IPAMPool, felix/calc/event_sequencer.go). */
export interface IPAMPool {
  readonly cidr: string;
  readonly masquerade: boolean;
  readonly ipipMode: string;
  readonly vxlanMode: string;
  /** Empty means the default uses (Workload, Tunnel). */
  readonly allowedUses: readonly string[];
}

/**
 * One node's addresses (Felix's HostMetadataV4V6Update plus the node's VTEP, felix/proto/felixbackend.proto):
 * bare addresses, "" for none. A node's VTEP exists when it has a VXLAN tunnel address and a host address of
 * that family (felix/calc/vxlan_resolver.go).
 */
export interface HostMetadata {
  readonly ipv4Addr: string;
  readonly ipv6Addr: string;
  readonly vxlanTunnelAddr: string;
  readonly vxlanTunnelAddrV6: string;
}

/** Felix's proto.GlobalBGPConfigUpdate, trimmed to the service CIDRs. */
export interface GlobalBGPConfig {
  readonly serviceClusterCidrs: readonly string[];
  readonly serviceExternalCidrs: readonly string[];
  readonly serviceLoadbalancerCidrs: readonly string[];
}

export const enum IPSetType {
  IP = 0,
  IP_AND_PORT = 1,
  NET = 2,
}

/** One element of the calc -> dataplane stream (oneof payload of ToDataplane). */
export type ToDataplane =
  | { readonly kind: 'inSync' }
  | { readonly kind: 'configUpdate'; readonly config: Readonly<Record<string, string>> }
  | {
      readonly kind: 'ipsetUpdate';
      readonly id: string;
      readonly members: readonly string[];
      readonly type: IPSetType;
    }
  | {
      readonly kind: 'ipsetDeltaUpdate';
      readonly id: string;
      readonly addedMembers: readonly string[];
      readonly removedMembers: readonly string[];
    }
  | { readonly kind: 'ipsetRemove'; readonly id: string }
  | { readonly kind: 'activeProfileUpdate'; readonly id: ProfileID; readonly profile: Profile }
  | { readonly kind: 'activeProfileRemove'; readonly id: ProfileID }
  | { readonly kind: 'activePolicyUpdate'; readonly id: PolicyID; readonly policy: Policy }
  | { readonly kind: 'activePolicyRemove'; readonly id: PolicyID }
  | {
      readonly kind: 'workloadEndpointUpdate';
      readonly id: WorkloadEndpointID;
      readonly endpoint: WorkloadEndpoint;
    }
  | { readonly kind: 'workloadEndpointRemove'; readonly id: WorkloadEndpointID }
  | { readonly kind: 'hostEndpointUpdate'; readonly id: HostEndpointID; readonly endpoint: HostEndpoint }
  | { readonly kind: 'hostEndpointRemove'; readonly id: HostEndpointID }
  /** `id` is the pool's CIDR with "/" replaced by "-" (felix/calc/event_sequencer.go cidrToIPPoolID). */
  | { readonly kind: 'ipamPoolUpdate'; readonly id: string; readonly pool: IPAMPool }
  | { readonly kind: 'ipamPoolRemove'; readonly id: string }
  | { readonly kind: 'hostMetadataUpdate'; readonly hostname: string; readonly host: HostMetadata }
  | { readonly kind: 'hostMetadataRemove'; readonly hostname: string }
  /** The default BGPConfiguration's service CIDRs (felix/calc/event_sequencer.go OnGlobalBGPConfigUpdate). */
  | ({ readonly kind: 'globalBgpConfigUpdate' } & GlobalBGPConfig);

/** Felix's PolicyID.ID(): "<kind>/<name>" or "<kind>/<namespace>/<name>". */
export function policyIdString(id: PolicyID): string {
  return id.namespace ? `${id.kind}/${id.namespace}/${id.name}` : `${id.kind}/${id.name}`;
}
