// Does one Calico rule (the dataplane's Rule, rules/dataplane-api) match one packet, with the
// semantics the compiler renders into iptables (rules/compiler/policy-render.ts, after
// felix/rules/policy.go): the rule is dropped for the other IP family, nets are filtered per family
// (a negated 0.0.0.0/0 or a list with nothing of this family drops the rule), several CIDRs or
// port ranges are ORed, every IP set is ANDed, named ports are ORed with the numeric ports, and each
// negated field must not match. Selectors have already become IP sets in the calc (rule-scanner.ts),
// so membership is read from the IP sets the kernel is given, which is what the kernel matches.
// Pure: no I/O.
import type { IcmpTypeAndCode, PortRange, Protocol, Rule } from '../../rules/dataplane-api/types.js';
import { ipSetName, type IpSetEntry } from '../../rules/compiler/index.js';
import { formatIp, parseCidr, type ParsedCidr } from '../../rules/compiler/ipaddr.js';
import { parseSelector, type Selector } from '../selector/index.js';

/** An address or a network (a CIDR given on the command line stands for every address in it). */
export type Addr = ParsedCidr;

/** The packet of a new connection (conntrack's ESTABLISHED rule never decides a first packet). */
export interface TracePacket {
  readonly family: 4 | 6;
  readonly src: Addr;
  readonly dst: Addr;
  /** IP protocol number; undefined: not given (a rule that names a protocol does not match). */
  readonly protocol?: number | undefined;
  readonly srcPort?: number | undefined;
  readonly dstPort?: number | undefined;
  readonly icmpType?: number | undefined;
  readonly icmpCode?: number | undefined;
}

/** /etc/protocols numbers of the names a Calico rule can carry (agent/model/values.ts PROTOCOL_NAMES). */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};

export function protocolNumber(p: Protocol): number | undefined {
  return p.name !== undefined ? PROTOCOL_NUMBERS[p.name.toLowerCase()] : p.number;
}

export function protocolName(n: number): string {
  return Object.entries(PROTOCOL_NUMBERS).find(([, v]) => v === n)?.[0] ?? String(n);
}

/** Is every address of `inner` inside `outer` (same family, outer's prefix bits equal)? */
export function cidrContains(outer: Addr, inner: Addr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  for (let bit = 0; bit < outer.prefix; bit += 8) {
    const left = outer.prefix - bit;
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    const i = bit / 8;
    if (((outer.bytes[i] as number) & mask) !== ((inner.bytes[i] as number) & mask)) return false;
  }
  return true;
}

function netText(a: Addr): string {
  return `${formatIp(a.family, a.bytes)}/${a.prefix}`;
}

/** Per-family view of a net list (policy-render.ts filterNets): the nets, or 'skip' (the rule renders to nothing). */
function filterNets(nets: readonly string[] | undefined, family: 4 | 6, negated: boolean): Addr[] | 'skip' {
  if (!nets || nets.length === 0) return [];
  const out: Addr[] = [];
  for (const n of nets) {
    if (n.includes(':') !== (family === 6)) continue;
    if (negated && (n === '0.0.0.0/0' || n === '::/0')) return 'skip';
    const c = parseCidr(n);
    if (c) out.push(c);
  }
  return out.length === 0 ? 'skip' : out;
}

export interface IpSetView {
  get(id: string): IpSetEntry | undefined;
}

/** Is the address (all of a CIDR) a member of the set; for hash:ip,port with the packet's protocol and port. */
function inSet(
  sets: IpSetView,
  id: string,
  family: 4 | 6,
  a: Addr,
  pp?: { proto: string; port: number },
): boolean {
  const e = sets.get(id);
  if (!e) return false; // the compiler programs an unknown set empty (rules/compiler/table.ts)
  const members = family === 4 ? e.v4 : e.v6;
  const full = family === 4 ? 32 : 128;
  if (e.type === 2) {
    for (const m of members) {
      const c = parseCidr(m);
      if (c && cidrContains(c, a)) return true;
    }
    return false;
  }
  if (a.prefix !== full) return false;
  const ip = formatIp(a.family, a.bytes);
  if (e.type === 0) return members.has(ip);
  return pp !== undefined && members.has(`${ip},${pp.proto}:${pp.port}`);
}

function portIn(ranges: readonly PortRange[], port: number | undefined): boolean {
  return port !== undefined && ranges.some((r) => port >= r.first && port <= r.last);
}

function rangesText(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.first === r.last ? `${r.first}` : `${r.first}:${r.last}`)).join(',');
}

function icmpMatches(t: number | undefined, tc: IcmpTypeAndCode | null | undefined, p: TracePacket): boolean {
  const icmpProto = p.family === 4 ? 1 : 58;
  if (p.protocol !== icmpProto || p.icmpType === undefined) return false;
  if (tc) return p.icmpType === tc.type && p.icmpCode === tc.code;
  return p.icmpType === t;
}

type Check = () => string | undefined;

/** Port conditions of one side: numeric ranges ORed with named-port IP sets (policy-render.ts portBlock). */
function portsCheck(
  side: 'src' | 'dst',
  ranges: readonly PortRange[],
  named: readonly string[],
  p: TracePacket,
  sets: IpSetView,
): string | undefined {
  if (ranges.length === 0 && named.length === 0) return undefined;
  const port = side === 'src' ? p.srcPort : p.dstPort;
  if (portIn(ranges, port)) return undefined;
  const pp =
    port !== undefined && p.protocol !== undefined ? { proto: protocolName(p.protocol), port } : undefined;
  const addr = side === 'src' ? p.src : p.dst;
  if (named.some((id) => inSet(sets, id, p.family, addr, pp))) return undefined;
  const what = [ranges.length > 0 ? rangesText(ranges) : '', ...named.map((id) => `named-port set ${id}`)]
    .filter((x) => x !== '')
    .join(' or ');
  return `${side} port ${port ?? '(not given)'} not in ${what}`;
}

function netsCheck(side: 'src' | 'dst', nets: Addr[], negated: boolean, a: Addr): string | undefined {
  if (nets.length === 0) return undefined;
  const hit = nets.find((n) => cidrContains(n, a));
  if (negated) return hit ? `${side} ${netText(a)} is in ${netText(hit)} (not${side}Net)` : undefined;
  return hit ? undefined : `${side} ${netText(a)} not in ${nets.map(netText).join(',')}`;
}

function setsCheck(
  side: 'src' | 'dst',
  ids: readonly string[] | undefined,
  negated: boolean,
  p: TracePacket,
  sets: IpSetView,
  withPort = false,
): string | undefined {
  const a = side === 'src' ? p.src : p.dst;
  const port = side === 'src' ? p.srcPort : p.dstPort;
  const pp =
    withPort && port !== undefined && p.protocol !== undefined
      ? { proto: protocolName(p.protocol), port }
      : undefined;
  for (const id of ids ?? []) {
    const member = withPort
      ? pp !== undefined && inSet(sets, id, p.family, a, pp)
      : inSet(sets, id, p.family, a);
    if (member === negated)
      return `${side} ${netText(a)} ${negated ? 'is' : 'is not'} in IP set ${ipSetName(id, p.family)}`;
  }
  return undefined;
}

/** A failed IP-set check names the selector the set stands for (the IP set name alone says little). */
function withSelector(
  why: string | undefined,
  what: string,
  selector: string | undefined,
): string | undefined {
  return why !== undefined && selector ? `${why}, the ${what} selector ${JSON.stringify(selector)}` : why;
}

/**
 * Why the rule does not match the packet (the first failing condition), or undefined when it matches.
 * Conditions are checked in the order Felix renders them (felix/rules/policy.go CalculateRuleMatch).
 */
export function ruleMismatch(r: Rule, p: TracePacket, sets: IpSetView): string | undefined {
  if (r.ipVersion && r.ipVersion !== p.family) return `rule is IPv${r.ipVersion} only`;
  const srcNet = filterNets(r.srcNet, p.family, false);
  const dstNet = filterNets(r.dstNet, p.family, false);
  const notSrcNet = filterNets(r.notSrcNet, p.family, true);
  const notDstNet = filterNets(r.notDstNet, p.family, true);
  if (srcNet === 'skip' || dstNet === 'skip' || notSrcNet === 'skip' || notDstNet === 'skip')
    return `rule has no IPv${p.family} form (its nets are of the other family, or a negated match-all)`;
  const proto = r.protocol ? protocolNumber(r.protocol) : undefined;
  const notProto = r.notProtocol ? protocolNumber(r.notProtocol) : undefined;
  const checks: Check[] = [
    () =>
      r.protocol && proto !== p.protocol
        ? `protocol ${p.protocol === undefined ? '(not given)' : protocolName(p.protocol)} is not ${protocolName(proto ?? -1)}`
        : undefined,
    () => netsCheck('src', srcNet, false, p.src),
    () => withSelector(setsCheck('src', r.srcIpSetIds, false, p, sets), 'src', r.originalSrcSelector),
    () => portsCheck('src', r.srcPorts ?? [], r.srcNamedPortIpSetIds ?? [], p, sets),
    () => netsCheck('dst', dstNet, false, p.dst),
    () => withSelector(setsCheck('dst', r.dstIpSetIds, false, p, sets), 'dst', r.originalDstSelector),
    () => setsCheck('dst', r.dstIpPortSetIds, false, p, sets, true),
    () => portsCheck('dst', r.dstPorts ?? [], r.dstNamedPortIpSetIds ?? [], p, sets),
    () =>
      (r.icmpTypeCode || (r.icmpType !== undefined && r.icmpType !== null)) &&
      !icmpMatches(r.icmpType ?? undefined, r.icmpTypeCode, p)
        ? `ICMP type/code is not ${r.icmpTypeCode ? `${r.icmpTypeCode.type}/${r.icmpTypeCode.code}` : String(r.icmpType)}`
        : undefined,
    () =>
      r.notProtocol && notProto === p.protocol
        ? `protocol is ${protocolName(notProto ?? -1)} (notProtocol)`
        : undefined,
    () => netsCheck('src', notSrcNet, true, p.src),
    () => withSelector(setsCheck('src', r.notSrcIpSetIds, true, p, sets), 'notSrc', r.originalNotSrcSelector),
    () => (portIn(r.notSrcPorts ?? [], p.srcPort) ? `src port ${p.srcPort} is in notSrcPorts` : undefined),
    () => setsCheck('src', r.notSrcNamedPortIpSetIds, true, p, sets, true),
    () => netsCheck('dst', notDstNet, true, p.dst),
    () => withSelector(setsCheck('dst', r.notDstIpSetIds, true, p, sets), 'notDst', r.originalNotDstSelector),
    () => (portIn(r.notDstPorts ?? [], p.dstPort) ? `dst port ${p.dstPort} is in notDstPorts` : undefined),
    () => setsCheck('dst', r.notDstNamedPortIpSetIds, true, p, sets, true),
    () =>
      (r.notIcmpTypeCode || (r.notIcmpType !== undefined && r.notIcmpType !== null)) &&
      icmpMatches(r.notIcmpType ?? undefined, r.notIcmpTypeCode, p)
        ? 'ICMP type/code matches notICMP'
        : undefined,
  ];
  for (const c of checks) {
    const why = c();
    if (why !== undefined) return why;
  }
  return undefined;
}

/** The labels of the ends that are local workloads (from the calc's label index, inherited labels included). */
export interface EndLabels {
  readonly src?: Readonly<Record<string, string>> | undefined;
  readonly dst?: Readonly<Record<string, string>> | undefined;
}

const selectorCache = new Map<string, Selector | null>();

function selectorOf(text: string): Selector | null {
  let s = selectorCache.get(text);
  if (s === undefined) {
    try {
      s = parseSelector(text);
    } catch {
      s = null;
    }
    if (selectorCache.size > 1000) selectorCache.clear();
    selectorCache.set(text, s);
  }
  return s;
}

/**
 * Cross-check of the kernel's view with the selectors: for a rule selector on a side that is a local
 * workload, the selector evaluated on that workload's labels (agent/selector) against the IP sets
 * that stand for it. A difference is not an error by itself (the address can be in the set through
 * another endpoint or a network set) but can also mean the IP sets are catching up; it is reported,
 * the verdict stays the kernel's.
 */
export function selectorDisagreement(
  r: Rule,
  p: TracePacket,
  sets: IpSetView,
  labels: EndLabels,
): string | undefined {
  const sides = [
    ['src', r.originalSrcSelector, r.srcIpSetIds],
    ['dst', r.originalDstSelector, r.dstIpSetIds],
    ['src', r.originalNotSrcSelector, r.notSrcIpSetIds],
    ['dst', r.originalNotDstSelector, r.notDstIpSetIds],
  ] as const;
  const out: string[] = [];
  for (const [side, text, ids] of sides) {
    const l = side === 'src' ? labels.src : labels.dst;
    const sel = text ? selectorOf(text) : null;
    if (!sel || !l || !ids || ids.length === 0) continue;
    const bySelector = sel.evaluate(l);
    const a = side === 'src' ? p.src : p.dst;
    const bySets = ids.every((id) => inSet(sets, id, p.family, a));
    if (bySelector !== bySets)
      out.push(
        `${side} selector ${JSON.stringify(text)} ${bySelector ? 'matches' : 'does not match'} the ${side} workload's labels, ` +
          `but its address is ${bySets ? '' : 'not '}in ${ids.map((id) => ipSetName(id, p.family)).join(', ')}`,
      );
  }
  return out.length > 0 ? out.join('; ') : undefined;
}
