// Cross-field checks on decoded values, after the per-field schemas (values.ts). These are Felix's
// validation-filter rules (felix/calc/validation_filter.go runs typha/pkg/validator/v1/validator.go
// on every v1 value; a failure is logged "Validation failed; treating as missing"), plus the rule
// consistency checks the v3 API enforces with CEL (api/pkg/apis/projectcalico/v3/policy_common.go),
// because a rule breaking them renders to restore input the kernel refuses (e.g. "-m multiport"
// without "-p tcp"), and one refused line fails the whole table transaction.
import { parseIp } from '../../rules/compiler/ipaddr.js';
import type { Key } from './keys.js';
import type { QoSControls } from '../../rules/dataplane-api/types.js';
import type {
  ModelHostEndpoint,
  ModelQosControls,
  ModelRule,
  ModelWorkloadEndpoint,
  Port,
} from './values.js';

/** A problem with one field: `path` is the dotted field path inside the value. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

// Texts from typha/pkg/validator/v1/validator.go.
const PROTOCOL_PORTS_MSG = 'rules that specify ports must set protocol to TCP or UDP or SCTP';
const PROTOCOL_SINGLE_OR_RANGE_PORTS_MSG =
  'rules with numeric port or port range must set protocol to TCP or UDP or SCTP';
// Texts from the CEL rules in api/pkg/apis/projectcalico/v3/policy_common.go.
const ICMP_NEEDS_PROTOCOL_MSG = 'ICMP fields require protocol to be ICMP or ICMPv6';
const ICMP_CODE_NEEDS_TYPE_MSG = 'ICMP code specified without an ICMP type';
const ICMP_V4_MSG = 'protocol ICMP requires ipVersion 4';
const ICMP_V6_MSG = 'protocol ICMPv6 requires ipVersion 6';

type Proto = string | number | null | undefined;

/** numorstring.Protocol.SupportsPorts: TCP (6), UDP (17) or SCTP (132). */
export function protocolSupportsPorts(p: Proto): boolean {
  return p === 'tcp' || p === 'udp' || p === 'sctp' || p === 6 || p === 17 || p === 132;
}

const isIcmp = (p: Proto): boolean => p === 'icmp' || p === 1;
const isIcmpV6 = (p: Proto): boolean => p === 'icmpv6' || p === 58;
const present = (v: unknown): boolean => v !== null && v !== undefined;

const PORT_FIELDS = [
  ['src_ports', 'SrcPorts'],
  ['!src_ports', 'NotSrcPorts'],
  ['dst_ports', 'DstPorts'],
  ['!dst_ports', 'NotDstPorts'],
] as const;

function portProblems(r: ModelRule, at: string, out: FieldProblem[]): void {
  for (const [field] of PORT_FIELDS) {
    const ports: readonly Port[] = r[field] ?? [];
    if (ports.length === 0) continue;
    if (!present(r.protocol)) {
      // validateBackendRule: with no protocol only named ports (IP set matches) are allowed.
      if (!ports.every((p) => p.kind === 'named'))
        out.push({ path: `${at}.${field}`, message: PROTOCOL_SINGLE_OR_RANGE_PORTS_MSG });
    } else if (!protocolSupportsPorts(r.protocol)) {
      out.push({ path: `${at}.${field}`, message: PROTOCOL_PORTS_MSG });
    }
  }
}

function icmpProblems(r: ModelRule, at: string, out: FieldProblem[]): void {
  const icmpProto = isIcmp(r.protocol) || isIcmpV6(r.protocol);
  for (const field of ['icmp_type', 'icmp_code', '!icmp_type', '!icmp_code'] as const) {
    if (present(r[field]) && !icmpProto)
      out.push({ path: `${at}.${field}`, message: ICMP_NEEDS_PROTOCOL_MSG });
  }
  if (present(r.icmp_code) && !present(r.icmp_type))
    out.push({ path: `${at}.icmp_code`, message: ICMP_CODE_NEEDS_TYPE_MSG });
  if (present(r['!icmp_code']) && !present(r['!icmp_type']))
    out.push({ path: `${at}.!icmp_code`, message: ICMP_CODE_NEEDS_TYPE_MSG });
  for (const field of ['protocol', '!protocol'] as const) {
    const p = r[field];
    if (isIcmp(p) && present(r.ip_version) && r.ip_version !== 4)
      out.push({ path: `${at}.${field}`, message: ICMP_V4_MSG });
    if (isIcmpV6(p) && present(r.ip_version) && r.ip_version !== 6)
      out.push({ path: `${at}.${field}`, message: ICMP_V6_MSG });
  }
}

/** Problems with one rule; `at` is its path, e.g. "inbound_rules.0". */
export function ruleProblems(r: ModelRule, at: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  portProblems(r, at, out);
  icmpProblems(r, at, out);
  return out;
}

function rulesProblems(
  v: { inbound_rules?: readonly ModelRule[] | null; outbound_rules?: readonly ModelRule[] | null },
  out: FieldProblem[],
): void {
  (v.inbound_rules ?? []).forEach((r, i) => out.push(...ruleProblems(r, `inbound_rules.${i}`)));
  (v.outbound_rules ?? []).forEach((r, i) => out.push(...ruleProblems(r, `outbound_rules.${i}`)));
}

function familyProblem(ip: string, want: 4 | 6, path: string, out: FieldProblem[]): void {
  if (parseIp(ip)?.family !== want) out.push({ path, message: `not an IPv${want} address` });
}

function workloadProblems(v: ModelWorkloadEndpoint): FieldProblem[] {
  const out: FieldProblem[] = [];
  // model.WorkloadEndpoint: ipv4_gateway validate:"ipv4", ipv6_gateway validate:"ipv6".
  if (present(v.ipv4_gateway)) familyProblem(v.ipv4_gateway as string, 4, 'ipv4_gateway', out);
  if (present(v.ipv6_gateway)) familyProblem(v.ipv6_gateway as string, 6, 'ipv6_gateway', out);
  return out;
}

function hostEndpointProblems(v: ModelHostEndpoint): FieldProblem[] {
  const out: FieldProblem[] = [];
  // model.HostEndpoint: expected_ipv4_addrs dive,ipv4; expected_ipv6_addrs dive,ipv6.
  (v.expected_ipv4_addrs ?? []).forEach((a, i) => familyProblem(a, 4, `expected_ipv4_addrs.${i}`, out));
  (v.expected_ipv6_addrs ?? []).forEach((a, i) => familyProblem(a, 6, `expected_ipv6_addrs.${i}`, out));
  return out;
}

/** Cross-field problems with a value that passed its schema (empty when it is fine). */
export function valueProblems(key: Key, value: unknown): FieldProblem[] {
  switch (key.type) {
    case 'policy':
    case 'profileRules': {
      const out: FieldProblem[] = [];
      rulesProblems(value as Parameters<typeof rulesProblems>[0], out);
      return out;
    }
    case 'workloadEndpoint':
      return workloadProblems(value as ModelWorkloadEndpoint);
    case 'hostEndpoint':
      return hostEndpointProblems(value as ModelHostEndpoint);
    default:
      return [];
  }
}

// Limits of libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go (minPacketRate..maxPacketRate,
// minPacketBurst..maxPacketBurst, defaultPacketBurst, minNumConnections..maxNumConnections), which are also the
// kernel's: xt_limit's XT_LIMIT_SCALE and xt_connlimit's u32 (felix/iptables/actions.go LimitPacketRateAction and
// LimitNumConnectionsAction panic outside them).
const MAX_PACKET_RATE = 10_000;
const MAX_PACKET_BURST = 10_000;
const DEFAULT_PACKET_BURST = 5;
const MAX_CONNECTIONS = 4_294_967_295;

export interface QosResult {
  /** The controls to send to the dataplane, out-of-range ones zeroed; undefined when the model has none. */
  readonly controls: QoSControls | undefined;
  /** One entry per control that was skipped. */
  readonly problems: readonly FieldProblem[];
  /** The endpoint asks for bandwidth limits (tc in Felix, not applied by felix-ts). */
  readonly bandwidth: boolean;
}

function packetRate(
  dir: 'ingress' | 'egress',
  q: ModelQosControls,
  out: FieldProblem[],
): { rate: number; burst: number } {
  const rate = q[`${dir}PacketRate`] ?? 0;
  const burst = q[`${dir}PacketBurst`] ?? 0;
  if (rate === 0) {
    if (burst !== 0)
      out.push({
        path: `qosControls.${dir}PacketBurst`,
        message: `${dir} packet rate must be specified when ${dir} packet burst is specified`,
      });
    return { rate: 0, burst: 0 };
  }
  if (rate < 1 || rate > MAX_PACKET_RATE) {
    out.push({ path: `qosControls.${dir}PacketRate`, message: `${rate} is not 1..${MAX_PACKET_RATE}` });
    return { rate: 0, burst: 0 };
  }
  if (burst === 0) return { rate, burst: DEFAULT_PACKET_BURST };
  if (burst < 1 || burst > MAX_PACKET_BURST) {
    out.push({ path: `qosControls.${dir}PacketBurst`, message: `${burst} is not 1..${MAX_PACKET_BURST}` });
    return { rate: 0, burst: 0 };
  }
  return { rate, burst };
}

function maxConnections(dir: 'ingress' | 'egress', q: ModelQosControls, out: FieldProblem[]): number {
  const n = q[`${dir}MaxConnections`] ?? 0;
  if (n === 0) return 0;
  if (n < 1 || n > MAX_CONNECTIONS) {
    out.push({ path: `qosControls.${dir}MaxConnections`, message: `${n} is not 1..${MAX_CONNECTIONS}` });
    return 0;
  }
  return n;
}

/**
 * The dataplane form of a workload endpoint's qosControls (felix/calc/event_sequencer.go
 * ModelWorkloadEndpointToProto copies every field), with the packet burst defaulted to 5 when only the rate
 * is given and each out-of-range packet-rate or connection limit skipped and reported, so one bad number
 * drops that limit rather than the endpoint.
 */
export function qosControlsOf(q: ModelQosControls | null | undefined): QosResult {
  if (!q) return { controls: undefined, problems: [], bandwidth: false };
  const problems: FieldProblem[] = [];
  const ingress = packetRate('ingress', q, problems);
  const egress = packetRate('egress', q, problems);
  const v = (f: keyof ModelQosControls): number => q[f] ?? 0;
  const controls: QoSControls = {
    ingressBandwidth: v('ingressBandwidth'),
    egressBandwidth: v('egressBandwidth'),
    ingressBurst: v('ingressBurst'),
    egressBurst: v('egressBurst'),
    ingressPeakrate: v('ingressPeakrate'),
    egressPeakrate: v('egressPeakrate'),
    ingressMinburst: v('ingressMinburst'),
    egressMinburst: v('egressMinburst'),
    ingressPacketRate: ingress.rate,
    ingressPacketBurst: ingress.burst,
    egressPacketRate: egress.rate,
    egressPacketBurst: egress.burst,
    ingressMaxConnections: maxConnections('ingress', q, problems),
    egressMaxConnections: maxConnections('egress', q, problems),
  };
  const bandwidth = (
    [
      'ingressBandwidth',
      'egressBandwidth',
      'ingressBurst',
      'egressBurst',
      'ingressPeakrate',
      'egressPeakrate',
    ] as const
  ).some((f) => v(f) !== 0);
  return { controls, problems, bandwidth };
}
