// zod schemas for every value the felix syncer sends (the JSON of libcalico-go/lib/backend/model).
// Unknown JSON fields are ignored, as Go's encoding/json does; a value that fails its schema (or the
// checks in validate.ts) is treated by the calculation as a deletion of its key
// (felix/calc/validation_filter.go).
import { z } from 'zod';
import { parseSelector } from '../selector/index.js';
import { normalizeCidr, parseIp } from '../../rules/compiler/ipaddr.js';

const labels = z.record(z.string(), z.string());
const stringList = z.array(z.string());

/**
 * Names that end up in dataplane identifiers (profile and tier names become parts of chain
 * names): no whitespace or control characters, so datastore content can never add lines or
 * fields to restore input.
 */
// eslint-disable-next-line no-control-regex
export const SAFE_NAME = /^[^\s\x00-\x1f\x7f]{1,512}$/;
export const safeNameSchema = z
  .string()
  .regex(SAFE_NAME, { message: 'name contains whitespace or control characters' });
const safeNameList = z.array(safeNameSchema);

/** Linux interface names (IFNAMSIZ 16 incl. NUL); the set Felix's validator accepts. */
export const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;
export const interfaceNameSchema = z.string().regex(INTERFACE_NAME, { message: 'invalid interface name' });

export const MAC = /^$|^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;
export const macSchema = z.string().regex(MAC, { message: 'invalid MAC address' });

/** A CIDR (or bare IP = host prefix), normalised to masked network form. */
export const cidrSchema = z.string().transform((s, ctx) => {
  const n = normalizeCidr(s);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `malformed CIDR ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return n;
});

/** A CIDR kept as written (endpoint addresses keep their host bits), but validated. */
export const endpointNetSchema = z
  .string()
  .refine((s) => normalizeCidr(s) !== null, { message: 'malformed CIDR' });

export const ipSchema = z
  .string()
  .refine((s) => parseIp(s) !== undefined, { message: 'malformed IP address' });

// Selectors repeat across policies and rules: remember the last few thousand that parsed.
const PARSED_SELECTORS = new Set<string>();
const PARSED_SELECTORS_MAX = 4096;

/** Whether a selector string parses (libcalico-go/lib/selector); "" means all(). */
export function selectorParses(s: string): boolean {
  if (PARSED_SELECTORS.has(s)) return true;
  try {
    parseSelector(s);
  } catch {
    return false;
  }
  if (PARSED_SELECTORS.size >= PARSED_SELECTORS_MAX) PARSED_SELECTORS.clear();
  PARSED_SELECTORS.add(s);
  return true;
}

/** A selector string that must parse; "" means all(). */
export const selectorSchema = z.string().refine(selectorParses, { message: 'selector does not parse' });

/** numorstring.Port: 80, "80", "8000:9000" or a named port "http" (api/pkg/lib/numorstring/port.go). */
export type Port =
  | { readonly kind: 'range'; readonly first: number; readonly last: number }
  | { readonly kind: 'named'; readonly name: string };

const NAMED_PORT = /^[a-zA-Z0-9_.-]{1,128}$/;

/** k8s IsValidPortName (IANA_SVC_NAME), which Felix's validator applies to named ports. */
function isValidPortName(s: string): boolean {
  return s.length <= 15 && /^[-a-z0-9]+$/.test(s) && /[a-z]/.test(s) && !s.includes('--') && !/^-|-$/.test(s);
}

/** numorstring.Port, then validatePort: the port, or why it is invalid (portSchema's message). */
export function portOf(v: number | string): Port | { readonly error: string } {
  const bad = (why: string): { error: string } => ({ error: `invalid port ${JSON.stringify(v)}: ${why}` });
  // numbers are 1..65535 and a range is first <= last.
  const numeric = (first: number, last: number): Port | { error: string } => {
    if (first > 65535 || last > 65535) return bad('port number must be between 0 and 65536');
    if (first > last) return bad('port range invalid');
    if (first < 1) return bad('port range invalid, port number must be between 0 and 65536');
    return { kind: 'range', first, last };
  };
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) return bad('not a port number');
    return numeric(v, v);
  }
  if (/^[0-9]+$/.test(v)) return numeric(Number(v), Number(v));
  const m = /^([0-9]+):([0-9]+)$/.exec(v);
  if (m) return numeric(Number(m[1]), Number(m[2]));
  if (!NAMED_PORT.test(v)) return bad('invalid name for named port');
  if (!isValidPortName(v)) return bad('invalid port name');
  return { kind: 'named', name: v };
}

export const portSchema = z.union([z.number(), z.string()]).transform((v, ctx): Port => {
  const p = portOf(v);
  if ('error' in p) {
    ctx.addIssue({ code: 'custom', message: p.error });
    return z.NEVER;
  }
  return p;
});

/** The protocol names Felix's v1 validator accepts (typha/pkg/validator/v1/validator.go). */
const PROTOCOL_NAMES: ReadonlySet<string> = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'udplite']);

/**
 * v1 Protocol: a name or a number 1..255; a numeric string decodes as a number (numorstring).
 * Names are taken case-insensitively (Felix's v1 regex is lower case; the syncer sends lower case).
 */
/** The protocol as the schema outputs it, or why it is invalid (protocolSchema's message). */
export function protocolOf(v: number | string): string | number | { readonly error: string } {
  if (typeof v === 'number' || /^[0-9]+$/.test(v)) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 255) return { error: `protocol number invalid: ${v}` };
    return n;
  }
  const name = v.toLowerCase();
  if (!PROTOCOL_NAMES.has(name)) return { error: `protocol name invalid: ${JSON.stringify(v)}` };
  return name;
}

export const protocolSchema = z.union([z.number(), z.string()]).transform((v, ctx): string | number => {
  const p = protocolOf(v);
  if (typeof p === 'object') {
    ctx.addIssue({ code: 'custom', message: p.error });
    return z.NEVER;
  }
  return p;
});

// model.Rule: icmp_type gte=0,lt=255 (the kernel cannot match type 255); icmp_code gte=0,lte=255.
const icmpType = z.number().int().min(0).max(254);
const icmpCode = z.number().int().min(0).max(255);

export const RULE_ACTIONS = ['', 'allow', 'deny', 'log', 'next-tier', 'pass'] as const;
export const ruleActionSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(RULE_ACTIONS));

export const ruleSchema = z.object({
  action: ruleActionSchema.nullish(),
  ip_version: z.union([z.literal(4), z.literal(6)]).nullish(),
  protocol: protocolSchema.nullish(),
  '!protocol': protocolSchema.nullish(),
  icmp_type: icmpType.nullish(),
  icmp_code: icmpCode.nullish(),
  '!icmp_type': icmpType.nullish(),
  '!icmp_code': icmpCode.nullish(),
  src_net: cidrSchema.nullish(),
  dst_net: cidrSchema.nullish(),
  '!src_net': cidrSchema.nullish(),
  '!dst_net': cidrSchema.nullish(),
  src_nets: z.array(cidrSchema).nullish(),
  dst_nets: z.array(cidrSchema).nullish(),
  '!src_nets': z.array(cidrSchema).nullish(),
  '!dst_nets': z.array(cidrSchema).nullish(),
  src_selector: selectorSchema.nullish(),
  dst_selector: selectorSchema.nullish(),
  '!src_selector': selectorSchema.nullish(),
  '!dst_selector': selectorSchema.nullish(),
  src_ports: z.array(portSchema).nullish(),
  dst_ports: z.array(portSchema).nullish(),
  '!src_ports': z.array(portSchema).nullish(),
  '!dst_ports': z.array(portSchema).nullish(),
  src_service: z.string().nullish(),
  src_service_ns: z.string().nullish(),
  dst_service: z.string().nullish(),
  dst_service_ns: z.string().nullish(),
  orig_src_selector: z.string().nullish(),
  orig_src_namespace_selector: z.string().nullish(),
  orig_dst_selector: z.string().nullish(),
  orig_dst_namespace_selector: z.string().nullish(),
  '!orig_src_selector': z.string().nullish(),
  '!orig_dst_selector': z.string().nullish(),
  orig_src_service_acct_names: stringList.nullish(),
  orig_src_service_acct_selector: z.string().nullish(),
  orig_dst_service_acct_names: stringList.nullish(),
  orig_dst_service_acct_selector: z.string().nullish(),
  http: z.unknown().optional(),
  metadata: z.object({ annotations: labels.nullish() }).nullish(),
});
export type ModelRule = z.infer<typeof ruleSchema>;

export const policySchema = z.object({
  namespace: z.string().nullish(),
  tier: safeNameSchema.or(z.literal('')).nullish(),
  order: z.number().nullish(),
  inbound_rules: z.array(ruleSchema).nullish(),
  outbound_rules: z.array(ruleSchema).nullish(),
  selector: selectorSchema.nullish(),
  untracked: z.boolean().nullish(),
  annotations: labels.nullish(),
  pre_dnat: z.boolean().nullish(),
  apply_on_forward: z.boolean().nullish(),
  types: stringList.nullish(),
  performance_hints: stringList.nullish(),
  staged_action: z.string().nullish(),
});
export type ModelPolicy = z.infer<typeof policySchema>;

export const profileRulesSchema = z.object({
  inbound_rules: z.array(ruleSchema).nullish(),
  outbound_rules: z.array(ruleSchema).nullish(),
});
export type ModelProfileRules = z.infer<typeof profileRulesSchema>;

/** `/calico/v1/policy/profile/<name>/labels` (not used for matching). */
export const profileLabelsSchema = labels;

/** v3 Profile resource: the labels endpoints inherit come from spec.labelsToApply. */
export const v3ProfileSchema = z.object({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  metadata: z.object({ name: z.string().optional() }).optional(),
  spec: z.object({ labelsToApply: labels.nullish() }).nullish(),
});
export type V3Profile = z.infer<typeof v3ProfileSchema>;

export const tierSchema = z.object({
  order: z.number().nullish(),
  defaultAction: z.string().nullish(),
});
export type ModelTier = z.infer<typeof tierSchema>;

export const endpointPortSchema = z.object({
  name: z.string(),
  // validateBackendEndpointPort: only tcp, udp or sctp (by name).
  protocol: protocolSchema.refine((p) => p === 'tcp' || p === 'udp' || p === 'sctp', {
    message: "EndpointPort protocol must be 'tcp' or 'udp' or 'sctp'.",
  }),
  port: z.number().int().min(0).max(65535),
});
export type EndpointPort = z.infer<typeof endpointPortSchema>;

const natSchema = z.object({ int_ip: ipSchema, ext_ip: ipSchema });

/** The int64 fields of libcalico-go/lib/apis/internalapi QoSControls (the model's qosControls), JSON names. */
export const QOS_FIELDS = [
  'ingressBandwidth',
  'ingressBurst',
  'ingressPeakrate',
  'ingressMinburst',
  'egressBandwidth',
  'egressBurst',
  'egressPeakrate',
  'egressMinburst',
  'ingressPacketRate',
  'ingressPacketBurst',
  'egressPacketRate',
  'egressPacketBurst',
  'ingressMaxConnections',
  'egressMaxConnections',
] as const;
export type QosField = (typeof QOS_FIELDS)[number];

/**
 * qosControls as Go decodes it: each field an integer (a string or a fraction fails the whole value, as
 * encoding/json does for int64), absent meaning 0; "dscp" and unknown fields are ignored. Ranges are
 * checked by validate.ts qosControlsOf, which skips an out-of-range control instead of the endpoint.
 */
export const qosControlsSchema = z.object(
  Object.fromEntries(QOS_FIELDS.map((f) => [f, z.number().int().nullish()])) as Record<
    QosField,
    z.ZodOptional<z.ZodNullable<z.ZodNumber>>
  >,
);
export type ModelQosControls = z.infer<typeof qosControlsSchema>;

export const workloadEndpointSchema = z.object({
  state: z.string().nullish(),
  // Felix rejects a WEP with an empty interface name (felix/calc/validation_filter.go).
  name: interfaceNameSchema,
  active_instance_id: z.string().nullish(),
  mac: macSchema.nullish(),
  profile_ids: safeNameList.nullish(),
  ipv4_nets: z.array(endpointNetSchema).nullish(),
  ipv6_nets: z.array(endpointNetSchema).nullish(),
  ipv4_nat: z.array(natSchema).nullish(),
  ipv6_nat: z.array(natSchema).nullish(),
  labels: labels.nullish(),
  ipv4_gateway: z.string().nullish(),
  ipv6_gateway: z.string().nullish(),
  ports: z.array(endpointPortSchema).nullish(),
  generate_name: z.string().nullish(),
  // raw table (issue 12): each entry is checked by the calc (agent/calc/endpoints.ts), which logs and skips a
  // malformed one instead of refusing the whole endpoint.
  allow_spoofed_source_ips: z.array(z.string()).nullish(),
  annotations: labels.nullish(),
  qosControls: qosControlsSchema.nullish(),
});
export type ModelWorkloadEndpoint = z.infer<typeof workloadEndpointSchema>;

export const hostEndpointSchema = z.object({
  // "" (match by expected IPs) or "*" (all interfaces) are allowed for host endpoints.
  name: z.union([interfaceNameSchema, z.literal('*'), z.literal('')]).nullish(),
  expected_ipv4_addrs: z.array(ipSchema).nullish(),
  expected_ipv6_addrs: z.array(ipSchema).nullish(),
  labels: labels.nullish(),
  profile_ids: safeNameList.nullish(),
  ports: z.array(endpointPortSchema).nullish(),
  qosControls: z.unknown().optional(),
});
export type ModelHostEndpoint = z.infer<typeof hostEndpointSchema>;

export const networkSetSchema = z.object({
  nets: z.array(cidrSchema).nullish(),
  labels: labels.nullish(),
  profile_ids: safeNameList.nullish(),
});
export type ModelNetworkSet = z.infer<typeof networkSetSchema>;

export const ipPoolSchema = z.object({
  cidr: cidrSchema,
  ipip: z.string().nullish(),
  ipip_mode: z.string().nullish(),
  vxlan_mode: z.string().nullish(),
  masquerade: z.boolean().nullish(),
  ipam: z.boolean().nullish(),
  disabled: z.boolean().nullish(),
  disableBGPExport: z.boolean().nullish(),
  assignment_mode: z.string().nullish(),
  allowed_uses: stringList.nullish(),
});
export type ModelIPPool = z.infer<typeof ipPoolSchema>;

export const wireguardSchema = z.object({
  interfaceIPv4Addr: z.string().nullish(),
  publicKey: z.string().nullish(),
  interfaceIPv6Addr: z.string().nullish(),
  publicKeyV6: z.string().nullish(),
});

/** Raw config strings are taken as-is (not JSON). */
export const rawConfigSchema = z.string();

/** The Ready flag is the raw text `true` or `false`. */
export const readyFlagSchema = z.enum(['true', 'false']).transform((s) => s === 'true');

/** Any other v3 resource: only the envelope is checked. */
export const v3ResourceSchema = z
  .object({ kind: z.string().optional(), metadata: z.object({}).passthrough().optional() })
  .passthrough();
