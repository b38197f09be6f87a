// The desired-state model: the output of rules/compiler and the input of the dataplane writers
// (rules/iptables, rules/ipsets) and of `felix-ts inspect`. Pure data; no I/O. Felix's counterparts are
// generictables.Rule / generictables.Chain (felix/generictables/) and felix/ipsets/.
import type { Rule } from './dataplane-api/types.js';

export type IpFamily = 4 | 6;
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';
export type Direction = 'ingress' | 'egress';

/**
 * An IP set a rule matches on, as data: the rule's body renders it as
 * `-m set [!] --match-set <name> <dir>[,<dir>]` (felix/iptables/match_builder.go).
 */
export interface SetMatch {
  /** Kernel name (cali40s:...). */
  readonly name: string;
  readonly dir: 'src' | 'dst';
  /** `src,src` / `dst,dst`: a named-port set (hash:ip,port). */
  readonly withPort: boolean;
  readonly negated: boolean;
}

/** The Calico rule an iptables rule was generated from. */
export interface RuleSource {
  readonly kind: 'policy' | 'profile';
  /** Policy ID as policyIdString() writes it ("gnp/default.allow-dns"), or the profile name. */
  readonly id: string;
  readonly direction: Direction;
  /** Index into the policy's (profile's) inbound or outbound rules. */
  readonly index: number;
}

/** What a chain implements. Chains without a source are felix-ts's static and dispatch chains. */
export interface ChainSource {
  readonly kind: 'policy' | 'profile' | 'policy-group' | 'workload-endpoint' | 'host-endpoint';
  /** Policy ID (policyIdString), profile name, policy group UID or interface name ("*": all interfaces). */
  readonly id: string;
  readonly direction: Direction;
  /** Policy and profile chains: the source rules, in order (RuleSource.index points into this). */
  readonly rules?: readonly Rule[];
}

/**
 * One rule as Felix renders it: `body` is the long-form rule text that follows
 * `-A <chain> -m comment --comment "cali:<hash>" ` in restore input (may be empty), and `hash`
 * is the 16-character chained rule hash (felix/iptables/renderer.go). Every string in `body` that came from the
 * datastore has already been escaped or hashed by the compiler.
 */
export interface RenderedRule {
  readonly hash: string;
  readonly body: string;
  /** The IP sets the body matches on, in body order (absent when none). */
  readonly sets?: readonly SetMatch[];
  /** The Calico rule it came from (policy and profile chains only). */
  readonly source?: RuleSource;
}

/** A chain owned by felix-ts (name matches ^cali-). */
export interface Chain {
  readonly name: string;
  readonly rules: readonly RenderedRule[];
  /** The chain's own comment as rendered ("GlobalNetworkPolicy default.x ingress"); compiler output only. */
  readonly comment?: string;
  readonly source?: ChainSource;
}

/**
 * Desired state of one (table, family). Only chains that are referenced (from the kernel-chain
 * hooks, transitively through jumps/gotos) are present: the compiler does that pruning (felix/iptables/table.go).
 */
export interface TableState {
  readonly table: TableName;
  readonly family: IpFamily;
  /** cali chains by name. */
  readonly chains: ReadonlyMap<string, Chain>;
  /** Rules inserted at the top of kernel chains (INPUT, FORWARD, ...), hashed with the kernel chain name. */
  readonly inserts: ReadonlyMap<string, readonly RenderedRule[]>;
  /** Rules appended to kernel chains, hashed with "<chain>*appends*". */
  readonly appends: ReadonlyMap<string, readonly RenderedRule[]>;
}

export type IpSetType = 'hash:ip' | 'hash:net' | 'hash:ip,port';

export interface IpSetState {
  /** Kernel name, e.g. cali40s:lJVGDaqTNzSq4oOWKtH8pYj (felix/ipsets/ipset_defs.go, at most 31 characters). */
  readonly name: string;
  readonly type: IpSetType;
  readonly family: IpFamily;
  /** Members in Felix's canonical written form (10.65.0.7/32 for hash:net, 10.65.0.7,tcp:8080 for ip,port). */
  readonly members: ReadonlySet<string>;
}

export interface DesiredState {
  readonly tables: readonly TableState[];
  /** By kernel name. */
  readonly ipsets: ReadonlyMap<string, IpSetState>;
  // ---- raw table (issue 12) ----
  /**
   * Each local workload interface and whether it may send from foreign source prefixes: the driver sets its
   * IPv4 rp_filter sysctl from this (rules/driver/rp-filter.ts). Absent: no sysctl is written.
   */
  readonly workloadInterfaces?: ReadonlyMap<string, WorkloadInterfaceState>;
}

/** raw table (issue 12): what the kernel's per-interface settings depend on. */
export interface WorkloadInterfaceState {
  /** The endpoint has allowSpoofedSourcePrefixes and WorkloadSourceSpoofing is Any: rp_filter 0. */
  readonly allowSpoofing: boolean;
}
