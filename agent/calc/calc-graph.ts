// The incremental calculation graph: Typha KVs in, dataplane messages out
// (felix-datamodel-and-calc.md §5). One class owns the state; the pieces it wires together
// (label indexes, IP set calculator, rule conversion, ordering) are separate modules.
import type { KVUpdate, SyncStatus } from '../../syncer-client/api.js';
import {
  policyIdString,
  type HostEndpoint,
  type HostEndpointID,
  type Policy,
  type PolicyID,
  type Profile,
  type TierInfo,
  type ToDataplane,
  type WorkloadEndpoint,
  type WorkloadEndpointID,
} from '../../rules/dataplane-api/types.js';
import {
  addressOf,
  decodeValue,
  hostCidrOf,
  isStagedKind,
  parseKey,
  keyRefusalReason,
  shortPolicyKind,
  type EndpointPort,
  type Key,
  type ModelHostEndpoint,
  type ModelNetworkSet,
  type ModelPolicy,
  type ModelProfileRules,
  type ModelTier,
  type ModelWorkloadEndpoint,
  type PolicyKind,
  type ValueOf,
} from '../model/index.js';
import type { Selector } from '../selector/index.js';
import { IPSetCalculator, type IPSetSpec, type ItemData, type ItemPort } from './ipsets.js';
import { LabelIndex, toLabelMap, type MatchListener } from './label-index.js';
import { cachedSelector, convertRules } from './rule-convert.js';
import { comparePolicies, compareTiers } from './sorting.js';
import type {
  CalcGraphOptions,
  CalcLogger,
  CalcStats,
  EndpointDescription,
  TierDescription,
} from './types.js';

const NOOP_LOGGER: CalcLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface PolicyRec {
  readonly key: string;
  readonly id: PolicyID;
  readonly kind: PolicyKind;
  readonly tier: string;
  readonly order: number | undefined;
  readonly tieBreak: string;
  readonly selector: Selector;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly untracked: boolean;
  readonly preDnat: boolean;
  readonly applyOnForward: boolean;
  readonly assumeNeeded: boolean;
  readonly model: ModelPolicy;
  readonly raw: string;
}

interface ActiveRules {
  /** What the message was built from; a change rebuilds it. */
  readonly source: string;
  readonly sets: readonly string[];
}

type LocalEndpoint =
  | {
      readonly kind: 'workload';
      readonly key: string;
      readonly id: WorkloadEndpointID;
      readonly model: ModelWorkloadEndpoint;
      readonly profileIds: readonly string[];
    }
  | {
      readonly kind: 'host';
      readonly key: string;
      readonly id: HostEndpointID;
      readonly model: ModelHostEndpoint;
      readonly profileIds: readonly string[];
    };

interface TierLists {
  readonly tiers: TierInfo[];
  readonly untrackedTiers: TierInfo[];
  readonly preDnatTiers: TierInfo[];
  readonly forwardTiers: TierInfo[];
}

const DENY_ALL: ModelProfileRules = {
  inbound_rules: [{ action: 'deny' }],
  outbound_rules: [{ action: 'deny' }],
};

function uniq(list: readonly string[]): string[] {
  return [...new Set(list)];
}

function portProto(p: string | number): string {
  if (typeof p === 'string') return p;
  if (p === 6) return 'tcp';
  if (p === 17) return 'udp';
  if (p === 132) return 'sctp';
  return String(p);
}

function itemPorts(ports: readonly EndpointPort[] | null | undefined): ItemPort[] {
  return (ports ?? []).map((p) => ({ name: p.name, proto: portProto(p.protocol), port: p.port }));
}

/** §5.8: a /0 in a network set becomes two /1s. */
function netsetMembers(nets: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of nets) {
    if (n === '0.0.0.0/0') out.push('0.0.0.0/1', '128.0.0.0/1');
    else if (n === '::/0') out.push('::/1', '8000::/1');
    else out.push(n);
  }
  return uniq(out);
}

/** True if the two records sort and split into tier lists identically (all resolveTiers reads). */
function sameTierPlacement(a: PolicyRec, b: PolicyRec): boolean {
  return (
    a.tieBreak === b.tieBreak && // name, namespace and kind: the same id
    a.tier === b.tier &&
    a.order === b.order &&
    a.ingress === b.ingress &&
    a.egress === b.egress &&
    a.untracked === b.untracked &&
    a.preDnat === b.preDnat &&
    a.applyOnForward === b.applyOnForward
  );
}

export class CalcGraph implements MatchListener {
  private readonly hostname: string;
  private readonly log: CalcLogger;

  // Config (§2.2, §6).
  private readonly globalConfig = new Map<string, string>();
  private readonly hostConfig = new Map<string, string>();
  private ready: boolean | undefined;
  private configDirty = false;
  private lastConfigJson: string | undefined;

  // Policies, tiers, profiles.
  private readonly policies = new Map<string, PolicyRec>();
  private readonly tierDefs = new Map<string, ModelTier>();
  private readonly tierPolicies = new Map<string, Set<string>>();
  private readonly profileRules = new Map<string, { model: ModelProfileRules; raw: string }>();
  private readonly profileRefs = new Map<string, number>();

  // Local endpoints and their policy matches (§5.3): a label index over local endpoints only.
  private readonly localEndpoints = new Map<string, LocalEndpoint>();
  private readonly policyIndex = new LabelIndex(this);
  private readonly policyMatches = new Map<string, Set<string>>();
  private readonly endpointPolicies = new Map<string, Set<string>>();
  private readonly clusterWeps = new Set<string>();

  // IP sets over all endpoints and network sets (§5.8).
  private readonly ipsets = new IPSetCalculator();

  // Active rules and what the dataplane has been told.
  private readonly activePolicies = new Map<string, ActiveRules>();
  private readonly activeProfiles = new Map<string, ActiveRules>();
  private readonly dirtyPolicies = new Set<string>();
  private readonly dirtyProfiles = new Set<string>();
  private readonly dirtyEndpoints = new Set<string>();
  private readonly pendingPolicyUpdates = new Map<string, ToDataplane>();
  private readonly pendingPolicyRemoves = new Map<string, ToDataplane>();
  private readonly pendingProfileUpdates = new Map<string, ToDataplane>();
  private readonly pendingProfileRemoves = new Map<string, ToDataplane>();
  private readonly pendingEndpointRemoves = new Map<string, ToDataplane>();
  private readonly sentPolicies = new Set<string>();
  private readonly sentProfiles = new Set<string>();
  private readonly sentEndpoints = new Map<string, string>();

  private syncerInSync = false;
  private inSyncSent = false;

  constructor(opts: CalcGraphOptions) {
    this.hostname = opts.hostname;
    this.log = opts.logger ?? NOOP_LOGGER;
  }

  // ---- label index listener (policy selector ↔ local endpoint) ----

  onMatchStarted(policyKey: string, endpointKey: string): void {
    let m = this.policyMatches.get(policyKey);
    if (!m) this.policyMatches.set(policyKey, (m = new Set()));
    m.add(endpointKey);
    let e = this.endpointPolicies.get(endpointKey);
    if (!e) this.endpointPolicies.set(endpointKey, (e = new Set()));
    e.add(policyKey);
    this.dirtyPolicies.add(policyKey);
    this.dirtyEndpoints.add(endpointKey);
  }

  onMatchStopped(policyKey: string, endpointKey: string): void {
    const m = this.policyMatches.get(policyKey);
    m?.delete(endpointKey);
    if (m && m.size === 0) this.policyMatches.delete(policyKey);
    const e = this.endpointPolicies.get(endpointKey);
    e?.delete(policyKey);
    if (e && e.size === 0) this.endpointPolicies.delete(endpointKey);
    this.dirtyPolicies.add(policyKey);
    this.dirtyEndpoints.add(endpointKey);
  }

  // ---- input ----

  onUpdates(updates: readonly KVUpdate[]): void {
    for (const u of updates) {
      try {
        this.apply(u);
      } catch (e) {
        // Defensive: the schemas should make this unreachable; never let one KV stop the rest.
        this.log.error('calc: failed to apply KV', { key: u.key, error: (e as Error).message });
      }
    }
  }

  onStatus(status: SyncStatus): void {
    if (status === 'in-sync' && !this.syncerInSync) {
      this.syncerInSync = true;
      // §6 step 4: on the first InSync, every local endpoint is flushed.
      for (const k of this.localEndpoints.keys()) this.dirtyEndpoints.add(k);
      this.configDirty = true;
    }
  }

  /** True/false once the Ready flag has been seen; undefined if never set (§6 step 5). */
  isDatastoreReady(): boolean | undefined {
    return this.ready;
  }

  private apply(u: KVUpdate): void {
    const key = parseKey(u.key);
    if (!key) {
      const refusal = keyRefusalReason(u.key);
      if (refusal) this.log.warn('calc: refusing key with an unsafe name', { key: u.key, reason: refusal });
      else this.log.debug('calc: ignoring unknown key', { key: u.key });
      return;
    }
    if (u.value === null) {
      this.remove(key, u.key);
      return;
    }
    const r = decodeValue(key, u.key, u.value);
    if (!r.ok) {
      // §5.1: an invalid value is treated as a deletion of that key.
      this.log.warn('calc: invalid value, treating as delete', {
        key: u.key,
        error: r.error.message,
        code: r.error.code,
      });
      this.remove(key, u.key);
      return;
    }
    this.set(key, u.key, r.value, u.value);
  }

  private set(key: Key, path: string, value: unknown, raw: string): void {
    switch (key.type) {
      case 'ready':
        this.ready = value as ValueOf<'ready'>;
        this.configDirty = true;
        return;
      case 'globalConfig':
        this.globalConfig.set(key.name, value as string);
        this.configDirty = true;
        return;
      case 'hostConfig':
        if (key.hostname !== this.hostname) return;
        this.hostConfig.set(key.name, value as string);
        this.configDirty = true;
        return;
      case 'tier':
        this.tierDefs.set(key.name, value as ModelTier);
        this.markTierDirty(key.name);
        return;
      case 'policy':
        this.setPolicy(key, value as ModelPolicy, raw);
        return;
      case 'profileRules':
        this.profileRules.set(key.name, { model: value as ModelProfileRules, raw });
        this.dirtyProfiles.add(key.name);
        return;
      case 'workloadEndpoint':
        this.setWorkload(key, path, value as ModelWorkloadEndpoint);
        return;
      case 'hostEndpoint':
        this.setHost(key, path, value as ModelHostEndpoint);
        return;
      case 'networkSet': {
        const ns = value as ModelNetworkSet;
        const nets = netsetMembers(ns.nets ?? []);
        this.ipsets.updateItem(path, toLabelMap(ns.labels), uniq(ns.profile_ids ?? []), {
          nets,
          addrs: [],
          ports: [],
        });
        return;
      }
      case 'resource':
        if (key.plural === 'profiles') {
          const v = value as ValueOf<'resource'> & {
            spec?: { labelsToApply?: Record<string, string> | null } | null;
          };
          const labels = toLabelMap(v.spec?.labelsToApply ?? null);
          this.ipsets.updateParent(key.name, labels);
          this.policyIndex.updateParent(key.name, labels);
        }
        return;
      default:
        // profileLabels (unused by Felix's calc graph, §8), pools, wireguard, blocks, other resources.
        return;
    }
  }

  private remove(key: Key, path: string): void {
    switch (key.type) {
      case 'ready':
        this.ready = undefined;
        this.configDirty = true;
        return;
      case 'globalConfig':
        if (this.globalConfig.delete(key.name)) this.configDirty = true;
        return;
      case 'hostConfig':
        if (key.hostname === this.hostname && this.hostConfig.delete(key.name)) this.configDirty = true;
        return;
      case 'tier':
        if (this.tierDefs.delete(key.name)) this.markTierDirty(key.name);
        return;
      case 'policy':
        this.deletePolicy(this.policyKeyOf(key));
        return;
      case 'profileRules':
        if (this.profileRules.delete(key.name)) this.dirtyProfiles.add(key.name);
        return;
      case 'workloadEndpoint':
      case 'hostEndpoint':
        this.deleteEndpoint(path);
        return;
      case 'networkSet':
        this.ipsets.deleteItem(path);
        return;
      case 'resource':
        if (key.plural === 'profiles') {
          this.ipsets.updateParent(key.name, undefined);
          this.policyIndex.updateParent(key.name, undefined);
        }
        return;
      default:
        return;
    }
  }

  // ---- policies and tiers ----

  private policyIdOf(key: Key & { type: 'policy' }): PolicyID {
    return { name: key.name, namespace: key.namespace, kind: shortPolicyKind(key.kind) };
  }

  private policyKeyOf(key: Key & { type: 'policy' }): string {
    return policyIdString(this.policyIdOf(key));
  }

  private setPolicy(key: Key & { type: 'policy' }, v: ModelPolicy, raw: string): void {
    const pk = this.policyKeyOf(key);
    if (isStagedKind(key.kind)) {
      // Staged policies are never enforced (§5.6); we do not send them at all.
      this.log.debug('calc: ignoring staged policy', { policy: pk });
      this.deletePolicy(pk);
      return;
    }
    const tier = key.legacyTier ?? (v.tier || 'default');
    const old = this.policies.get(pk);
    if (old && old.raw === raw && old.tier === tier) return;
    const types = (v.types ?? []).map((t) => t.toLowerCase());
    const both = types.length === 0;
    const rec: PolicyRec = {
      key: pk,
      id: this.policyIdOf(key),
      kind: key.kind,
      tier,
      order: v.order ?? undefined,
      tieBreak: `${key.name}/${key.namespace}/${key.kind}`,
      selector: cachedSelector(v.selector ?? ''),
      ingress: both || types.includes('ingress'),
      egress: both || types.includes('egress'),
      untracked: v.untracked === true,
      preDnat: v.pre_dnat === true,
      applyOnForward: v.apply_on_forward === true,
      assumeNeeded: (v.performance_hints ?? []).includes('AssumeNeededOnEveryNode'),
      model: v,
      raw,
    };
    if (old && old.tier !== tier) this.tierPolicies.get(old.tier)?.delete(pk);
    let tp = this.tierPolicies.get(tier);
    if (!tp) this.tierPolicies.set(tier, (tp = new Set()));
    tp.add(pk);
    this.policies.set(pk, rec);
    this.policyIndex.updateSelector(pk, rec.selector);
    // Endpoints that start or stop matching are dirtied by the index. The others only need
    // re-resolving if something resolveTiers reads changed (a rules-only edit leaves them as sent).
    if (!old || !sameTierPlacement(old, rec)) {
      for (const ep of this.policyMatches.get(pk) ?? []) this.dirtyEndpoints.add(ep);
    }
    this.dirtyPolicies.add(pk);
  }

  private deletePolicy(pk: string): void {
    const old = this.policies.get(pk);
    if (!old) return;
    this.policyIndex.deleteSelector(pk);
    this.policies.delete(pk);
    const tp = this.tierPolicies.get(old.tier);
    tp?.delete(pk);
    if (tp && tp.size === 0) this.tierPolicies.delete(old.tier);
    this.dirtyPolicies.add(pk);
  }

  private markTierDirty(tier: string): void {
    for (const pk of this.tierPolicies.get(tier) ?? []) {
      for (const ep of this.policyMatches.get(pk) ?? []) this.dirtyEndpoints.add(ep);
    }
  }

  // ---- endpoints ----

  private wsSpoofingAllowed(): boolean {
    return (
      (this.hostConfig.get('WorkloadSourceSpoofing') ?? this.globalConfig.get('WorkloadSourceSpoofing')) ===
      'Any'
    );
  }

  private setWorkload(key: Key & { type: 'workloadEndpoint' }, path: string, v: ModelWorkloadEndpoint): void {
    if ((v.allow_spoofed_source_ips ?? []).length > 0 && !this.wsSpoofingAllowed()) {
      // §2.3: Felix rejects such a WEP (treated as delete) unless WorkloadSourceSpoofing=Any.
      this.log.warn(
        'calc: workload endpoint asks for spoofed source IPs but WorkloadSourceSpoofing is not Any; treating as delete',
        {
          key: path,
        },
      );
      this.deleteEndpoint(path);
      return;
    }
    const profileIds = uniq(v.profile_ids ?? []);
    const labels = toLabelMap(v.labels);
    const allNets = [...(v.ipv4_nets ?? []), ...(v.ipv6_nets ?? [])];
    const data: ItemData = {
      nets: uniq(allNets.map((n) => hostCidrOf(n) as string)),
      addrs: uniq(allNets.map((n) => addressOf(n) as string)),
      ports: itemPorts(v.ports),
    };
    this.clusterWeps.add(path);
    this.ipsets.updateItem(path, labels, profileIds, data);
    if (key.hostname !== this.hostname) return;
    const id: WorkloadEndpointID = {
      orchestratorId: key.orchestratorId,
      workloadId: key.workloadId,
      endpointId: key.endpointId,
    };
    this.setLocal({ kind: 'workload', key: path, id, model: v, profileIds }, labels);
  }

  private setHost(key: Key & { type: 'hostEndpoint' }, path: string, v: ModelHostEndpoint): void {
    const profileIds = uniq(v.profile_ids ?? []);
    const labels = toLabelMap(v.labels);
    const addrs = uniq(
      [...(v.expected_ipv4_addrs ?? []), ...(v.expected_ipv6_addrs ?? [])].map((a) => addressOf(a) as string),
    );
    const data: ItemData = {
      nets: addrs.map((a) => hostCidrOf(a) as string),
      addrs,
      ports: itemPorts(v.ports),
    };
    this.ipsets.updateItem(path, labels, profileIds, data);
    if (key.hostname !== this.hostname) return;
    this.setLocal(
      { kind: 'host', key: path, id: { endpointId: key.endpointId }, model: v, profileIds },
      labels,
    );
  }

  private setLocal(ep: LocalEndpoint, labels: ReadonlyMap<string, string>): void {
    const old = this.localEndpoints.get(ep.key);
    this.adjustProfileRefs(old?.profileIds ?? [], ep.profileIds);
    this.localEndpoints.set(ep.key, ep);
    this.policyIndex.updateItem(ep.key, labels, ep.profileIds);
    this.pendingEndpointRemoves.delete(ep.key);
    this.dirtyEndpoints.add(ep.key);
  }

  private deleteEndpoint(path: string): void {
    this.ipsets.deleteItem(path);
    this.clusterWeps.delete(path);
    const old = this.localEndpoints.get(path);
    if (!old) return;
    this.adjustProfileRefs(old.profileIds, []);
    this.policyIndex.deleteItem(path);
    this.localEndpoints.delete(path);
    this.dirtyEndpoints.delete(path);
    if (this.sentEndpoints.has(path)) {
      this.pendingEndpointRemoves.set(
        path,
        old.kind === 'workload'
          ? { kind: 'workloadEndpointRemove', id: old.id }
          : { kind: 'hostEndpointRemove', id: old.id },
      );
    }
  }

  private adjustProfileRefs(before: readonly string[], after: readonly string[]): void {
    for (const p of before) {
      if (after.includes(p)) continue;
      const n = (this.profileRefs.get(p) ?? 0) - 1;
      if (n <= 0) this.profileRefs.delete(p);
      else this.profileRefs.set(p, n);
      this.dirtyProfiles.add(p);
    }
    for (const p of after) {
      if (before.includes(p)) continue;
      this.profileRefs.set(p, (this.profileRefs.get(p) ?? 0) + 1);
      this.dirtyProfiles.add(p);
    }
  }

  // ---- activation (§5.3) ----

  private refreshPolicies(): void {
    for (const pk of this.dirtyPolicies) {
      const rec = this.policies.get(pk);
      const want = rec !== undefined && ((this.policyMatches.get(pk)?.size ?? 0) > 0 || rec.assumeNeeded);
      const cur = this.activePolicies.get(pk);
      if (want && rec) {
        const source = `${rec.tier}\n${rec.raw}`;
        if (cur && cur.source === source) continue;
        const specs = new Map<string, IPSetSpec>();
        const policy: Policy = {
          namespace: rec.id.namespace,
          inboundRules: convertRules(rec.model.inbound_rules, `pol-in-default/${pk}`, specs),
          outboundRules: convertRules(rec.model.outbound_rules, `pol-out-default/${pk}`, specs),
          untracked: rec.untracked,
          preDnat: rec.preDnat,
          originalSelector: rec.model.selector ?? '',
          tier: rec.tier,
        };
        this.swapSets(cur?.sets ?? [], specs);
        this.activePolicies.set(pk, { source, sets: [...specs.keys()] });
        this.pendingPolicyRemoves.delete(pk);
        this.pendingPolicyUpdates.set(pk, { kind: 'activePolicyUpdate', id: rec.id, policy });
      } else if (cur) {
        this.swapSets(cur.sets, new Map());
        this.activePolicies.delete(pk);
        this.pendingPolicyUpdates.delete(pk);
        if (this.sentPolicies.has(pk))
          this.pendingPolicyRemoves.set(pk, { kind: 'activePolicyRemove', id: this.parsePolicyKey(pk) });
      }
    }
    this.dirtyPolicies.clear();
  }

  private parsePolicyKey(pk: string): PolicyID {
    const parts = pk.split('/');
    return parts.length === 3
      ? { kind: parts[0] as string, namespace: parts[1] as string, name: parts[2] as string }
      : { kind: parts[0] as string, namespace: '', name: parts.slice(1).join('/') };
  }

  private refreshProfiles(): void {
    for (const name of this.dirtyProfiles) {
      const want = this.profileRefs.has(name);
      const cur = this.activeProfiles.get(name);
      if (want) {
        const rules = this.profileRules.get(name);
        const source = rules?.raw ?? '<deny-all>';
        if (cur && cur.source === source) continue;
        if (!rules && this.syncerInSync)
          this.log.warn('calc: active profile has no rules; using deny-all', { profile: name });
        const model = rules?.model ?? DENY_ALL;
        const specs = new Map<string, IPSetSpec>();
        const profile: Profile = {
          inboundRules: convertRules(model.inbound_rules, `prof-in-${name}`, specs),
          outboundRules: convertRules(model.outbound_rules, `prof-out-${name}`, specs),
        };
        this.swapSets(cur?.sets ?? [], specs);
        this.activeProfiles.set(name, { source, sets: [...specs.keys()] });
        this.pendingProfileRemoves.delete(name);
        this.pendingProfileUpdates.set(name, { kind: 'activeProfileUpdate', id: { name }, profile });
      } else if (cur) {
        this.swapSets(cur.sets, new Map());
        this.activeProfiles.delete(name);
        this.pendingProfileUpdates.delete(name);
        if (this.sentProfiles.has(name))
          this.pendingProfileRemoves.set(name, { kind: 'activeProfileRemove', id: { name } });
      }
    }
    this.dirtyProfiles.clear();
  }

  /** Reference the new sets before releasing the old ones so shared sets do not flap. */
  private swapSets(old: readonly string[], next: ReadonlyMap<string, IPSetSpec>): void {
    for (const spec of next.values()) this.ipsets.ref(spec);
    for (const id of old) this.ipsets.unref(id);
  }

  // ---- per-endpoint resolution (§5.4, §5.5) ----

  private resolveTiers(ep: LocalEndpoint): TierLists {
    const byTier = new Map<string, PolicyRec[]>();
    for (const pk of this.endpointPolicies.get(ep.key) ?? []) {
      const rec = this.policies.get(pk);
      if (!rec) continue;
      let l = byTier.get(rec.tier);
      if (!l) byTier.set(rec.tier, (l = []));
      l.push(rec);
    }
    const tierNames = [...byTier.keys()]
      .map((name) => ({
        name,
        valid: this.tierDefs.has(name),
        order: this.tierDefs.get(name)?.order ?? undefined,
      }))
      .sort(compareTiers);
    const out: TierLists = { tiers: [], untrackedTiers: [], preDnatTiers: [], forwardTiers: [] };
    const isHost = ep.kind === 'host';
    for (const t of tierNames) {
      const pols = (byTier.get(t.name) as PolicyRec[]).sort(comparePolicies);
      const tierAction = this.tierDefs.get(t.name)?.defaultAction === 'Pass' ? 'Pass' : 'Deny';
      const mk = (ps: PolicyRec[], ingressOnly: boolean, action: string): TierInfo | null => {
        const ingressPolicies = ps.filter((p) => p.ingress).map((p) => p.id);
        const egressPolicies = ingressOnly ? [] : ps.filter((p) => p.egress).map((p) => p.id);
        if (ingressPolicies.length === 0 && egressPolicies.length === 0) return null;
        return { name: t.name, ingressPolicies, egressPolicies, defaultAction: action };
      };
      const normal = pols.filter((p) => !p.untracked && !p.preDnat);
      const n = mk(normal, false, tierAction);
      if (n) out.tiers.push(n);
      if (!isHost) continue; // WEPs get only the normal tiers.
      const u = mk(
        pols.filter((p) => p.untracked),
        false,
        'Pass',
      );
      if (u) out.untrackedTiers.push(u);
      const pd = mk(
        pols.filter((p) => p.preDnat),
        true,
        'Pass',
      );
      if (pd) out.preDnatTiers.push(pd);
      const f = mk(
        normal.filter((p) => p.applyOnForward),
        false,
        tierAction,
      );
      if (f) out.forwardTiers.push(f);
    }
    return out;
  }

  private endpointMessage(ep: LocalEndpoint): ToDataplane {
    const t = this.resolveTiers(ep);
    if (ep.kind === 'workload') {
      const m = ep.model;
      const endpoint: WorkloadEndpoint = {
        state: m.state ?? '',
        name: m.name,
        ...(m.mac ? { mac: m.mac } : {}),
        profileIds: ep.profileIds,
        ipv4Nets: m.ipv4_nets ?? [],
        ipv6Nets: m.ipv6_nets ?? [],
        tiers: t.tiers,
        ipv4Nat: (m.ipv4_nat ?? []).map((n) => ({ extIp: n.ext_ip, intIp: n.int_ip })),
        ipv6Nat: (m.ipv6_nat ?? []).map((n) => ({ extIp: n.ext_ip, intIp: n.int_ip })),
        allowSpoofedSourcePrefixes: m.allow_spoofed_source_ips ?? [],
        ...(m.annotations ? { annotations: m.annotations } : {}),
      };
      return { kind: 'workloadEndpointUpdate', id: ep.id, endpoint };
    }
    const m = ep.model;
    const endpoint: HostEndpoint = {
      name: m.name ?? '',
      profileIds: ep.profileIds,
      tiers: t.tiers,
      untrackedTiers: t.untrackedTiers,
      preDnatTiers: t.preDnatTiers,
      forwardTiers: t.forwardTiers,
      expectedIpv4Addrs: m.expected_ipv4_addrs ?? [],
      expectedIpv6Addrs: m.expected_ipv6_addrs ?? [],
    };
    return { kind: 'hostEndpointUpdate', id: ep.id, endpoint };
  }

  // ---- output ----

  private configMessage(): ToDataplane | undefined {
    const merged: Record<string, string> = {};
    for (const [k, v] of this.globalConfig) merged[k] = v;
    for (const [k, v] of this.hostConfig) merged[k] = v; // per-host overrides global (§6 step 1)
    const json = JSON.stringify(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (json === this.lastConfigJson) return undefined;
    this.lastConfigJson = json;
    return { kind: 'configUpdate', config: merged };
  }

  flush(): ToDataplane[] {
    const out: ToDataplane[] = [];
    const goingInSync = this.syncerInSync && !this.inSyncSent;
    const afterSync = this.syncerInSync;
    // §6 step 2: no config updates before InSync.
    if (afterSync && this.configDirty) {
      const c = this.configMessage();
      if (c) out.push(c);
      this.configDirty = false;
    }
    this.refreshPolicies();
    this.refreshProfiles();
    const sets = this.ipsets.drain();
    out.push(...sets.updates, ...sets.deltas);
    for (const [pk, m] of this.pendingPolicyUpdates) {
      out.push(m);
      this.sentPolicies.add(pk);
    }
    this.pendingPolicyUpdates.clear();
    for (const [name, m] of this.pendingProfileUpdates) {
      out.push(m);
      this.sentProfiles.add(name);
    }
    this.pendingProfileUpdates.clear();
    // §5.5: the policy resolver only emits endpoints after InSync.
    if (afterSync) {
      for (const key of this.dirtyEndpoints) {
        const ep = this.localEndpoints.get(key);
        if (!ep) continue;
        const m = this.endpointMessage(ep);
        const json = JSON.stringify(m);
        if (this.sentEndpoints.get(key) === json) continue;
        this.sentEndpoints.set(key, json);
        out.push(m);
      }
      this.dirtyEndpoints.clear();
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
    for (const [pk, m] of this.pendingPolicyRemoves) {
      out.push(m);
      this.sentPolicies.delete(pk);
    }
    this.pendingPolicyRemoves.clear();
    out.push(...sets.removes);
    if (goingInSync) {
      out.push({ kind: 'inSync' });
      this.inSyncSent = true;
    }
    return out;
  }

  // ---- read-only views ----

  stats(): CalcStats {
    let weps = 0;
    let heps = 0;
    for (const ep of this.localEndpoints.values()) {
      if (ep.kind === 'workload') weps++;
      else heps++;
    }
    return {
      localWorkloadEndpoints: weps,
      localHostEndpoints: heps,
      activePolicies: this.activePolicies.size,
      activeProfiles: this.activeProfiles.size,
      ipSets: this.ipsets.activeCount,
      clusterWorkloadEndpoints: this.clusterWeps.size,
    };
  }

  /** Finds a local endpoint by KV key, interface name, workload ID ("ns/pod"), or HEP name. */
  describeEndpoint(nameOrIface: string): EndpointDescription | undefined {
    let found: LocalEndpoint | undefined = this.localEndpoints.get(nameOrIface);
    if (!found) {
      for (const ep of this.localEndpoints.values()) {
        const hit =
          ep.kind === 'workload'
            ? ep.model.name === nameOrIface ||
              ep.id.workloadId === nameOrIface ||
              `${ep.id.workloadId}/${ep.id.endpointId}` === nameOrIface
            : ep.id.endpointId === nameOrIface || (ep.model.name ?? '') === nameOrIface;
        if (hit) {
          found = ep;
          break;
        }
      }
    }
    if (!found) return undefined;
    const t = this.resolveTiers(found);
    const dir = (tiers: readonly TierInfo[], d: 'ingress' | 'egress'): TierDescription[] =>
      tiers
        .map((ti) => ({
          tier: ti.name,
          defaultAction: (ti.defaultAction === 'Pass' ? 'Pass' : 'Deny') as 'Deny' | 'Pass',
          policies: (d === 'ingress' ? ti.ingressPolicies : ti.egressPolicies).map(policyIdString),
        }))
        .filter((x) => x.policies.length > 0);
    const labels: Record<string, string> = {};
    for (const [k, v] of this.policyIndex.labelsOf(found.key) ?? []) labels[k] = v;
    const base = {
      key: found.key,
      kind: found.kind,
      iface: found.model.name ?? '',
      labels,
      profiles: found.profileIds,
      ingress: dir(t.tiers, 'ingress'),
      egress: dir(t.tiers, 'egress'),
    };
    if (found.kind === 'workload') return base;
    return {
      ...base,
      untracked: { ingress: dir(t.untrackedTiers, 'ingress'), egress: dir(t.untrackedTiers, 'egress') },
      preDnat: { ingress: dir(t.preDnatTiers, 'ingress') },
      forward: { ingress: dir(t.forwardTiers, 'ingress'), egress: dir(t.forwardTiers, 'egress') },
    };
  }
}
