// The service index (felix/serviceindex/serviceindex.go): EndpointSlices from the felix syncer →
// the members of each active Kubernetes Service IP set.
//
// A rule with `services` references a set whose ID is made from "<namespace>/<name>" of the Service
// (felix/calc/rule_scanner.go): "svc:…" (hash:ip,port, destination rules) or "svcnoport:…" (hash:net,
// source rules, where the rule itself fixes port and protocol). The IP set calculator activates and
// deactivates them here (ipsets.ts); this index computes their members from every slice whose
// `kubernetes.io/service-name` label names the Service, and reports each member's 0↔1 transition to
// the sink (the event sequencer). Members are refcounted across slices, so an endpoint that moves
// from one slice to another, or appears in two, is one member.
//
// Per slice the parsed form is kept: the bare addresses (IP+port members, ip.FromString: no CIDRs),
// the address-or-CIDR list (IP-only members, ip.ParseCIDROrIP), and the numeric ports. A slice update
// diffs its old contribution against its new one, so an endpoint added to a 10,000-endpoint slice
// is one member added. Differences from Felix: a slice whose service-name label changes is withdrawn
// from the old Service's sets and added to the new one's (Felix keeps it counted under the old one);
// the schema (agent/model/k8s.ts) refuses a port outside 1..65535 or a protocol other than
// TCP/UDP/SCTP (Felix truncates the port to 16 bits and takes any other protocol as TCP).
import { formatIp, normalizeCidr, parseIp } from '../../rules/compiler/ipaddr.js';
import type { ModelEndpointSlice, ModelService } from '../model/index.js';
import type { IPSetSink } from './event-sequencer.js';
import type { CalcLogger } from './types.js';

/** The label that ties a slice to its Service (discovery/v1 LabelServiceName). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type MemberSink = Pick<IPSetSink, 'onIPSetMemberAdded' | 'onIPSetMemberRemoved'>;

/** What the IP set calculator drives: Service sets being referenced by active rules or not. */
export interface ServiceSets {
  activate(id: string, service: string, withPort: boolean): void;
  deactivate(id: string): void;
  membersOf(id: string): string[] | undefined;
}

interface SliceData {
  /** "<namespace>/<service name>" (felix/serviceindex serviceName). */
  readonly service: string;
  /** Bare canonical addresses, for IP+port members. */
  readonly addrs: readonly string[];
  /** Canonical CIDRs (a host prefix for an address), for IP-only members. */
  readonly nets: readonly string[];
  /** Numeric ports with their protocol (lower case), in slice order. */
  readonly ports: readonly { readonly proto: string; readonly port: number }[];
  /** Each address text of the slice, parsed: the next version of the slice reuses it. */
  readonly parsed: ReadonlyMap<string, ParsedAddress>;
}

interface ParsedAddress {
  readonly addr: string | undefined;
  readonly net: string | undefined;
}

interface ActiveSet {
  readonly service: string;
  readonly withPort: boolean;
  readonly members: Map<string, number>;
}

const EMPTY: readonly string[] = [];

/** Felix's membersFromEndpointSlice: IP+port+protocol members, or IP-only ones. */
export function sliceMembers(d: SliceData | undefined, withPort: boolean): readonly string[] {
  if (!d) return EMPTY;
  if (!withPort) return d.nets;
  const out: string[] = [];
  for (const p of d.ports) for (const a of d.addrs) out.push(`${a},${p.proto}:${p.port}`);
  return out;
}

export class ServiceIndex implements ServiceSets {
  private readonly slices = new Map<string, SliceData>();
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly sets = new Map<string, ActiveSet>();
  private readonly setsByService = new Map<string, Set<string>>();
  private readonly services = new Set<string>();

  constructor(
    private readonly sink: MemberSink,
    private readonly log: CalcLogger,
  ) {}

  get sliceCount(): number {
    return this.slices.size;
  }

  get serviceCount(): number {
    return this.services.size;
  }

  get activeSetCount(): number {
    return this.sets.size;
  }

  membersOf(id: string): string[] | undefined {
    const s = this.sets.get(id);
    return s ? [...s.members.keys()] : undefined;
  }

  /** A Service itself adds no members (Felix's iptables dataplane only passes it through); it is counted. */
  onServiceUpdate(namespace: string, name: string, svc: ModelService | undefined): void {
    const k = `${namespace}/${name}`;
    if (svc) this.services.add(k);
    else this.services.delete(k);
  }

  /** An EndpointSlice added, changed (value) or deleted (undefined); `path` is its key, for logs. */
  onSliceUpdate(namespace: string, name: string, path: string, slice: ModelEndpointSlice | undefined): void {
    const k = `${namespace}/${name}`;
    const old = this.slices.get(k);
    const next = slice ? this.parseSlice(namespace, path, slice, old) : undefined;
    if (old && (!next || next.service !== old.service)) {
      // Deleted, or moved to another Service: withdraw everything it gave the old one's sets.
      this.contribute(old.service, undefined, old);
      this.unindex(old.service, k);
      this.slices.delete(k);
    }
    if (!next) return;
    const prev = old && old.service === next.service ? old : undefined;
    this.contribute(next.service, next, prev);
    this.slices.set(k, next);
    let ks = this.slicesByService.get(next.service);
    if (!ks) this.slicesByService.set(next.service, (ks = new Set()));
    ks.add(k);
  }

  activate(id: string, service: string, withPort: boolean): void {
    const cur = this.sets.get(id);
    if (cur) {
      // The ID is a hash of the service name and its kind (felix/serviceindex UpdateIPSet).
      if (cur.service !== service)
        this.log.error('service index: one set ID for two services', { id, service });
      return;
    }
    const set: ActiveSet = { service, withPort, members: new Map() };
    this.sets.set(id, set);
    let ids = this.setsByService.get(service);
    if (!ids) this.setsByService.set(service, (ids = new Set()));
    ids.add(id);
    for (const k of this.slicesByService.get(service) ?? []) {
      for (const m of sliceMembers(this.slices.get(k), withPort)) this.incref(id, set, m);
    }
  }

  deactivate(id: string): void {
    const set = this.sets.get(id);
    if (!set) return;
    for (const m of set.members.keys()) this.sink.onIPSetMemberRemoved(id, m);
    this.sets.delete(id);
    const ids = this.setsByService.get(set.service);
    ids?.delete(id);
    if (ids?.size === 0) this.setsByService.delete(set.service);
  }

  /** Replaces `prev`'s contribution to the service's active sets with `next`'s (either may be absent). */
  private contribute(service: string, next: SliceData | undefined, prev: SliceData | undefined): void {
    const ids = this.setsByService.get(service);
    if (!ids) return;
    const cache = new Map<boolean, [readonly string[], readonly string[]]>();
    for (const id of ids) {
      const set = this.sets.get(id) as ActiveSet;
      let lists = cache.get(set.withPort);
      if (!lists) cache.set(set.withPort, (lists = memberDelta(next, prev, set.withPort)));
      const [added, removed] = lists;
      // Add before removing, so a member that moves within the service never flaps.
      for (const m of added) this.incref(id, set, m);
      for (const m of removed) this.decref(id, set, m);
    }
  }

  private incref(id: string, set: ActiveSet, m: string): void {
    const n = set.members.get(m) ?? 0;
    set.members.set(m, n + 1);
    if (n === 0) this.sink.onIPSetMemberAdded(id, m);
  }

  private decref(id: string, set: ActiveSet, m: string): void {
    const n = set.members.get(m);
    if (n === undefined) return;
    if (n > 1) {
      set.members.set(m, n - 1);
      return;
    }
    set.members.delete(m);
    this.sink.onIPSetMemberRemoved(id, m);
  }

  private unindex(service: string, k: string): void {
    const ks = this.slicesByService.get(service);
    ks?.delete(k);
    if (ks?.size === 0) this.slicesByService.delete(service);
  }

  private parseSlice(namespace: string, path: string, s: ModelEndpointSlice, old?: SliceData): SliceData {
    const svcName = s.metadata?.labels?.[SERVICE_NAME_LABEL] ?? '';
    const fqdn = s.addressType === 'FQDN';
    const addrs: string[] = [];
    const nets: string[] = [];
    const parsed = new Map<string, ParsedAddress>();
    for (const ep of s.endpoints ?? []) {
      for (const a of ep.addresses ?? []) {
        let p = parsed.get(a) ?? old?.parsed.get(a);
        if (!p) p = this.parseAddress(a, fqdn, path);
        parsed.set(a, p);
        if (p.addr !== undefined) addrs.push(p.addr);
        if (p.net !== undefined) nets.push(p.net);
      }
    }
    const ports: { proto: string; port: number }[] = [];
    for (const p of s.ports ?? []) {
      // A nil port means all ports: no IP+port membership (felix/serviceindex).
      if (p.port === null || p.port === undefined) continue;
      ports.push({ proto: (p.protocol ?? 'TCP').toLowerCase(), port: p.port });
    }
    return { service: `${namespace}/${svcName}`, addrs, nets, ports, parsed };
  }

  /** Felix's ip.FromString (IP+port members) and ip.ParseCIDROrIP (IP-only members) of one address. */
  private parseAddress(a: string, fqdn: boolean, path: string): ParsedAddress {
    const ip = parseIp(a);
    const net = normalizeCidr(a) ?? undefined;
    if (net === undefined) {
      if (fqdn) this.log.debug('service index: skipping non-IP endpoint address', { key: path, address: a });
      else this.log.warn('service index: skipping malformed endpoint address', { key: path, address: a });
    }
    return { addr: ip ? formatIp(ip.family, ip.bytes) : undefined, net };
  }
}

/**
 * The members a slice version adds and removes against the previous one. Addresses are diffed
 * rather than members when the ports did not change (the usual scale up/down), so the cost is one
 * pass over the slice's cached address strings, and member text is built only for the addresses
 * that changed.
 */
function memberDelta(
  next: SliceData | undefined,
  prev: SliceData | undefined,
  withPort: boolean,
): [readonly string[], readonly string[]] {
  if (!withPort) return diff(next?.nets ?? EMPTY, prev?.nets ?? EMPTY);
  if (!next || !prev || !samePorts(next, prev)) {
    return diff(sliceMembers(next, true), sliceMembers(prev, true));
  }
  const [added, removed] = diff(next.addrs, prev.addrs);
  const expand = (as: readonly string[]): readonly string[] =>
    as.length === 0 ? EMPTY : sliceMembers({ ...next, addrs: as }, true);
  return [expand(added), expand(removed)];
}

function samePorts(a: SliceData, b: SliceData): boolean {
  return (
    a.ports.length === b.ports.length &&
    a.ports.every((p, i) => p.port === b.ports[i]?.port && p.proto === b.ports[i]?.proto)
  );
}

/** Multiset difference: what `next` has more of, and what `prev` has more of. */
function diff(next: readonly string[], prev: readonly string[]): [readonly string[], readonly string[]] {
  if (prev.length === 0) return [next, EMPTY];
  if (next.length === 0) return [EMPTY, prev];
  const count = new Map<string, number>();
  for (const m of prev) count.set(m, (count.get(m) ?? 0) + 1);
  const added: string[] = [];
  for (const m of next) {
    const n = count.get(m);
    if (n === undefined) added.push(m);
    else if (n === 1) count.delete(m);
    else count.set(m, n - 1);
  }
  const removed: string[] = [];
  for (const [m, n] of count) for (let i = 0; i < n; i++) removed.push(m);
  return [added, removed];
}
