// Endpoint bookkeeping: every workload/host endpoint feeds the IP set calculator (members come
// from the whole cluster); the ones on this host are also kept as local endpoints, fed to the
// active rules calculator (policy matching, profile references) and reported to the event
// sequencer (felix/calc/calc_graph.go localEndpointDispatcher, felix/calc/event_sequencer.go
// ModelWorkloadEndpointToProto / ModelHostEndpointToProto for the message shape).
// State: the local endpoints and the set of workload endpoint keys in the cluster.
import type {
  HostEndpoint,
  HostEndpointID,
  QoSControls,
  ToDataplane,
  WorkloadEndpoint,
  WorkloadEndpointID,
} from '../../rules/dataplane-api/types.js';
import {
  addressOf,
  formatIp,
  hostCidrOf,
  isPlainIPv4Cidr,
  parseCidr,
  qosControlsOf,
  type EndpointPort,
  type Key,
  type ModelHostEndpoint,
  type ModelWorkloadEndpoint,
} from '../model/index.js';
import type { EndpointSink } from './event-sequencer.js';
import type { ItemData, ItemPort } from './ipsets.js';
import { toLabelMap } from './label-index.js';
import type { TierLists } from './policy-resolver.js';
import type { CalcLogger } from './types.js';

export type LocalEndpoint =
  | {
      readonly kind: 'workload';
      readonly key: string;
      readonly id: WorkloadEndpointID;
      readonly model: ModelWorkloadEndpoint;
      readonly profileIds: readonly string[];
      /** qosControls checked by the model (agent/model/validate.ts qosControlsOf). */
      readonly qos?: QoSControls;
    }
  | {
      readonly kind: 'host';
      readonly key: string;
      readonly id: HostEndpointID;
      readonly model: ModelHostEndpoint;
      readonly profileIds: readonly string[];
    };

/** Where endpoints go: the IP set calculator (all) and the active rules calculator (local only). */
export interface EndpointConsumers {
  readonly ipsets: {
    updateItem(
      id: string,
      labels: ReadonlyMap<string, string>,
      parents: readonly string[],
      d: ItemData,
    ): void;
    deleteItem(id: string): void;
  };
  readonly activeRules: {
    updateEndpoint(
      key: string,
      labels: ReadonlyMap<string, string>,
      before: readonly string[],
      profileIds: readonly string[],
    ): void;
    removeEndpoint(key: string, profileIds: readonly string[]): void;
  };
  readonly sequencer: EndpointSink;
}

function uniq(list: readonly string[]): string[] {
  // Most lists have one or two entries: no Set for those.
  if (list.length < 2) return [...list];
  if (list.length === 2) return list[0] === list[1] ? [list[0]!] : [...list];
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

/**
 * An endpoint net's bare address (named ports) and host prefix (IP sets), from one parse. A plain
 * dotted-decimal IPv4 net is already written as formatIp writes it, and needs no parse.
 */
function addNet(n: string, addrs: string[], nets: string[]): void {
  if (isPlainIPv4Cidr(n)) {
    const slash = n.indexOf('/');
    const a = slash < 0 ? n : n.slice(0, slash);
    addrs.push(a);
    nets.push(`${a}/32`);
    return;
  }
  const c = parseCidr(n);
  if (!c) return; // not reached: decoding refuses a malformed address
  const a = formatIp(c.family, c.bytes);
  addrs.push(a);
  nets.push(`${a}/${c.family === 4 ? 32 : 128}`);
}

export class Endpoints {
  private readonly local = new Map<string, LocalEndpoint>();
  private readonly clusterWeps = new Set<string>();

  /** `spoofingAllowed` reads WorkloadSourceSpoofing from the config batcher. */
  constructor(
    private readonly hostname: string,
    private readonly out: EndpointConsumers,
    private readonly spoofingAllowed: () => boolean,
    private readonly log: CalcLogger,
  ) {}

  get(key: string): LocalEndpoint | undefined {
    return this.local.get(key);
  }

  localKeys(): Iterable<string> {
    return this.local.keys();
  }

  localValues(): Iterable<LocalEndpoint> {
    return this.local.values();
  }

  get clusterWorkloadCount(): number {
    return this.clusterWeps.size;
  }

  /**
   * raw table (issue 12): the allowed spoofed source prefixes in Go's IPNet.String() form (address as
   * written, so host bits stay, "/" prefix length; libcalico-go/lib/net/ipnet.go ParseCIDROrIP: a bare IP
   * is a host prefix), as felix/calc/event_sequencer.go netsToStrings sends them. A malformed entry (Felix
   * refuses the whole endpoint at JSON decoding) is logged with the key and skipped.
   */
  private spoofedPrefixes(path: string, list: readonly string[] | null | undefined): string[] {
    const out: string[] = [];
    for (const p of list ?? []) {
      const c = parseCidr(p);
      if (!c) {
        this.log.warn('calc: malformed allow_spoofed_source_ips entry skipped', { key: path, prefix: p });
        continue;
      }
      out.push(`${formatIp(c.family, c.bytes)}/${c.prefix}`);
    }
    return out;
  }

  /**
   * A local workload's QoS controls: an out-of-range packet-rate or connection limit is logged with the key
   * and skipped; bandwidth limits (tc in Felix, felix/dataplane/linux/qos) are not applied (reported once
   * per endpoint by unsupported.ts).
   */
  private qosControls(path: string, v: ModelWorkloadEndpoint): QoSControls | undefined {
    const { controls, problems } = qosControlsOf(v.qosControls);
    for (const p of problems)
      this.log.warn('calc: bad qosControls value skipped', { key: path, field: p.path, reason: p.message });
    return controls;
  }

  onWorkloadUpdate(
    key: Key & { type: 'workloadEndpoint' },
    path: string,
    given: ModelWorkloadEndpoint,
  ): void {
    const spoofed = this.spoofedPrefixes(path, given.allow_spoofed_source_ips);
    const v: ModelWorkloadEndpoint = given.allow_spoofed_source_ips
      ? { ...given, allow_spoofed_source_ips: spoofed }
      : given;
    if (spoofed.length > 0 && !this.spoofingAllowed()) {
      // Felix rejects such a WEP (treated as delete) unless WorkloadSourceSpoofing=Any
      // (felix/calc/validation_filter.go).
      this.log.warn(
        'calc: workload endpoint asks for spoofed source IPs but WorkloadSourceSpoofing is not Any; treating as delete',
        {
          key: path,
        },
      );
      this.onRemove(path);
      return;
    }
    const profileIds = uniq(v.profile_ids ?? []);
    const labels = toLabelMap(v.labels);
    const addrs: string[] = [];
    const nets: string[] = [];
    for (const n of v.ipv4_nets ?? []) addNet(n, addrs, nets);
    for (const n of v.ipv6_nets ?? []) addNet(n, addrs, nets);
    const data: ItemData = {
      nets: uniq(nets),
      addrs: uniq(addrs),
      ports: itemPorts(v.ports),
    };
    this.clusterWeps.add(path);
    this.out.ipsets.updateItem(path, labels, profileIds, data);
    if (key.hostname !== this.hostname) return;
    const id: WorkloadEndpointID = {
      orchestratorId: key.orchestratorId,
      workloadId: key.workloadId,
      endpointId: key.endpointId,
    };
    const qos = this.qosControls(path, v);
    this.setLocal({ kind: 'workload', key: path, id, model: v, profileIds, ...(qos ? { qos } : {}) }, labels);
  }

  onHostUpdate(key: Key & { type: 'hostEndpoint' }, path: string, v: ModelHostEndpoint): void {
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
    this.out.ipsets.updateItem(path, labels, profileIds, data);
    if (key.hostname !== this.hostname) return;
    this.setLocal(
      { kind: 'host', key: path, id: { endpointId: key.endpointId }, model: v, profileIds },
      labels,
    );
  }

  private setLocal(ep: LocalEndpoint, labels: ReadonlyMap<string, string>): void {
    const old = this.local.get(ep.key);
    this.local.set(ep.key, ep);
    this.out.activeRules.updateEndpoint(ep.key, labels, old?.profileIds ?? [], ep.profileIds);
    this.out.sequencer.onEndpointUpdated(ep.key);
  }

  onRemove(path: string): void {
    this.out.ipsets.deleteItem(path);
    this.clusterWeps.delete(path);
    const old = this.local.get(path);
    if (!old) return;
    this.out.activeRules.removeEndpoint(path, old.profileIds);
    this.local.delete(path);
    this.out.sequencer.onEndpointRemoved(
      path,
      old.kind === 'workload'
        ? { kind: 'workloadEndpointRemove', id: old.id }
        : { kind: 'hostEndpointRemove', id: old.id },
    );
  }
}

/** The dataplane message for a local endpoint with its resolved tiers. */
export function endpointMessage(ep: LocalEndpoint, t: TierLists): ToDataplane {
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
      ...(ep.qos ? { qosControls: ep.qos } : {}),
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
