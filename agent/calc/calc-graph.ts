// The calculation graph: Typha KVs in, dataplane messages out (felix/calc/calc_graph.go). Wiring
// only: each calculator owns its state and lives in its own module, and CalcGraph routes every
// KV to the calculators that consume it (Felix's dispatcher) and flushes them in order.
//
//   config KVs ───────────────► ConfigBatcher ─────────────────────────────┐
//   scoped FelixConfigs, Node ► (selector-scoped config, local labels)     │
//   tiers, policies, profiles ► ActiveRulesCalculator ──► RuleScanner ──────┤
//   profile labels ───────────► (and IPSetCalculator)      │ ref/unref      │
//   endpoints ────────────────► Endpoints ─┬─ local ─► ActiveRulesCalculator│
//                                          └─ all ───► IPSetCalculator ─────┤
//   network sets ─────────────► IPSetCalculator ───────────────────────────►├► EventSequencer ─► out
//   EndpointSlices, Services ─► ServiceIndex (Service sets activated by IPSetCalculator) ─►┤
//   BGPConfiguration default ─► globalBgpConfig (service CIDRs) ───────────────────────────►┤
//   IP pools ─────────────────► IPPoolCalculator ──────────────────────────►┤
//   IP pools ─────────────────► EncapsulationCalculator (read by the daemon; issue 14)
//   nodes, bird_ip, tunnel cfg► HostMetadataCalculator ───── dirty hosts at flush ──────►┤
//                               (labels, local tunnel addresses: read by the daemon)
//   (dirty endpoints are resolved at flush: Endpoints + policy resolver) ───┘
import { EncapsulationCalculator } from './encapsulation.js';
import { UnsupportedUses } from './unsupported.js';
import { HostMetadataCalculator, TUNNEL_CONFIG_NAMES, type NodeResource } from './host-metadata.js';
import type { KVUpdate, SyncStatus } from '../../syncer-client/api.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import {
  decodeValue,
  keyRefusalReason,
  parseKey,
  type Key,
  K8S_PLURALS,
  type ModelBGPConfiguration,
  type ModelEndpointSlice,
  type ModelHostEndpoint,
  type ModelService,
  type ModelIPPool,
  type ModelNetworkSet,
  type ModelPolicy,
  type ModelProfileRules,
  type ModelTier,
  type ModelWorkloadEndpoint,
  type ValueOf,
} from '../model/index.js';
import { ActiveRulesCalculator } from './active-rules.js';
import { ConfigBatcher } from './config-batcher.js';
import { candidateOf, describeEndpoint, findEndpoint, matchEndpoints } from './describe.js';
import { Endpoints, endpointMessage, type LocalEndpoint } from './endpoints.js';
import { EventSequencer } from './event-sequencer.js';
import { IPPoolCalculator } from './ip-pools.js';
import { IPSetCalculator, networkSetData } from './ipsets.js';
import { toLabelMap } from './label-index.js';
import { resolveTiers, type TierLists } from './policy-resolver.js';
import { RuleScanner } from './rule-scanner.js';
import { ServiceIndex } from './service-index.js';
import { DEFAULT_BGP_CONFIGURATION, globalBgpConfig } from './bgp-config.js';
import type {
  CalcGraphOptions,
  CalcLogger,
  CalcStats,
  EndpointCandidate,
  EndpointDescription,
  OverlayFacts,
} from './types.js';

const NOOP_LOGGER: CalcLogger = { debug() {}, info() {}, warn() {}, error() {} };

type ProfileResource = ValueOf<'resource'> & {
  spec?: { labelsToApply?: Record<string, string> | null } | null;
};

export class CalcGraph {
  private readonly log: CalcLogger;
  private readonly config: ConfigBatcher;
  private readonly sequencer: EventSequencer;
  private readonly ipsets: IPSetCalculator;
  private readonly services: ServiceIndex;
  private readonly scanner: RuleScanner;
  private readonly activeRules: ActiveRulesCalculator;
  private readonly endpoints: Endpoints;
  private readonly pools: IPPoolCalculator;
  /** Node addresses, labels, tunnel addresses (issue 14). */
  readonly hostMetadata: HostMetadataCalculator;
  /** What the datastore asks of this node that felix-ts does not enforce (issue 14 item 5). */
  readonly unsupported: UnsupportedUses;
  /** IPIP/VXLAN from the pools (issue 14), before the config overrides. */
  readonly encapsulation: EncapsulationCalculator;
  /** Hosts whose metadata may have changed since the last flush. */
  private readonly dirtyHosts = new Set<string>();

  constructor(opts: CalcGraphOptions) {
    this.log = opts.logger ?? NOOP_LOGGER;
    this.config = new ConfigBatcher(opts.hostname, this.log);
    this.sequencer = new EventSequencer((key) => this.endpointUpdate(key));
    this.services = new ServiceIndex(this.sequencer, this.log);
    this.ipsets = new IPSetCalculator(this.sequencer, this.services);
    this.pools = new IPPoolCalculator(this.sequencer);
    this.hostMetadata = new HostMetadataCalculator(opts.hostname, this.log);
    this.unsupported = new UnsupportedUses(opts.hostname, this.log);
    this.encapsulation = new EncapsulationCalculator({}, this.log);
    this.scanner = new RuleScanner(this.ipsets, this.sequencer);
    this.activeRules = new ActiveRulesCalculator(
      this.scanner,
      (key) => this.sequencer.onEndpointDirty(key),
      this.log,
    );
    this.endpoints = new Endpoints(
      opts.hostname,
      { ipsets: this.ipsets, activeRules: this.activeRules, sequencer: this.sequencer },
      // Felix's validation filter reads the merged config (felix/calc/validation_filter.go); oneof values
      // are case-insensitive (felix/config/param_types.go OneofListParam).
      () =>
        (opts.workloadSourceSpoofing ?? this.config.get('WorkloadSourceSpoofing') ?? '')
          .trim()
          .toLowerCase() === 'any',
      this.log,
    );
  }

  // ---- input ----

  /** `keys`, when given, are the updates' keys already parsed with parseKey (the daemon parses once). */
  onUpdates(updates: readonly KVUpdate[], keys?: readonly (Key | null)[]): void {
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      try {
        this.apply(u, keys ? keys[i]! : parseKey(u.key));
      } catch (e) {
        // Defensive: the schemas should make this unreachable; never let one KV stop the rest.
        this.log.error('calc: failed to apply KV', { key: u.key, error: (e as Error).message });
      }
    }
  }

  onStatus(status: SyncStatus): void {
    if (status !== 'in-sync') return;
    // On the first InSync, config is released and every local endpoint is flushed.
    this.config.onInSync();
    this.activeRules.onInSync();
    this.sequencer.onInSync(this.endpoints.localKeys());
  }

  /** True/false once the Ready flag has been seen; undefined if never set. */
  isDatastoreReady(): boolean | undefined {
    return this.config.datastoreReady;
  }

  private apply(u: KVUpdate, key: Key | null): void {
    if (!key) {
      const refusal = keyRefusalReason(u.key);
      if (refusal) this.log.warn('calc: refusing key with an unsafe name', { key: u.key, reason: refusal });
      else this.log.debug('calc: ignoring unknown key', { key: u.key });
      return;
    }
    if (u.value === null) {
      this.dispatch(key, u.key, undefined, '');
      return;
    }
    const r = decodeValue(key, u.key, u.value);
    if (!r.ok) {
      // An invalid value is treated as a deletion of that key (felix/calc/validation_filter.go).
      this.log.warn('Validation failed; treating as missing', {
        key: u.key,
        error: r.error.message,
        code: r.error.code,
      });
      this.dispatch(key, u.key, undefined, '');
      return;
    }
    this.dispatch(key, u.key, r.value, u.value);
  }

  /** Felix's dispatcher: one KV (value undefined = delete) to the calculators that consume it. */
  private dispatch(key: Key, path: string, value: unknown, raw: string): void {
    this.unsupported.observe(key, path, value);
    switch (key.type) {
      case 'ready':
        this.config.onReady(value as ValueOf<'ready'> | undefined);
        return;
      case 'globalConfig':
        this.config.onGlobalConfig(key.name, value as string | undefined);
        return;
      case 'hostConfig':
        this.config.onHostConfig(key.hostname, key.name, value as string | undefined);
        this.hostMetadata.onHostConfig(key.hostname, key.name, value as string | undefined);
        if ((TUNNEL_CONFIG_NAMES as readonly string[]).includes(key.name)) this.dirtyHosts.add(key.hostname);
        return;
      case 'hostIp':
        this.hostMetadata.onHostIp(key.hostname, value as string | undefined);
        this.dirtyHosts.add(key.hostname);
        return;
      case 'tier':
        this.activeRules.onTierUpdate(key.name, value as ModelTier | undefined);
        return;
      case 'policy':
        this.activeRules.onPolicyUpdate(key, value as ModelPolicy | undefined, raw);
        return;
      case 'profileRules':
        this.activeRules.onProfileRulesUpdate(key.name, value as ModelProfileRules | undefined, raw);
        return;
      case 'workloadEndpoint':
        if (value === undefined) this.endpoints.onRemove(path);
        else this.endpoints.onWorkloadUpdate(key, path, value as ModelWorkloadEndpoint);
        return;
      case 'hostEndpoint':
        if (value === undefined) this.endpoints.onRemove(path);
        else this.endpoints.onHostUpdate(key, path, value as ModelHostEndpoint);
        return;
      case 'networkSet':
        this.onNetworkSet(path, value as ModelNetworkSet | undefined);
        return;
      case 'ipPool':
        this.pools.onUpdate(key.cidr, value as ModelIPPool | undefined);
        this.onPoolEncap(key.cidr, value as ModelIPPool | undefined);
        return;
      case 'resource':
        if (key.plural === 'profiles') this.onProfileResource(key.name, value as ProfileResource | undefined);
        if (key.plural === 'nodes') {
          this.hostMetadata.onNode(key.name, value as NodeResource | undefined);
          this.dirtyHosts.add(key.name);
          this.config.onNode(key.name, value as NodeResource | undefined);
        }
        // A FelixConfiguration arrives whole only when it is selector-scoped (configurationprocessor.go).
        if (key.plural === 'felixconfigurations') this.config.onFelixConfigResource(key.name, path, value);
        if (key.plural === K8S_PLURALS.endpointSlice)
          this.services.onSliceUpdate(key.namespace, key.name, path, value as ModelEndpointSlice | undefined);
        if (key.plural === K8S_PLURALS.service)
          this.services.onServiceUpdate(key.namespace, key.name, value as ModelService | undefined);
        if (key.plural === K8S_PLURALS.bgpConfiguration && key.name === DEFAULT_BGP_CONFIGURATION)
          this.sequencer.onGlobalBGPConfigUpdate(
            globalBgpConfig(value as ModelBGPConfiguration | undefined, path, this.log),
          );
        return;
      default:
        // profileLabels (unused by Felix's calc graph), wireguard, blocks, other resources.
        return;
    }
  }

  private onPoolEncap(cidr: string, v: ModelIPPool | undefined): void {
    this.encapsulation.onPoolUpdate(cidr, v && { ipipMode: v.ipip_mode, vxlanMode: v.vxlan_mode });
  }

  private onNetworkSet(path: string, ns: ModelNetworkSet | undefined): void {
    if (!ns) {
      this.ipsets.deleteItem(path);
      return;
    }
    const profileIds = [...new Set(ns.profile_ids ?? [])];
    this.ipsets.updateItem(path, toLabelMap(ns.labels), profileIds, networkSetData(ns.nets ?? []));
  }

  private onProfileResource(name: string, v: ProfileResource | undefined): void {
    const labels = v ? toLabelMap(v.spec?.labelsToApply ?? null) : undefined;
    this.ipsets.updateParent(name, labels);
    this.activeRules.onProfileLabels(name, labels);
  }

  // ---- output ----

  private resolve(ep: LocalEndpoint): TierLists {
    return resolveTiers(ep.kind === 'host', this.activeRules.policiesOf(ep.key), this.activeRules.tiers);
  }

  private endpointUpdate(key: string): ToDataplane | undefined {
    const ep = this.endpoints.get(key);
    return ep ? endpointMessage(ep, this.resolve(ep)) : undefined;
  }

  flush(): ToDataplane[] {
    this.config.flush(this.sequencer);
    // Policies that become active together (all of them at the first in-sync) have their IP sets'
    // selectors evaluated together: one read of the items' labels per batch, not per new label key.
    this.ipsets.deferSelectors();
    try {
      this.activeRules.flush();
    } finally {
      this.ipsets.settle();
    }
    for (const h of this.dirtyHosts) {
      const view = this.hostMetadata.hostView(h);
      if (view) this.sequencer.onHostMetadataUpdate(h, view);
      else this.sequencer.onHostMetadataRemove(h);
    }
    this.dirtyHosts.clear();
    return this.sequencer.flush();
  }

  // ---- read-only views ----

  /** The pools' encapsulation and this node's tunnel addresses, for the daemon (compiler-config.ts). */
  overlay(): OverlayFacts {
    return { pools: this.encapsulation.encapsulation, tunnels: this.hostMetadata.localTunnelAddrs() };
  }

  stats(): CalcStats {
    let weps = 0;
    let heps = 0;
    for (const ep of this.endpoints.localValues()) {
      if (ep.kind === 'workload') weps++;
      else heps++;
    }
    return {
      localWorkloadEndpoints: weps,
      localHostEndpoints: heps,
      activePolicies: this.scanner.activePolicyCount,
      activeProfiles: this.scanner.activeProfileCount,
      ipSets: this.ipsets.activeCount,
      clusterWorkloadEndpoints: this.endpoints.clusterWorkloadCount,
    };
  }

  /**
   * The local endpoint named by KV key, interface, workload ID ("ns/pod"), "ns/pod/eth0", HEP name
   * or bare pod name (describe.ts matchEndpoints); undefined when none or several match.
   */
  describeEndpoint(nameOrIface: string): EndpointDescription | undefined {
    const ep = findEndpoint(nameOrIface, (k) => this.endpoints.get(k), this.endpoints.localValues());
    return ep ? describeEndpoint(ep, this.resolve(ep), this.activeRules.labelsOf(ep.key)) : undefined;
  }

  /** Every local endpoint the name matches: more than one when it is ambiguous (a pod name in two namespaces). */
  endpointCandidates(name: string): EndpointCandidate[] {
    return matchEndpoints(name, (k) => this.endpoints.get(k), this.endpoints.localValues()).map(candidateOf);
  }
}
