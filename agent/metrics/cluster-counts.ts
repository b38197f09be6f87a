// Cluster-wide counts behind felix_cluster_num_{hosts,host_endpoints,tiers,policies,profiles}, computed from the
// datastore updates the daemon passes to the calculation graph, as Felix's StatsCollector does
// (felix/calc/stats_collector.go): hosts are the hostnames that own at least one Node resource,
// workload endpoint, host endpoint or per-host config key; tiers, policies and profiles are the
// keys of that type currently present (felix/calc/active_rules_calculator.go OnPolicyCountsChanged).
// Workload endpoints (100k in a large cluster) are counted per host, not kept: like Felix's
// keyCountByHost, a New update adds one and a deletion takes one away; the syncer client's resync
// sends New only for keys it has not emitted before (syncer-client/client/resync.ts). The few other
// per-host keys (Node, host endpoints, host config) are kept, so a repeated update of one counts once.
import { UpdateType, type KVUpdate } from '../../syncer-client/api.js';
import { parseKey, type Key } from '../model/index.js';

export interface ClusterCountsView {
  readonly hosts: number;
  readonly hostEndpoints: number;
  readonly tiers: number;
  readonly policies: number;
  readonly profiles: number;
}

export class ClusterCounts implements ClusterCountsView {
  /** Per host: its workload endpoint count and its other keys; a host is listed while either is non-empty. */
  private readonly byHost = new Map<string, { weps: number; readonly keys: Set<string> }>();
  private readonly hostEndpointKeys = new Set<string>();
  private readonly tierKeys = new Set<string>();
  private readonly policyKeys = new Set<string>();
  private readonly profileKeys = new Set<string>();

  /** A KV update as received from Typha; a null value is a deletion. Keys Felix does not parse are ignored. */
  onUpdate(u: KVUpdate, k: Key | null = parseKey(u.key)): void {
    if (k === null) return;
    const present = u.value !== null;
    switch (k.type) {
      case 'tier':
        return toggle(this.tierKeys, u.key, present);
      case 'policy':
        return toggle(this.policyKeys, u.key, present);
      case 'profileRules':
        return toggle(this.profileKeys, u.key, present);
      case 'hostEndpoint':
        toggle(this.hostEndpointKeys, u.key, present);
        return this.onHostKey(k.hostname, u.key, present);
      case 'workloadEndpoint':
        return this.onWorkloadEndpoint(k.hostname, u);
      case 'hostConfig':
        return this.onHostKey(k.hostname, u.key, present);
      case 'resource':
        if (k.plural === 'nodes') this.onHostKey(k.name, u.key, present);
        return;
      default:
        return;
    }
  }

  get hosts(): number {
    return this.byHost.size;
  }
  get hostEndpoints(): number {
    return this.hostEndpointKeys.size;
  }
  get tiers(): number {
    return this.tierKeys.size;
  }
  get policies(): number {
    return this.policyKeys.size;
  }
  get profiles(): number {
    return this.profileKeys.size;
  }

  private host(hostname: string): { weps: number; readonly keys: Set<string> } {
    let h = this.byHost.get(hostname);
    if (!h) this.byHost.set(hostname, (h = { weps: 0, keys: new Set() }));
    return h;
  }

  private dropIfEmpty(hostname: string): void {
    const h = this.byHost.get(hostname);
    if (h && h.weps <= 0 && h.keys.size === 0) this.byHost.delete(hostname);
  }

  private onWorkloadEndpoint(hostname: string, u: KVUpdate): void {
    if (hostname === '') return;
    if (u.value !== null) {
      if (u.updateType === UpdateType.New) this.host(hostname).weps++;
      return;
    }
    const h = this.byHost.get(hostname);
    if (h && h.weps > 0) h.weps--;
    this.dropIfEmpty(hostname);
  }

  private onHostKey(hostname: string, key: string, present: boolean): void {
    if (hostname === '') return;
    if (present) {
      this.host(hostname).keys.add(key);
      return;
    }
    this.byHost.get(hostname)?.keys.delete(key);
    this.dropIfEmpty(hostname);
  }
}

function toggle(set: Set<string>, key: string, present: boolean): void {
  if (present) set.add(key);
  else set.delete(key);
}
