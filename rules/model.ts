// The desired-state model: the output of rules/compiler and the input of the dataplane writers
// (rules/iptables, rules/ipsets). Pure data; no I/O. See felix-iptables-dataplane.md §1, §3, §7.

export type IpFamily = 4 | 6;
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';

/**
 * One rule as Felix renders it: `body` is the long-form rule text that follows
 * `-A <chain> -m comment --comment "cali:<hash>" ` in restore input (may be empty), and `hash`
 * is the 16-character chained rule hash of §3.2. Every string in `body` that came from the
 * datastore has already been escaped or hashed by the compiler.
 */
export interface RenderedRule {
  readonly hash: string;
  readonly body: string;
}

/** A chain owned by felix-ts (name matches ^cali-). */
export interface Chain {
  readonly name: string;
  readonly rules: readonly RenderedRule[];
}

/**
 * Desired state of one (table, family). Only chains that are referenced (from the kernel-chain
 * hooks, transitively through jumps/gotos) are present: the compiler does that pruning (§1).
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
  /** Kernel name, e.g. cali40s:lJVGDaqTNzSq4oOWKtH8pYj (§3.3, at most 31 characters). */
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
}
