// The event sequencer (felix/calc/event_sequencer.go): the one owner of what is pending for the
// dataplane, what the dataplane has been sent, and the order messages leave in. The calculators
// report changes as they happen; flush() coalesces them and emits in dependency order:
//   config, IP sets added, IP set deltas, policies, profiles, endpoints (after InSync),
//   endpoint removes, profile removes, policy removes, IP sets removed, host metadata removes, host
//   metadata updates, IP pool removes, IP pool updates, the BGP service CIDRs, InSync (once).
// Endpoints are marked dirty here and materialised at flush through `resolveEndpoint`, so a burst
// of changes to one endpoint costs one resolution; an unchanged result is not re-sent.
import type {
  GlobalBGPConfig,
  HostMetadata,
  IPAMPool,
  IPSetType,
  PolicyID,
  ToDataplane,
} from '../../rules/dataplane-api/types.js';
import type { IPPoolSink } from './ip-pools.js';

/** What the IP set calculator (ipsets.ts) reports. */
export interface IPSetSink {
  onIPSetAdded(id: string, type: IPSetType): void;
  onIPSetRemoved(id: string): void;
  onIPSetMemberAdded(id: string, member: string): void;
  onIPSetMemberRemoved(id: string, member: string): void;
}

/** What the rule scanner (rule-scanner.ts) reports. */
export interface RulesSink {
  onPolicyActive(key: string, msg: ToDataplane): void;
  onPolicyInactive(key: string, id: PolicyID): void;
  onProfileActive(name: string, msg: ToDataplane): void;
  onProfileInactive(name: string): void;
}

/** What the config batcher (config-batcher.ts) reports. */
export interface ConfigSink {
  onConfigUpdate(merged: Record<string, string>): void;
}

/** What the local endpoint bookkeeping (endpoints.ts) and the match index report. */
export interface EndpointSink {
  /** The endpoint's message may have changed (labels, matches, tiers): re-resolve at flush. */
  onEndpointDirty(key: string): void;
  /** The endpoint was (re)written: re-resolve, and a pending remove no longer applies. */
  onEndpointUpdated(key: string): void;
  /** The endpoint is gone; `removal` is sent if the dataplane knows it. */
  onEndpointRemoved(key: string, removal: ToDataplane): void;
}

interface PendingSet {
  readonly type: IPSetType;
  readonly members: Set<string>;
}

interface PendingDelta {
  readonly added: Set<string>;
  readonly removed: Set<string>;
}

function byKey([a]: [string, string], [b]: [string, string]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class EventSequencer implements IPSetSink, RulesSink, ConfigSink, EndpointSink, IPPoolSink {
  private pendingConfig: Record<string, string> | undefined;
  private sentConfigJson: string | undefined;

  private readonly pendingAddedIPSets = new Map<string, PendingSet>();
  private readonly pendingIPSetDeltas = new Map<string, PendingDelta>();
  private readonly pendingRemovedIPSets = new Set<string>();
  private readonly sentIPSets = new Set<string>();

  private readonly pendingPolicyUpdates = new Map<string, ToDataplane>();
  private readonly pendingPolicyRemoves = new Map<string, ToDataplane>();
  private readonly sentPolicies = new Set<string>();
  private readonly pendingProfileUpdates = new Map<string, ToDataplane>();
  private readonly pendingProfileRemoves = new Map<string, ToDataplane>();
  private readonly sentProfiles = new Set<string>();

  private readonly dirtyEndpoints = new Set<string>();
  private readonly pendingEndpointRemoves = new Map<string, ToDataplane>();
  /** Key → the JSON of the message last sent, to drop unchanged re-resolutions. */
  private readonly sentEndpoints = new Map<string, string>();

  private readonly pendingPoolUpdates = new Map<string, IPAMPool>();
  private readonly pendingPoolRemoves = new Set<string>();
  private readonly sentPools = new Set<string>();

  private readonly pendingHostUpdates = new Map<string, HostMetadata>();
  private readonly pendingHostRemoves = new Set<string>();
  /** Hostname → JSON of the host metadata last sent, to drop unchanged updates. */
  private readonly sentHosts = new Map<string, string>();

  private pendingBgpConfig: GlobalBGPConfig | undefined;
  private sentBgpConfigJson: string | undefined;

  private inSync = false;
  private inSyncSent = false;

  /** `resolveEndpoint` builds a local endpoint's message; undefined if it is not local (any more). */
  constructor(private readonly resolveEndpoint: (key: string) => ToDataplane | undefined) {}

  // ---- config ----

  onConfigUpdate(merged: Record<string, string>): void {
    this.pendingConfig = merged;
  }

  // ---- IP sets ----

  onIPSetAdded(id: string, type: IPSetType): void {
    // Re-activated before its removal was flushed: the full update replaces it.
    this.pendingRemovedIPSets.delete(id);
    this.pendingIPSetDeltas.delete(id);
    this.pendingAddedIPSets.delete(id);
    this.pendingAddedIPSets.set(id, { type, members: new Set() });
  }

  onIPSetRemoved(id: string): void {
    this.pendingAddedIPSets.delete(id);
    this.pendingIPSetDeltas.delete(id);
    if (this.sentIPSets.has(id)) this.pendingRemovedIPSets.add(id);
  }

  onIPSetMemberAdded(id: string, member: string): void {
    const fresh = this.pendingAddedIPSets.get(id);
    if (fresh) {
      fresh.members.add(member);
      return;
    }
    const d = this.deltaOf(id);
    if (d.removed.has(member)) d.removed.delete(member);
    else d.added.add(member);
  }

  onIPSetMemberRemoved(id: string, member: string): void {
    const fresh = this.pendingAddedIPSets.get(id);
    if (fresh) {
      fresh.members.delete(member);
      return;
    }
    const d = this.deltaOf(id);
    if (d.added.has(member)) d.added.delete(member);
    else d.removed.add(member);
  }

  private deltaOf(id: string): PendingDelta {
    let d = this.pendingIPSetDeltas.get(id);
    if (!d) this.pendingIPSetDeltas.set(id, (d = { added: new Set(), removed: new Set() }));
    return d;
  }

  // ---- policies and profiles ----

  onPolicyActive(key: string, msg: ToDataplane): void {
    this.pendingPolicyRemoves.delete(key);
    this.pendingPolicyUpdates.set(key, msg);
  }

  onPolicyInactive(key: string, id: PolicyID): void {
    this.pendingPolicyUpdates.delete(key);
    if (this.sentPolicies.has(key)) this.pendingPolicyRemoves.set(key, { kind: 'activePolicyRemove', id });
  }

  onProfileActive(name: string, msg: ToDataplane): void {
    this.pendingProfileRemoves.delete(name);
    this.pendingProfileUpdates.set(name, msg);
  }

  onProfileInactive(name: string): void {
    this.pendingProfileUpdates.delete(name);
    if (this.sentProfiles.has(name))
      this.pendingProfileRemoves.set(name, { kind: 'activeProfileRemove', id: { name } });
  }

  // ---- IP pools (felix/calc/event_sequencer.go OnIPPoolUpdate/OnIPPoolRemove) ----

  onIPPoolUpdate(id: string, pool: IPAMPool): void {
    this.pendingPoolRemoves.delete(id);
    this.pendingPoolUpdates.set(id, pool);
  }

  onIPPoolRemove(id: string): void {
    this.pendingPoolUpdates.delete(id);
    if (this.sentPools.has(id)) this.pendingPoolRemoves.add(id);
  }

  // ---- host metadata (felix/calc/event_sequencer.go OnHostMetadataUpdate/OnHostMetadataRemove) ----

  onHostMetadataUpdate(hostname: string, host: HostMetadata): void {
    this.pendingHostRemoves.delete(hostname);
    this.pendingHostUpdates.set(hostname, host);
  }

  onHostMetadataRemove(hostname: string): void {
    this.pendingHostUpdates.delete(hostname);
    if (this.sentHosts.has(hostname)) this.pendingHostRemoves.add(hostname);
  }

  // ---- the default BGPConfiguration (felix/calc/event_sequencer.go OnGlobalBGPConfigUpdate) ----

  onGlobalBGPConfigUpdate(cfg: GlobalBGPConfig): void {
    this.pendingBgpConfig = cfg;
  }

  // ---- endpoints ----

  onEndpointDirty(key: string): void {
    this.dirtyEndpoints.add(key);
  }

  onEndpointUpdated(key: string): void {
    this.pendingEndpointRemoves.delete(key);
    this.dirtyEndpoints.add(key);
  }

  onEndpointRemoved(key: string, removal: ToDataplane): void {
    this.dirtyEndpoints.delete(key);
    if (this.sentEndpoints.has(key)) this.pendingEndpointRemoves.set(key, removal);
  }

  /** The datastore is in sync: endpoints may be sent (from `dirty`, normally every local one). */
  onInSync(localEndpoints: Iterable<string>): void {
    if (this.inSync) return;
    this.inSync = true;
    for (const k of localEndpoints) this.dirtyEndpoints.add(k);
  }

  get sentEndpointCount(): number {
    return this.sentEndpoints.size;
  }

  // ---- output ----

  flush(): ToDataplane[] {
    const out: ToDataplane[] = [];
    this.flushConfig(out);
    this.flushAddedIPSets(out);
    this.flushIPSetDeltas(out);
    for (const [key, m] of this.pendingPolicyUpdates) {
      out.push(m);
      this.sentPolicies.add(key);
    }
    this.pendingPolicyUpdates.clear();
    for (const [name, m] of this.pendingProfileUpdates) {
      out.push(m);
      this.sentProfiles.add(name);
    }
    this.pendingProfileUpdates.clear();
    // Felix's policy resolver emits endpoints only after InSync.
    if (this.inSync) {
      this.flushEndpointUpdates(out);
      for (const [key, m] of this.pendingEndpointRemoves) {
        out.push(m);
        this.sentEndpoints.delete(key);
      }
      this.pendingEndpointRemoves.clear();
    }
    for (const [name, m] of this.pendingProfileRemoves) {
      out.push(m);
      this.sentProfiles.delete(name);
    }
    this.pendingProfileRemoves.clear();
    for (const [key, m] of this.pendingPolicyRemoves) {
      out.push(m);
      this.sentPolicies.delete(key);
    }
    this.pendingPolicyRemoves.clear();
    for (const id of this.pendingRemovedIPSets) {
      out.push({ kind: 'ipsetRemove', id });
      this.sentIPSets.delete(id);
    }
    this.pendingRemovedIPSets.clear();
    this.flushHosts(out);
    this.flushPools(out);
    this.flushBgpConfig(out);
    if (this.inSync && !this.inSyncSent) {
      out.push({ kind: 'inSync' });
      this.inSyncSent = true;
    }
    return out;
  }

  /** Felix's flushHostDeletes then flushHostUpdates (cluster-wide, before the pools). */
  private flushHosts(out: ToDataplane[]): void {
    for (const hostname of this.pendingHostRemoves) {
      out.push({ kind: 'hostMetadataRemove', hostname });
      this.sentHosts.delete(hostname);
    }
    this.pendingHostRemoves.clear();
    for (const [hostname, host] of this.pendingHostUpdates) {
      const json = JSON.stringify(host);
      if (this.sentHosts.get(hostname) === json) continue;
      out.push({ kind: 'hostMetadataUpdate', hostname, host });
      this.sentHosts.set(hostname, json);
    }
    this.pendingHostUpdates.clear();
  }

  /** Felix's flushIPPoolDeletes then flushIPPoolUpdates, among the cluster-wide updates after endpoints. */
  private flushPools(out: ToDataplane[]): void {
    for (const id of this.pendingPoolRemoves) {
      out.push({ kind: 'ipamPoolRemove', id });
      this.sentPools.delete(id);
    }
    this.pendingPoolRemoves.clear();
    for (const [id, pool] of this.pendingPoolUpdates) {
      out.push({ kind: 'ipamPoolUpdate', id, pool });
      this.sentPools.add(id);
    }
    this.pendingPoolUpdates.clear();
  }

  /** After the IP pools, as Felix's flush; an unchanged config is not re-sent. */
  private flushBgpConfig(out: ToDataplane[]): void {
    const cfg = this.pendingBgpConfig;
    if (!cfg) return;
    this.pendingBgpConfig = undefined;
    const json = JSON.stringify(cfg);
    if (json === this.sentBgpConfigJson) return;
    this.sentBgpConfigJson = json;
    out.push({ kind: 'globalBgpConfigUpdate', ...cfg });
  }

  private flushConfig(out: ToDataplane[]): void {
    const merged = this.pendingConfig;
    if (!merged) return;
    this.pendingConfig = undefined;
    const json = JSON.stringify(Object.entries(merged).sort(byKey));
    if (json === this.sentConfigJson) return;
    this.sentConfigJson = json;
    out.push({ kind: 'configUpdate', config: merged });
  }

  private flushAddedIPSets(out: ToDataplane[]): void {
    for (const [id, s] of this.pendingAddedIPSets) {
      out.push({ kind: 'ipsetUpdate', id, members: [...s.members], type: s.type });
      this.sentIPSets.add(id);
    }
    this.pendingAddedIPSets.clear();
  }

  private flushIPSetDeltas(out: ToDataplane[]): void {
    for (const [id, d] of this.pendingIPSetDeltas) {
      if (d.added.size === 0 && d.removed.size === 0) continue;
      out.push({ kind: 'ipsetDeltaUpdate', id, addedMembers: [...d.added], removedMembers: [...d.removed] });
    }
    this.pendingIPSetDeltas.clear();
  }

  private flushEndpointUpdates(out: ToDataplane[]): void {
    for (const key of this.dirtyEndpoints) {
      const m = this.resolveEndpoint(key);
      if (!m) continue;
      const json = JSON.stringify(m);
      if (this.sentEndpoints.get(key) === json) continue;
      this.sentEndpoints.set(key, json);
      out.push(m);
    }
    this.dirtyEndpoints.clear();
  }
}
