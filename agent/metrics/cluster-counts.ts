// Cluster-wide counts behind felix_cluster_num_{hosts,host_endpoints,tiers,policies,profiles}, computed from the
// datastore updates the daemon passes to the calculation graph, as Felix's StatsCollector does
// (felix/calc/stats_collector.go): hosts are the hostnames that own at least one Node resource,
// workload endpoint, host endpoint or per-host config key; tiers, policies and profiles are the
// keys of that type currently present (felix/calc/active_rules_calculator.go OnPolicyCountsChanged).
import type { KVUpdate } from '../../syncer-client/api.js';
import { parseKey } from '../model/index.js';

export interface ClusterCountsView {
  readonly hosts: number;
  readonly hostEndpoints: number;
  readonly tiers: number;
  readonly policies: number;
  readonly profiles: number;
}

export class ClusterCounts implements ClusterCountsView {
  private readonly keysByHost = new Map<string, Set<string>>();
  private readonly hostEndpointKeys = new Set<string>();
  private readonly tierKeys = new Set<string>();
  private readonly policyKeys = new Set<string>();
  private readonly profileKeys = new Set<string>();

  /** A KV update as received from Typha; a null value is a deletion. Keys Felix does not parse are ignored. */
  onUpdate(u: KVUpdate): void {
    const k = parseKey(u.key);
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
    return this.keysByHost.size;
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

  private onHostKey(hostname: string, key: string, present: boolean): void {
    if (hostname === '') return;
    let keys = this.keysByHost.get(hostname);
    if (present) {
      if (!keys) this.keysByHost.set(hostname, (keys = new Set()));
      keys.add(key);
      return;
    }
    keys?.delete(key);
    if (keys?.size === 0) this.keysByHost.delete(hostname);
  }
}

function toggle(set: Set<string>, key: string, present: boolean): void {
  if (present) set.add(key);
  else set.delete(key);
}
