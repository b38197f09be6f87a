// DataplaneState: the compiler's input, built from the calc->dataplane message stream. It only stores
// validated data; compile() turns it into a DesiredState.
import type { HostInterfaces } from './host-ifaces.js';
import type {
  GlobalBGPConfig,
  HostEndpoint,
  HostMetadata,
  HostEndpointID,
  IPAMPool,
  IPSetType,
  Policy,
  PolicyID,
  Profile,
  ToDataplane,
  WorkloadEndpoint,
  WorkloadEndpointID,
} from '../dataplane-api/types.js';
import { policyIdString } from '../dataplane-api/types.js';
import { CompilerInputError } from './errors.js';
import { ChainMemo, HashCache, KeyedMemo } from './hash-cache.js';
import { isCanonicalV4Member, type MemberShape } from './ipaddr.js';
import { isValidInterfaceName } from './names.js';
import { canonicalMember, checkRules, type CanonicalMember } from './validate.js';

export interface IpSetEntry {
  readonly type: IPSetType;
  /** Canonical members by family (felix/ipsets/ipsets.go). */
  readonly v4: ReadonlySet<string>;
  readonly v6: ReadonlySet<string>;
}

interface MutableIpSetEntry {
  readonly type: IPSetType;
  readonly v4: Set<string>;
  readonly v6: Set<string>;
}

export interface PolicyEntry {
  readonly id: PolicyID;
  readonly policy: Policy;
}

export interface WorkloadEntry {
  readonly id: WorkloadEndpointID;
  readonly endpoint: WorkloadEndpoint;
}

export interface HostEndpointEntry {
  readonly id: HostEndpointID;
  readonly endpoint: HostEndpoint;
}

/** An IP pool with its validated CIDR (felix/dataplane/linux/masq_mgr.go keeps one per family). */
export interface PoolEntry {
  readonly pool: IPAMPool;
  readonly family: 4 | 6;
  /** Canonical CIDR text, as an IP set member. */
  readonly cidr: string;
}

/** A node's validated addresses (canonical, "" for none), from hostMetadataUpdate. */
export type HostEntry = HostMetadata;

/** A service CIDR for loop prevention, canonical. */
export interface ServiceCidr {
  readonly family: 4 | 6;
  readonly cidr: string;
}

export function workloadKey(id: WorkloadEndpointID): string {
  return `${id.orchestratorId}/${id.workloadId}/${id.endpointId}`;
}

/** Map key for a policy: Felix's PolicyID.ID() text, the one policy-key format (policyIdString). */
export function policyKey(id: PolicyID): string {
  return policyIdString(id);
}

export class DataplaneState {
  private readonly _ipsets = new Map<string, MutableIpSetEntry>();
  /** IDs whose member sets compile() has handed out since they were last copied. */
  private readonly _exposedIpSets = new Set<string>();
  private readonly _profiles = new Map<string, Profile>();
  private readonly _policies = new Map<string, PolicyEntry>();
  private readonly _workloads = new Map<string, WorkloadEntry>();
  private readonly _hostEndpoints = new Map<string, HostEndpointEntry>();
  private readonly _pools = new Map<string, PoolEntry>();
  private readonly _hosts = new Map<string, HostEntry>();
  private _hostsVersion = 0;
  private _config: Readonly<Record<string, string>> = {};
  private _serviceCidrs: readonly ServiceCidr[] = [];
  private _inSync = false;
  /** Rule-hash memo used by compile(); it never changes results, only skips re-hashing. */
  readonly hashCache = new HashCache();
  /** Compiled chains per source entry, reused while the entry and the config are unchanged. */
  readonly chainMemo = new ChainMemo<unknown>();
  /**
   * Chains shared by both families (table.ts addShared), by table and chain name and a content key
   * (everything the chain depends on besides the config), so they survive a replaced state entry.
   */
  readonly sharedChains = new KeyedMemo<unknown>();
  /**
   * The node's interfaces and local addresses (issue 13 item 4: this-host, kube-ipvs0), from the
   * driver's interface monitor rather than from the calc graph; undefined until the first reading.
   */
  hostInterfaces: HostInterfaces | undefined;

  get ipsets(): ReadonlyMap<string, IpSetEntry> {
    return this._ipsets;
  }
  /**
   * The IP sets for a DesiredState: the member sets are shared with the caller, so later deltas copy
   * before they change them.
   */
  exposeIpSets(): ReadonlyMap<string, IpSetEntry> {
    for (const id of this._ipsets.keys()) this._exposedIpSets.add(id);
    return this._ipsets;
  }
  get profiles(): ReadonlyMap<string, Profile> {
    return this._profiles;
  }
  /** Keyed by policyKey(id). */
  get policies(): ReadonlyMap<string, PolicyEntry> {
    return this._policies;
  }
  /** Keyed by workloadKey(id). */
  get workloads(): ReadonlyMap<string, WorkloadEntry> {
    return this._workloads;
  }
  /** Keyed by HostEndpointID.endpointId. */
  get hostEndpoints(): ReadonlyMap<string, HostEndpointEntry> {
    return this._hostEndpoints;
  }
  /** IP pools by message id. */
  get pools(): ReadonlyMap<string, PoolEntry> {
    return this._pools;
  }
  /** Cluster nodes' addresses by hostname (all-hosts-net, all-vxlan-net: overlay-sets.ts). */
  get hosts(): ReadonlyMap<string, HostEntry> {
    return this._hosts;
  }
  /** Bumped on every host change, so the overlay sets are rebuilt only then. */
  get hostsVersion(): number {
    return this._hostsVersion;
  }
  /**
   * The last GlobalBGPConfigUpdate's cluster, external and load-balancer CIDRs, in that order, with
   * their family (felix/dataplane/linux/service_loop_mgr.go).
   */
  get serviceCidrs(): readonly ServiceCidr[] {
    return this._serviceCidrs;
  }
  /** The last ConfigUpdate (the agent decides what to do with it). */
  get config(): Readonly<Record<string, string>> {
    return this._config;
  }
  /** True once an InSync message has been seen. */
  get inSync(): boolean {
    return this._inSync;
  }

  /**
   * Applies one message. Throws CompilerInputError (state unchanged) when the message cannot be
   * compiled safely; the caller logs it and carries on.
   */
  apply(msg: ToDataplane): void {
    switch (msg.kind) {
      case 'inSync':
        this._inSync = true;
        return;
      case 'configUpdate':
        this._config = { ...msg.config };
        return;
      case 'ipsetUpdate': {
        if (msg.type !== 0 && msg.type !== 1 && msg.type !== 2) {
          throw new CompilerInputError(
            'ERR_BAD_MESSAGE',
            `ipsetUpdate ${msg.id}`,
            `unknown IP set type ${String(msg.type)}`,
          );
        }
        const entry: MutableIpSetEntry = { type: msg.type, v4: new Set(), v6: new Set() };
        addMembers(entry, msg.members, `ipsetUpdate ${msg.id}`);
        this._ipsets.set(msg.id, entry);
        this._exposedIpSets.delete(msg.id);
        return;
      }
      case 'ipsetDeltaUpdate': {
        const subject = `ipsetDeltaUpdate ${msg.id}`;
        const old = this._ipsets.get(msg.id);
        if (!old)
          throw new CompilerInputError('ERR_BAD_MESSAGE', subject, 'delta update for an unknown IP set');
        // Validate everything first, so a bad delta changes nothing.
        const removed = msg.removedMembers.map((m) => memberOf(old.type, m) ?? badMemberThrow(subject, m));
        const added = msg.addedMembers.map((m) => memberOf(old.type, m) ?? badMemberThrow(subject, m));
        // Copy on write: a set that compile() has handed out is never changed under its reader; one that
        // has not been handed out since its last copy is changed in place (cheap bursts of deltas).
        let next = this._ipsets.get(msg.id) as MutableIpSetEntry;
        if (this._exposedIpSets.has(msg.id)) {
          next = { type: old.type, v4: new Set(old.v4), v6: new Set(old.v6) };
          this._exposedIpSets.delete(msg.id);
          this._ipsets.set(msg.id, next);
        }
        for (const c of removed) (c.family === 4 ? next.v4 : next.v6).delete(c.text);
        for (const c of added) (c.family === 4 ? next.v4 : next.v6).add(c.text);
        return;
      }
      case 'ipsetRemove':
        this._ipsets.delete(msg.id);
        this._exposedIpSets.delete(msg.id);
        return;
      case 'activeProfileUpdate':
        checkRules(`activeProfileUpdate ${msg.id.name}`, msg.profile.inboundRules, msg.profile.outboundRules);
        this._profiles.set(msg.id.name, msg.profile);
        return;
      case 'activeProfileRemove':
        this._profiles.delete(msg.id.name);
        return;
      case 'activePolicyUpdate':
        checkRules(
          `activePolicyUpdate ${msg.id.kind}/${msg.id.namespace}/${msg.id.name}`,
          msg.policy.inboundRules,
          msg.policy.outboundRules,
        );
        this._policies.set(policyKey(msg.id), { id: msg.id, policy: msg.policy });
        return;
      case 'activePolicyRemove':
        this._policies.delete(policyKey(msg.id));
        return;
      case 'workloadEndpointUpdate': {
        const key = workloadKey(msg.id);
        if (!isValidInterfaceName(msg.endpoint.name)) {
          throw new CompilerInputError(
            'ERR_BAD_INTERFACE_NAME',
            `workloadEndpointUpdate ${key}`,
            `interface name ${JSON.stringify(msg.endpoint.name)} is not a valid Linux interface name`,
          );
        }
        this._workloads.set(key, { id: msg.id, endpoint: msg.endpoint });
        return;
      }
      case 'workloadEndpointRemove':
        this._workloads.delete(workloadKey(msg.id));
        return;
      case 'hostEndpointUpdate': {
        const n = msg.endpoint.name;
        if (n !== '' && n !== '*' && !isValidInterfaceName(n)) {
          throw new CompilerInputError(
            'ERR_BAD_INTERFACE_NAME',
            `hostEndpointUpdate ${msg.id.endpointId}`,
            `interface name ${JSON.stringify(n)} is not a valid Linux interface name`,
          );
        }
        this._hostEndpoints.set(msg.id.endpointId, { id: msg.id, endpoint: msg.endpoint });
        return;
      }
      case 'hostEndpointRemove':
        this._hostEndpoints.delete(msg.id.endpointId);
        return;
      case 'ipamPoolUpdate': {
        const c = canonicalMember(2 /* NET */, msg.pool.cidr);
        if (!c)
          throw new CompilerInputError('ERR_BAD_MESSAGE', `ipamPoolUpdate ${msg.id}`, 'invalid pool CIDR');
        this._pools.set(msg.id, { pool: msg.pool, family: c.family, cidr: c.text });
        return;
      }
      case 'ipamPoolRemove':
        this._pools.delete(msg.id);
        return;
      case 'hostMetadataUpdate':
      case 'hostMetadataRemove':
        this.applyHost(msg);
        return;
      case 'globalBgpConfigUpdate':
        this._serviceCidrs = serviceCidrsOf(msg);
        return;
      default: {
        const never: never = msg;
        throw new CompilerInputError('ERR_BAD_MESSAGE', 'message', `unknown kind ${JSON.stringify(never)}`);
      }
    }
  }

  private applyHost(msg: Extract<ToDataplane, { kind: 'hostMetadataUpdate' | 'hostMetadataRemove' }>): void {
    if (msg.kind === 'hostMetadataUpdate') this._hosts.set(msg.hostname, hostEntry(msg.hostname, msg.host));
    else if (!this._hosts.delete(msg.hostname)) return;
    this._hostsVersion++;
  }

  /**
   * Applies every message it can, in order, and returns the rejected ones' errors (never throws for bad
   * input).
   */
  applyAll(msgs: readonly ToDataplane[]): CompilerInputError[] {
    const errors: CompilerInputError[] = [];
    for (const msg of msgs) {
      try {
        this.apply(msg);
      } catch (e) {
        if (e instanceof CompilerInputError) errors.push(e);
        else throw e;
      }
    }
    return errors;
  }
}

/** Each address must be "" or a bare address of its family; the canonical text is kept. */
function hostEntry(hostname: string, h: HostMetadata): HostEntry {
  const addr = (field: keyof HostMetadata, family: 4 | 6): string => {
    const v = h[field] ?? '';
    if (v === '') return '';
    const c = canonicalMember(0 /* IP */, v);
    if (!c || c.family !== family)
      throw new CompilerInputError(
        'ERR_BAD_MESSAGE',
        `hostMetadataUpdate ${hostname}`,
        `${field} ${JSON.stringify(v)} is not an IPv${family} address`,
      );
    return c.text;
  };
  return {
    ipv4Addr: addr('ipv4Addr', 4),
    ipv6Addr: addr('ipv6Addr', 6),
    vxlanTunnelAddr: addr('vxlanTunnelAddr', 4),
    vxlanTunnelAddrV6: addr('vxlanTunnelAddrV6', 6),
  };
}

/** The message's CIDRs in Felix's order (cluster, external, load balancer), canonical; throws on a malformed one. */
function serviceCidrsOf(msg: GlobalBGPConfig): ServiceCidr[] {
  const all = [...msg.serviceClusterCidrs, ...msg.serviceExternalCidrs, ...msg.serviceLoadbalancerCidrs];
  return all.map((cidr) => {
    const c = canonicalMember(2 /* NET */, cidr);
    if (!c) {
      throw new CompilerInputError(
        'ERR_BAD_MESSAGE',
        'globalBgpConfigUpdate',
        `invalid CIDR ${JSON.stringify(cidr)}`,
      );
    }
    return { family: c.family, cidr: c.text };
  });
}

function badMemberThrow(subject: string, m: string): never {
  throw badMember(subject, m);
}

function badMember(subject: string, m: string): CompilerInputError {
  return new CompilerInputError('ERR_BAD_IPSET_MEMBER', subject, `malformed member ${JSON.stringify(m)}`);
}

const SHAPE: Readonly<Record<IPSetType, MemberShape>> = { 0: 'ip', 1: 'ip,port', 2: 'net' };

/**
 * One member's family and canonical text. The calc sends canonical members, so an IPv4 one is
 * checked in place and kept as the very string it sent (shared with the calc, not re-printed);
 * anything else is parsed (canonicalMember), which also rejects a malformed one.
 */
function memberOf(type: IPSetType, m: string): CanonicalMember | undefined {
  return isCanonicalV4Member(SHAPE[type], m) ? { family: 4, text: m } : canonicalMember(type, m);
}

function addMembers(entry: MutableIpSetEntry, members: readonly string[], subject: string): void {
  const shape = SHAPE[entry.type];
  const v4 = entry.v4;
  for (const m of members) {
    // memberOf without the result object: this loop sees every member of a full update.
    if (isCanonicalV4Member(shape, m)) {
      v4.add(m);
      continue;
    }
    const c = canonicalMember(entry.type, m);
    if (!c) throw badMember(subject, m);
    (c.family === 4 ? entry.v4 : entry.v6).add(c.text);
  }
}
