// Cross-field checks on decoded values, after the per-field schemas (values.ts). These are Felix's
// validation-filter rules (felix/calc/validation_filter.go runs typha/pkg/validator/v1/validator.go
// on every v1 value; a failure is logged "Validation failed; treating as missing"), plus the rule
// consistency checks the v3 API enforces with CEL (api/pkg/apis/projectcalico/v3/policy_common.go),
// because a rule breaking them renders to restore input the kernel refuses (e.g. "-m multiport"
// without "-p tcp"), and one refused line fails the whole table transaction.
import { parseIp } from '../../rules/compiler/ipaddr.js';
import type { Key } from './keys.js';
import type { ModelHostEndpoint, ModelRule, ModelWorkloadEndpoint, Port } from './values.js';

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
