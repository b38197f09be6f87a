// IP set activation and membership (felix/labelindex/ipsetmember, SelectorAndNamedPortIndex in
// felix/labelindex/named_port_index.go).
//
// A sink of the calc graph: the rule scanner feeds it the sets active rules reference (ref/unref,
// a set is active while at least one active policy/profile references it), the endpoint and
// network set bookkeeping feed it items. Members come from every endpoint in the cluster (local
// and remote) and from network sets, via a label index keyed by selector ID, so several sets
// sharing one selector (a selector set and its named-port sets) share one match computation.
// Members are refcounted; each 0↔1 transition and each set activation is reported to an
// IPSetSink (the event sequencer), which alone decides what is sent and when.
import { IPSetType } from '../../rules/dataplane-api/types.js';
import type { Selector } from '../selector/index.js';
import type { IPSetSink } from './event-sequencer.js';
import { LabelIndex, type MatchListener } from './label-index.js';
import type { ServiceSets } from './service-index.js';

export type NamedPortProto = 'tcp' | 'udp' | 'sctp' | 'any';

export type IPSetSpec =
  | { readonly kind: 'selector'; readonly id: string; readonly selector: Selector }
  | {
      readonly kind: 'namedPort';
      readonly id: string;
      readonly selector: Selector;
      readonly proto: NamedPortProto;
      readonly port: string;
    }
  /** Kubernetes Service sets (felix/calc/rule_scanner.go); members come from the service index. */
  | { readonly kind: 'service'; readonly id: string; readonly service: string; readonly withPort: boolean };

export interface ItemPort {
  readonly name: string;
  /** Lower-case protocol name (tcp/udp/sctp/…) or a number as text. */
  readonly proto: string;
  readonly port: number;
}

/** What an item contributes to sets once matched. */
export interface ItemData {
  /** Members of selector (NET) sets: host prefixes for endpoints, CIDRs for network sets. */
  readonly nets: readonly string[];
  /** Bare addresses used for named-port (ip,port) members. */
  readonly addrs: readonly string[];
  readonly ports: readonly ItemPort[];
}

interface SetState {
  readonly spec: IPSetSpec;
  readonly selectorId: string | undefined;
  refs: number;
  readonly members: Map<string, number>;
}

function setType(spec: IPSetSpec): IPSetType {
  if (spec.kind === 'selector') return IPSetType.NET;
  if (spec.kind === 'namedPort') return IPSetType.IP_AND_PORT;
  return spec.withPort ? IPSetType.IP_AND_PORT : IPSetType.NET;
}

function protoMatches(setProto: NamedPortProto, epProto: string): boolean {
  if (setProto === 'any') return true;
  return epProto === setProto;
}

export class IPSetCalculator implements MatchListener {
  readonly index = new LabelIndex(this);
  private readonly data = new Map<string, ItemData>();
  private readonly sets = new Map<string, SetState>();
  private readonly setsBySelector = new Map<string, Set<string>>();

  /** `services` fills the Service sets (service-index.ts), as Felix's calc graph hands them to its service index. */
  constructor(
    private readonly sink: IPSetSink,
    private readonly services?: ServiceSets,
  ) {}

  get activeCount(): number {
    return this.sets.size;
  }

  isActive(id: string): boolean {
    return this.sets.has(id);
  }

  membersOf(id: string): string[] | undefined {
    const s = this.sets.get(id);
    if (s?.spec.kind === 'service') return this.services?.membersOf(id) ?? [];
    return s ? [...s.members.keys()] : undefined;
  }

  /** The item's members of one set (read-only: a selector set gets the item's own list, not a copy). */
  private memberStrings(set: SetState, d: ItemData): readonly string[] {
    const spec = set.spec;
    if (spec.kind === 'selector') return d.nets;
    if (spec.kind === 'namedPort') {
      const out: string[] = [];
      for (const p of d.ports) {
        if (p.name !== spec.port) continue;
        // felix/labelindex/ipsetmember: a numeric 0 protocol on the endpoint matches only "any" sets.
        if (!protoMatches(spec.proto, p.proto)) continue;
        for (const a of d.addrs) out.push(`${a},${p.proto}:${p.port}`);
      }
      return out;
    }
    return [];
  }

  private addMember(set: SetState, m: string): void {
    const n = set.members.get(m) ?? 0;
    set.members.set(m, n + 1);
    if (n === 0) this.sink.onIPSetMemberAdded(set.spec.id, m);
  }

  private removeMember(set: SetState, m: string): void {
    const n = set.members.get(m);
    if (n === undefined) return;
    if (n > 1) {
      set.members.set(m, n - 1);
      return;
    }
    set.members.delete(m);
    this.sink.onIPSetMemberRemoved(set.spec.id, m);
  }

  onMatchStarted(selectorId: string, itemId: string): void {
    const d = this.data.get(itemId);
    const ids = this.setsBySelector.get(selectorId);
    if (!d || !ids) return;
    for (const id of ids) {
      const set = this.sets.get(id) as SetState;
      for (const m of this.memberStrings(set, d)) this.addMember(set, m);
    }
  }

  onMatchStopped(selectorId: string, itemId: string): void {
    const d = this.data.get(itemId);
    const ids = this.setsBySelector.get(selectorId);
    if (!d || !ids) return;
    for (const id of ids) {
      const set = this.sets.get(id) as SetState;
      for (const m of this.memberStrings(set, d)) this.removeMember(set, m);
    }
  }

  /**
   * Between these two, new selectors' members are worked out together at settle() rather than one
   * ref() at a time (label-index.ts deferSelectors); the calc graph brackets a flush with them.
   */
  deferSelectors(): void {
    this.index.deferSelectors();
  }

  settle(): void {
    this.index.settle();
  }

  /** Adds a reference to a set, activating it (with its full membership) on the first one. */
  ref(spec: IPSetSpec): void {
    const existing = this.sets.get(spec.id);
    if (existing) {
      existing.refs++;
      return;
    }
    const selectorId = spec.kind === 'service' ? undefined : spec.selector.uniqueId();
    const set: SetState = {
      spec,
      selectorId,
      refs: 1,
      members: new Map(),
    };
    this.sets.set(spec.id, set);
    this.sink.onIPSetAdded(spec.id, setType(spec));
    if (spec.kind === 'service') {
      this.services?.activate(spec.id, spec.service, spec.withPort);
      return;
    }
    if (selectorId === undefined) return;
    let ids = this.setsBySelector.get(selectorId);
    const known = ids !== undefined;
    if (!ids) this.setsBySelector.set(selectorId, (ids = new Set()));
    ids.add(spec.id);
    if (!known) {
      this.index.updateSelector(selectorId, spec.selector); // fires onMatchStarted per match
    } else if (!this.index.isPending(selectorId)) {
      // (A selector still pending reaches every set of setsBySelector when it is evaluated.)
      for (const iid of this.index.matchesOfSelector(selectorId)) {
        const d = this.data.get(iid);
        if (d) for (const m of this.memberStrings(set, d)) this.addMember(set, m);
      }
    }
  }

  unref(id: string): void {
    const set = this.sets.get(id);
    if (!set) return;
    if (--set.refs > 0) return;
    this.sets.delete(id);
    // Felix's order: the service index withdraws the members, then the set goes.
    if (set.spec.kind === 'service') this.services?.deactivate(id);
    this.sink.onIPSetRemoved(id);
    if (set.selectorId !== undefined) {
      const ids = this.setsBySelector.get(set.selectorId);
      ids?.delete(id);
      if (ids && ids.size === 0) {
        this.setsBySelector.delete(set.selectorId);
        this.index.deleteSelector(set.selectorId);
      }
    }
  }

  /** Adds or updates an endpoint / network set. */
  updateItem(id: string, labels: ReadonlyMap<string, string>, parents: readonly string[], d: ItemData): void {
    const old = this.data.get(id);
    if (old && !sameData(old, d)) {
      // Contributions changed: withdraw the old ones, then re-add with the new data. Refcounted
      // members make an unchanged address cancel out.
      this.index.deleteItem(id);
    }
    this.data.set(id, d);
    this.index.updateItem(id, labels, parents);
  }

  deleteItem(id: string): void {
    this.index.deleteItem(id);
    this.data.delete(id);
  }

  updateParent(name: string, labels: ReadonlyMap<string, string> | undefined): void {
    this.index.updateParent(name, labels);
  }
}

function sameData(a: ItemData, b: ItemData): boolean {
  const eq = (x: readonly string[], y: readonly string[]): boolean =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    eq(a.nets, b.nets) &&
    eq(a.addrs, b.addrs) &&
    a.ports.length === b.ports.length &&
    a.ports.every((p, i) => {
      const q = b.ports[i] as ItemPort;
      return p.name === q.name && p.proto === q.proto && p.port === q.port;
    })
  );
}

/** A network set's contribution: its CIDRs, a /0 split into two /1s (felix/calc/calc_graph.go). */
export function networkSetData(nets: readonly string[]): ItemData {
  const out: string[] = [];
  for (const n of nets) {
    if (n === '0.0.0.0/0') out.push('0.0.0.0/1', '128.0.0.0/1');
    else if (n === '::/0') out.push('::/1', '8000::/1');
    else out.push(n);
  }
  return { nets: [...new Set(out)], addrs: [], ports: [] };
}
