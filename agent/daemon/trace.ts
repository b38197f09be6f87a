// `felix-ts trace <src> <dst> [proto/port]`, the pure part behind /debug/trace: names the two ends
// (a local workload by ns/pod, pod, interface or key, or an IP/CIDR, which is a local workload when
// one has that address), builds the first packet of the connection and traces the egress of the
// source and the ingress of the destination, each when that end is a local workload
// (./trace-eval.ts). Like Cilium's `cilium policy trace`, but from the dataplane's own input state
// (the compiler's DataplaneState) and output (the DesiredState chains and hashes). Pure: no I/O.
import type { WorkloadEntry } from '../../rules/compiler/index.js';
import { formatIp, parseCidr } from '../../rules/compiler/ipaddr.js';
import { traceDirection, type DirectionTrace, type TraceSources, type Verdict } from './trace-eval.js';
import { cidrContains, PROTOCOL_NUMBERS, protocolName, type Addr, type TracePacket } from './trace-match.js';

export class TraceError extends Error {
  constructor(
    readonly code: 'ERR_TRACE_ARGS' | 'ERR_TRACE_AMBIGUOUS' | 'ERR_TRACE_UNKNOWN' | 'ERR_TRACE_FAMILY',
    message: string,
    readonly candidates: readonly string[] = [],
  ) {
    super(message);
    this.name = 'TraceError';
  }
}

export interface PacketSpec {
  readonly protocol?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

const PORT_PROTOS = new Set([6, 17, 132, 136]);

function intIn(text: string, lo: number, hi: number, what: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < lo || Number(text) > hi)
    throw new TraceError('ERR_TRACE_ARGS', `${what} must be ${lo}..${hi}, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The packet argument: "tcp/8080", "udp/53", "sctp/9", "tcp" (no port), "icmp" (echo request,
 * type 8 / ICMPv6 128), "icmp/<type>[/<code>]", "icmpv6", or a protocol number ("47"). Empty: no
 * protocol, so only rules without protocol, port or ICMP conditions can match.
 */
export function parsePacketSpec(text: string | undefined, family?: 4 | 6): PacketSpec {
  if (text === undefined || text === '') return {};
  const [protoText = '', ...rest] = text.toLowerCase().split('/');
  const protocol = /^[0-9]+$/.test(protoText)
    ? intIn(protoText, 0, 255, 'protocol')
    : PROTOCOL_NUMBERS[protoText];
  if (protocol === undefined)
    throw new TraceError(
      'ERR_TRACE_ARGS',
      `unknown protocol ${JSON.stringify(protoText)} (tcp, udp, sctp, udplite, icmp, icmpv6 or a number)`,
    );
  if (protocol === 1 || protocol === 58) {
    if (rest.length > 2)
      throw new TraceError('ERR_TRACE_ARGS', `ICMP is icmp[/<type>[/<code>]], got ${JSON.stringify(text)}`);
    const echo = protocol === 58 || family === 6 ? 128 : 8;
    const icmpType = rest[0] !== undefined ? intIn(rest[0], 0, 255, 'ICMP type') : echo;
    const icmpCode = rest[1] !== undefined ? intIn(rest[1], 0, 255, 'ICMP code') : 0;
    return { protocol, icmpType, icmpCode };
  }
  if (rest.length === 0) return { protocol };
  if (rest.length > 1 || !PORT_PROTOS.has(protocol))
    throw new TraceError(
      'ERR_TRACE_ARGS',
      `a port goes with tcp, udp, sctp or udplite: <proto>/<port>, got ${JSON.stringify(text)}`,
    );
  return { protocol, dstPort: intIn(rest[0] as string, 0, 65535, 'port') };
}

/** One end of the flow: a local workload (with its addresses) or an address outside the node's workloads. */
export type TraceEnd =
  | { readonly kind: 'workload'; readonly key: string; readonly entry: WorkloadEntry; readonly addr?: Addr }
  | { readonly kind: 'address'; readonly addr: Addr };

function podName(workloadId: string): string | undefined {
  const i = workloadId.indexOf('/');
  return i < 0 ? undefined : workloadId.slice(i + 1);
}

function netsOf(e: WorkloadEntry): Addr[] {
  return [...e.endpoint.ipv4Nets, ...e.endpoint.ipv6Nets].flatMap((n) => parseCidr(n) ?? []);
}

/** Resolves one end: key, interface, ns/pod, ns/pod/endpoint, pod name, then IP/CIDR (inspect's names). */
export function resolveEnd(q: string, workloads: ReadonlyMap<string, WorkloadEntry>): TraceEnd {
  const all = [...workloads.entries()];
  const direct = workloads.get(q);
  if (direct) return { kind: 'workload', key: q, entry: direct };
  const byName = (pred: (e: WorkloadEntry) => boolean): [string, WorkloadEntry][] =>
    all.filter(([, e]) => pred(e));
  let hits = byName(
    (e) => e.endpoint.name === q || e.id.workloadId === q || `${e.id.workloadId}/${e.id.endpointId}` === q,
  );
  if (hits.length === 0) hits = byName((e) => podName(e.id.workloadId) === q);
  const addr = hits.length === 0 ? parseCidr(q) : undefined;
  if (addr) {
    // An address inside a local workload's /32 (/128) is that workload.
    hits = byName((e) => netsOf(e).some((n) => cidrContains(n, addr)));
    if (hits.length === 0) return { kind: 'address', addr };
  }
  if (hits.length === 1) {
    const [key, entry] = hits[0] as [string, WorkloadEntry];
    return { kind: 'workload', key, entry, ...(addr ? { addr } : {}) };
  }
  const names = hits.map(([, e]) => `${e.id.workloadId}/${e.id.endpointId} (${e.endpoint.name})`);
  if (hits.length > 1)
    throw new TraceError(
      'ERR_TRACE_AMBIGUOUS',
      `${JSON.stringify(q)} matches ${hits.length} local endpoints; name one of them`,
      names,
    );
  throw new TraceError(
    'ERR_TRACE_UNKNOWN',
    `${JSON.stringify(q)} is neither a local workload (ns/pod, pod, interface) nor an IP or CIDR`,
  );
}

/** The end's address of a family: the given one, else the workload's first net of that family. */
function addrOf(end: TraceEnd, family: 4 | 6): Addr | undefined {
  if (end.kind === 'address' || end.addr) return (end.addr as Addr).family === family ? end.addr : undefined;
  return netsOf(end.entry).find((n) => n.family === family);
}

function chooseFamily(src: TraceEnd, dst: TraceEnd): 4 | 6 {
  const fixed = [src, dst].flatMap((e) => (e.kind === 'address' || e.addr ? [(e.addr as Addr).family] : []));
  if (fixed.length === 2 && fixed[0] !== fixed[1])
    throw new TraceError('ERR_TRACE_FAMILY', 'source and destination are of different IP families');
  if (fixed.length > 0) return fixed[0] as 4 | 6;
  for (const f of [4, 6] as const) if (addrOf(src, f) && addrOf(dst, f)) return f;
  throw new TraceError('ERR_TRACE_FAMILY', 'source and destination have no IP family in common');
}

export interface TraceEndView {
  readonly query: string;
  readonly address: string;
  /** The local workload ("ns/pod/eth0"), absent for an address outside the node's workloads. */
  readonly workload?: string;
  readonly iface?: string;
}

export interface TraceResult {
  readonly src: TraceEndView;
  readonly dst: TraceEndView;
  readonly ipVersion: 4 | 6;
  /** "tcp/8080", "icmp type 8 code 0", "(any)". */
  readonly packet: string;
  /** Egress of the source, then ingress of the destination: each only when that end is local. */
  readonly directions: readonly DirectionTrace[];
  /** allow when every traced direction allows (nothing local to trace: allow, felix-ts has no say). */
  readonly verdict: Verdict;
  readonly notes: readonly string[];
}

function view(query: string, end: TraceEnd, a: Addr): TraceEndView {
  const address =
    a.prefix === (a.family === 4 ? 32 : 128)
      ? formatIp(a.family, a.bytes)
      : `${formatIp(a.family, a.bytes)}/${a.prefix}`;
  if (end.kind === 'address') return { query, address };
  const { id, endpoint } = end.entry;
  return { query, address, workload: `${id.workloadId}/${id.endpointId}`, iface: endpoint.name };
}

function packetText(s: PacketSpec): string {
  if (s.protocol === undefined) return '(any protocol)';
  const name = protocolName(s.protocol);
  if (s.icmpType !== undefined) return `${name} type ${s.icmpType} code ${s.icmpCode ?? 0}`;
  return s.dstPort !== undefined ? `${name}/${s.dstPort}` : name;
}

/** Traces the first packet of src -> dst over the agent's current state. Throws TraceError for bad arguments. */
export function trace(
  srcQ: string,
  dstQ: string,
  packetQ: string | undefined,
  sources: TraceSources & {
    readonly labelsOf?: (workload: string) => Readonly<Record<string, string>> | undefined;
  },
): TraceResult {
  const workloads = sources.state.workloads;
  const src = resolveEnd(srcQ, workloads);
  const dst = resolveEnd(dstQ, workloads);
  const family = chooseFamily(src, dst);
  let spec = parsePacketSpec(packetQ, family);
  // "icmp" on an IPv6 flow is ICMPv6 (an IPv6 packet never carries protocol 1 echo requests).
  if (family === 6 && spec.protocol === 1) spec = { ...spec, protocol: 58 };
  const sa = addrOf(src, family) as Addr;
  const da = addrOf(dst, family) as Addr;
  const p: TracePacket = { family, src: sa, dst: da, ...spec };
  const labelsOf = (e: TraceEnd): Readonly<Record<string, string>> | undefined =>
    e.kind === 'workload'
      ? sources.labelsOf?.(`${e.entry.id.workloadId}/${e.entry.id.endpointId}`)
      : undefined;
  const withLabels: TraceSources = { ...sources, labels: { src: labelsOf(src), dst: labelsOf(dst) } };
  const directions: DirectionTrace[] = [];
  if (src.kind === 'workload')
    directions.push(traceDirection(src.key, src.entry.endpoint, 'egress', p, withLabels));
  if (dst.kind === 'workload')
    directions.push(traceDirection(dst.key, dst.entry.endpoint, 'ingress', p, withLabels));
  const notes: string[] = [];
  if (src.kind === 'workload' && dst.kind === 'address')
    notes.push(
      `if ${view(dstQ, dst, da).address} is an address of this host, DefaultEndpointToHostAction=` +
        `${sources.config.defaultEndpointToHostAction} applies after the egress policy (felix/rules/static.go cali-wl-to-host)`,
    );
  if (directions.length === 0)
    notes.push('neither end is a local workload: no felix-ts policy applies on this node');
  if (spec.protocol === undefined)
    notes.push('no protocol given: rules with a protocol, port or ICMP condition did not match');
  if (directions.some((d) => d.steps.some((x) => x.why?.startsWith('src port (not given)'))))
    notes.push('source port not given: rules with a source-port condition did not match');
  if (sa.prefix !== (family === 4 ? 32 : 128) || da.prefix !== (family === 4 ? 32 : 128))
    notes.push('a CIDR end matches a net or IP set only when the whole CIDR is inside it');
  if (sources.desired === undefined) notes.push('nothing compiled yet: no kernel chains to show');
  return {
    src: view(srcQ, src, sa),
    dst: view(dstQ, dst, da),
    ipVersion: family,
    packet: packetText(spec),
    directions,
    verdict: directions.every((d) => d.verdict === 'allow') ? 'allow' : 'deny',
    notes,
  };
}
