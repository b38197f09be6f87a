// Model rules → dataplane Rules plus the IP sets they reference
// (felix/calc/rule_scanner.go, felix/calc/rule_convert.go).
import { createHash } from 'node:crypto';
import { IPVersion, type PortRange, type Protocol, type Rule } from '../../rules/dataplane-api/types.js';
import type { ModelRule, Port } from '../model/index.js';
import { makeUniqueId, namedPortSetId, parseSelector, type Selector } from '../selector/index.js';
import type { IPSetSpec, NamedPortProto } from './ipsets.js';

/** Selectors are parsed once per canonical text; values were validated by the model schemas. */
const selectorCache = new Map<string, Selector>();
export function cachedSelector(text: string): Selector {
  let s = selectorCache.get(text);
  if (!s) {
    s = parseSelector(text);
    if (selectorCache.size > 100_000) selectorCache.clear();
    selectorCache.set(text, s);
  }
  return s;
}

function protoOf(p: string | number | null | undefined): Protocol | null {
  if (p === null || p === undefined) return null;
  return typeof p === 'number' ? { number: p } : { name: p };
}

/** felix/calc/rule_scanner.go: rule protocol → named-port set protocol. */
function namedPortProto(p: string | number | null | undefined): NamedPortProto {
  if (p === null || p === undefined) return 'any';
  if (p === 'tcp' || p === 6) return 'tcp';
  if (p === 'udp' || p === 17) return 'udp';
  if (p === 'sctp' || p === 132) return 'sctp';
  return 'tcp';
}

function splitPorts(ports: readonly Port[] | null | undefined): { ranges: PortRange[]; names: string[] } {
  const ranges: PortRange[] = [];
  const names: string[] = [];
  for (const p of ports ?? []) {
    if (p.kind === 'range') ranges.push({ first: p.first, last: p.last });
    else if (!names.includes(p.name)) names.push(p.name);
  }
  return { ranges, names };
}

function nets(list: readonly string[] | null | undefined, single: string | null | undefined): string[] {
  const out = [...(list ?? [])];
  if (single) out.push(single);
  return out;
}

interface SideSets {
  sel: string[];
  notSel: string[];
  namedPort: string[];
  notNamedPort: string[];
}

function scanSide(
  pos: string | null | undefined,
  neg: string | null | undefined,
  ports: readonly Port[] | null | undefined,
  notPorts: readonly Port[] | null | undefined,
  proto: NamedPortProto,
  specs: Map<string, IPSetSpec>,
): SideSets & { ranges: PortRange[]; notRanges: PortRange[] } {
  let positive = pos ?? '';
  let negative = neg ?? '';
  // felix/calc/rule_scanner.go combineMatchesIfPossible: with both selectors present, fold the negated one into the positive one.
  if (positive !== '' && negative !== '') {
    positive = `(${positive}) && (!(${negative}))`;
    negative = '';
  }
  const { ranges, names } = splitPorts(ports);
  const { ranges: notRanges, names: notNames } = splitPorts(notPorts);
  const out: SideSets = { sel: [], notSel: [], namedPort: [], notNamedPort: [] };
  const posSel = positive !== '' ? cachedSelector(positive) : undefined;
  const npSel = posSel ?? cachedSelector('all()');
  const addNamed = (name: string, into: string[]): void => {
    const id = namedPortSetId(npSel.uniqueId(), proto, name);
    if (!specs.has(id)) specs.set(id, { kind: 'namedPort', id, selector: npSel, proto, port: name });
    if (!into.includes(id)) into.push(id);
  };
  for (const n of names) addNamed(n, out.namedPort);
  for (const n of notNames) addNamed(n, out.notNamedPort);
  // felix/calc/rule_scanner.go: the named-port sets already encode the selector when there are no numeric ports.
  if (posSel && !(names.length > 0 && ranges.length === 0)) {
    const id = posSel.uniqueId();
    if (!specs.has(id)) specs.set(id, { kind: 'selector', id, selector: posSel });
    out.sel.push(id);
  }
  if (negative !== '') {
    const ns = cachedSelector(negative);
    const id = ns.uniqueId();
    if (!specs.has(id)) specs.set(id, { kind: 'selector', id, selector: ns });
    out.notSel.push(id);
  }
  return { ...out, ranges, notRanges };
}

function serviceSet(
  ns: string | null | undefined,
  name: string,
  withPort: boolean,
  specs: Map<string, IPSetSpec>,
): string {
  const service = `${ns ?? ''}/${name}`;
  const id = makeUniqueId(withPort ? 'svc' : 'svcnoport', service);
  if (!specs.has(id)) specs.set(id, { kind: 'service', id, service, withPort });
  return id;
}

/** Converts one rule (without its rule_id). Referenced IP sets are added to `specs`. */
export function convertRule(r: ModelRule, specs: Map<string, IPSetSpec>): Rule {
  const proto = r.protocol;
  const npProto = namedPortProto(proto);
  const src = scanSide(r.src_selector, r['!src_selector'], r.src_ports, r['!src_ports'], npProto, specs);
  const dst = scanSide(r.dst_selector, r['!dst_selector'], r.dst_ports, r['!dst_ports'], npProto, specs);
  if (r.src_service) src.sel.push(serviceSet(r.src_service_ns, r.src_service, false, specs));
  const dstIpPort: string[] = r.dst_service ? [serviceSet(r.dst_service_ns, r.dst_service, true, specs)] : [];

  let action = r.action ?? '';
  if (action === '') action = 'allow';
  if (action === 'pass') action = 'next-tier';

  // felix/calc/rule_convert.go: ip_version inferred from icmp/icmpv6 when unset.
  let ipVersion: IPVersion = IPVersion.ANY;
  if (r.ip_version === 4) ipVersion = IPVersion.IPV4;
  else if (r.ip_version === 6) ipVersion = IPVersion.IPV6;
  else if (proto === 'icmp' || proto === 1) ipVersion = IPVersion.IPV4;
  else if (proto === 'icmpv6' || proto === 58) ipVersion = IPVersion.IPV6;

  const out: { -readonly [K in keyof Rule]: Rule[K] } = { action };
  if (ipVersion !== IPVersion.ANY) out.ipVersion = ipVersion;
  const p = protoOf(proto);
  if (p) out.protocol = p;
  const np = protoOf(r['!protocol']);
  if (np) out.notProtocol = np;
  const put = <K extends keyof Rule>(k: K, v: readonly unknown[]): void => {
    if (v.length > 0) (out as Record<string, unknown>)[k] = v;
  };
  put('srcNet', nets(r.src_nets, r.src_net));
  put('dstNet', nets(r.dst_nets, r.dst_net));
  put('notSrcNet', nets(r['!src_nets'], r['!src_net']));
  put('notDstNet', nets(r['!dst_nets'], r['!dst_net']));
  put('srcPorts', src.ranges);
  put('dstPorts', dst.ranges);
  put('notSrcPorts', src.notRanges);
  put('notDstPorts', dst.notRanges);
  put('srcIpSetIds', src.sel);
  put('dstIpSetIds', dst.sel);
  put('notSrcIpSetIds', src.notSel);
  put('notDstIpSetIds', dst.notSel);
  put('srcNamedPortIpSetIds', src.namedPort);
  put('dstNamedPortIpSetIds', dst.namedPort);
  put('notSrcNamedPortIpSetIds', src.notNamedPort);
  put('notDstNamedPortIpSetIds', dst.notNamedPort);
  put('dstIpPortSetIds', dstIpPort);
  if (r.icmp_type !== null && r.icmp_type !== undefined) {
    if (r.icmp_code !== null && r.icmp_code !== undefined)
      out.icmpTypeCode = { type: r.icmp_type, code: r.icmp_code };
    else out.icmpType = r.icmp_type;
  }
  if (r['!icmp_type'] !== null && r['!icmp_type'] !== undefined) {
    if (r['!icmp_code'] !== null && r['!icmp_code'] !== undefined)
      out.notIcmpTypeCode = { type: r['!icmp_type'], code: r['!icmp_code'] };
    else out.notIcmpType = r['!icmp_type'];
  }
  if (r.orig_src_selector) out.originalSrcSelector = r.orig_src_selector;
  if (r.orig_dst_selector) out.originalDstSelector = r.orig_dst_selector;
  if (r['!orig_src_selector']) out.originalNotSrcSelector = r['!orig_src_selector'];
  if (r['!orig_dst_selector']) out.originalNotDstSelector = r['!orig_dst_selector'];
  if (r.orig_src_namespace_selector) out.originalSrcNamespaceSelector = r.orig_src_namespace_selector;
  if (r.orig_dst_namespace_selector) out.originalDstNamespaceSelector = r.orig_dst_namespace_selector;
  if (r.metadata?.annotations && Object.keys(r.metadata.annotations).length > 0) {
    out.metadata = { annotations: { ...r.metadata.annotations } };
  }
  return out;
}

/**
 * Converts a rule list and assigns rule IDs: 16 chars of a chained SHA-224 over the seed and
 * each rule's content, so an ID depends on the rule and everything before it (felix/calc/rule_convert.go). We hash a
 * deterministic JSON form rather than Go's protobuf bytes, so IDs are stable but not Felix's.
 */
export function convertRules(
  rules: readonly ModelRule[] | null | undefined,
  seed: string,
  specs: Map<string, IPSetSpec>,
): Rule[] {
  const out: Rule[] = [];
  let prev = createHash('sha224').update(seed, 'utf8').digest();
  for (const r of rules ?? []) {
    const converted = convertRule(r, specs);
    prev = createHash('sha224').update(prev).update(JSON.stringify(converted), 'utf8').digest();
    out.push({ ...converted, ruleId: prev.toString('base64url').slice(0, 16) });
  }
  return out;
}
