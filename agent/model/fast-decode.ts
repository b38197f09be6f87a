// Hand-written fast paths for the value schemas of values.ts that dominate a snapshot (issue 15 item 2):
// zod's generic walkers cost about 6 µs per WorkloadEndpoint, most of the decode time at startup.
// Each checker takes a value straight from JSON.parse and returns either exactly what the zod schema
// returns (the same keys in the same order, the same transforms, unknown keys dropped) or BAD, and then
// the caller runs the zod schema, so a refused value gets zod's own error. A fast path may refuse more
// than zod does (anything unusual), never less. The field tables follow the schemas' key order;
// test/unit/agent/model/fast-decode.test.ts checks them and the results against zod.
import { normalizeCidr, parseCidr, parseIp } from '../../rules/compiler/ipaddr.js';
import type { KeyType } from './keys.js';
import {
  INTERFACE_NAME,
  MAC,
  QOS_FIELDS,
  RULE_ACTIONS,
  SAFE_NAME,
  portOf,
  protocolOf,
  selectorParses,
} from './values.js';

/** Returned by a check that does not accept its input; the caller then runs zod. */
export const BAD: unique symbol = Symbol('fast-decode: refused');
type Check = (v: unknown) => unknown;
type Obj = Record<string, unknown>;

/** An object as JSON.parse makes it (zod's isObject / isPlainObject hold for these). */
function isObj(v: unknown): v is Obj {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

const str: Check = (v) => (typeof v === 'string' ? v : BAD);
const bool: Check = (v) => (typeof v === 'boolean' ? v : BAD);
const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : BAD);
const safeName = (v: unknown): boolean => typeof v === 'string' && SAFE_NAME.test(v);
const intIn =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : BAD;
const safeInt: Check = (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : BAD);

/** z.array of a schema that returns its input unchanged: the input array itself is the result. */
const everyOf =
  (ok: (x: unknown) => boolean): Check =>
  (v) => {
    if (!Array.isArray(v)) return BAD;
    for (const x of v) if (!ok(x)) return BAD;
    return v;
  };

/** z.array of a schema that makes a new value per element. */
const mapOf =
  (check: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return BAD;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const r = check(v[i]);
      if (r === BAD) return BAD;
      out[i] = r;
    }
    return out;
  };

const stringList = everyOf((x) => typeof x === 'string');
const safeNameList = everyOf(safeName);

/** z.record(z.string(), z.string()): a copy without an own `__proto__` key, which zod drops. */
const labels: Check = (v) => {
  if (!isObj(v)) return BAD;
  let proto = false;
  for (const k in v) {
    if (typeof v[k] !== 'string') return BAD;
    if (k === '__proto__') proto = true;
  }
  if (!proto) return v;
  const out: Obj = {};
  for (const k in v) if (k !== '__proto__') out[k] = v[k];
  return out;
};

/** One field of a z.object shape: nullish fields (the default) skip an absent key, keep null. */
type Field = readonly [key: string, check: Check, kind?: 'required' | 'optional'];

/**
 * z.object over these fields, in the shape's order (zod's handlePropertyResult): an absent optional key
 * is left out, a present one is checked; a required one must check.
 */
export function objectOf(fields: readonly Field[]): Check {
  const keys = fields.map((f) => f[0]);
  const checks = fields.map((f) => f[1]);
  const kinds = fields.map((f) => f[2]);
  const n = fields.length;
  return (v) => {
    if (!isObj(v)) return BAD;
    const out: Obj = {};
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const kind = kinds[i];
      if (kind !== 'required') {
        if (!(key in v)) continue;
        const x = v[key];
        if (x === undefined || (x === null && kind === undefined)) {
          out[key] = x;
          continue;
        }
      }
      const r = (checks[i] as Check)(v[key]);
      if (r === BAD) return BAD;
      out[key] = r;
    }
    return out;
  };
}

const unknownValue: Check = (v) => v;
const regex =
  (re: RegExp): Check =>
  (v) =>
    typeof v === 'string' && re.test(v) ? v : BAD;
const ip = (x: unknown): boolean => typeof x === 'string' && parseIp(x) !== undefined;
/** cidrSchema: normalised to network form. */
const cidr: Check = (v) => (typeof v === 'string' ? (normalizeCidr(v) ?? BAD) : BAD);
/**
 * "a.b.c.d" or "a.b.c.d/n" with no leading zeros and n <= 32: a charCode scan that accepts only what
 * parseCidr accepts (endpoints' ipv4_nets are nearly all of this form); anything else asks parseCidr.
 */
export function isPlainIPv4Cidr(s: string): boolean {
  const len = s.length;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s.charCodeAt(i) !== 46) return false; // '.'
      i++;
    }
    const start = i;
    let n = 0;
    while (i < len && i - start < 4) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && s.charCodeAt(start) === 48)) return false;
  }
  if (i === len) return true;
  if (s.charCodeAt(i) !== 47) return false; // '/'
  const start = ++i;
  let n = 0;
  while (i < len) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    n = n * 10 + c;
    i++;
  }
  return i - start >= 1 && i - start <= 3 && n <= 32;
}

/** endpointNetSchema: a valid CIDR, kept as written (normalizeCidr is null exactly when parseCidr is undefined). */
const endpointNet = (x: unknown): boolean =>
  typeof x === 'string' && (isPlainIPv4Cidr(x) || parseCidr(x) !== undefined);

const selector: Check = (v) => (typeof v === 'string' && selectorParses(v) ? v : BAD);
const protocol: Check = (v) => {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) return BAD;
  const p = protocolOf(v);
  return typeof p === 'object' ? BAD : p;
};
const port: Check = (v) => {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) return BAD;
  const p = portOf(v);
  return 'error' in p ? BAD : p;
};
const ACTIONS: ReadonlySet<string> = new Set(RULE_ACTIONS);
const action: Check = (v) => {
  if (typeof v !== 'string') return BAD;
  const a = v.toLowerCase();
  return ACTIONS.has(a) ? a : BAD;
};

// endpointPortSchema: only tcp, udp or sctp, by name.
const endpointPort = objectOf([
  ['name', str, 'required'],
  [
    'protocol',
    (v) => (typeof v === 'string' && /^(tcp|udp|sctp)$/.test(v.toLowerCase()) ? protocol(v) : BAD),
    'required',
  ],
  ['port', intIn(0, 65535), 'required'],
]);
const nat = objectOf([
  ['int_ip', (v) => (ip(v) ? v : BAD), 'required'],
  ['ext_ip', (v) => (ip(v) ? v : BAD), 'required'],
]);
const qosControls = objectOf(QOS_FIELDS.map((f): Field => [f, safeInt]));

export const WORKLOAD_ENDPOINT_FIELDS: readonly Field[] = [
  ['state', str],
  ['name', regex(INTERFACE_NAME), 'required'],
  ['active_instance_id', str],
  ['mac', regex(MAC)],
  ['profile_ids', safeNameList],
  ['ipv4_nets', everyOf(endpointNet)],
  ['ipv6_nets', everyOf(endpointNet)],
  ['ipv4_nat', mapOf(nat)],
  ['ipv6_nat', mapOf(nat)],
  ['labels', labels],
  ['ipv4_gateway', str],
  ['ipv6_gateway', str],
  ['ports', mapOf(endpointPort)],
  ['generate_name', str],
  ['allow_spoofed_source_ips', stringList],
  ['annotations', labels],
  ['qosControls', qosControls],
];

const icmpType = intIn(0, 254);
const icmpCode = intIn(0, 255);
const cidrs = mapOf(cidr);
const ports = mapOf(port);

export const RULE_FIELDS: readonly Field[] = [
  ['action', action],
  ['ip_version', (v) => (v === 4 || v === 6 ? v : BAD)],
  ['protocol', protocol],
  ['!protocol', protocol],
  ['icmp_type', icmpType],
  ['icmp_code', icmpCode],
  ['!icmp_type', icmpType],
  ['!icmp_code', icmpCode],
  ['src_net', cidr],
  ['dst_net', cidr],
  ['!src_net', cidr],
  ['!dst_net', cidr],
  ['src_nets', cidrs],
  ['dst_nets', cidrs],
  ['!src_nets', cidrs],
  ['!dst_nets', cidrs],
  ['src_selector', selector],
  ['dst_selector', selector],
  ['!src_selector', selector],
  ['!dst_selector', selector],
  ['src_ports', ports],
  ['dst_ports', ports],
  ['!src_ports', ports],
  ['!dst_ports', ports],
  ['src_service', str],
  ['src_service_ns', str],
  ['dst_service', str],
  ['dst_service_ns', str],
  ['orig_src_selector', str],
  ['orig_src_namespace_selector', str],
  ['orig_dst_selector', str],
  ['orig_dst_namespace_selector', str],
  ['!orig_src_selector', str],
  ['!orig_dst_selector', str],
  ['orig_src_service_acct_names', stringList],
  ['orig_src_service_acct_selector', str],
  ['orig_dst_service_acct_names', stringList],
  ['orig_dst_service_acct_selector', str],
  ['http', unknownValue, 'optional'],
  ['metadata', objectOf([['annotations', labels]])],
];
const rules = mapOf(objectOf(RULE_FIELDS));

export const POLICY_FIELDS: readonly Field[] = [
  ['namespace', str],
  ['tier', (v) => (v === '' || safeName(v) ? v : BAD)],
  ['order', num],
  ['inbound_rules', rules],
  ['outbound_rules', rules],
  ['selector', selector],
  ['untracked', bool],
  ['annotations', labels],
  ['pre_dnat', bool],
  ['apply_on_forward', bool],
  ['types', stringList],
  ['performance_hints', stringList],
  ['staged_action', str],
];

export const PROFILE_RULES_FIELDS: readonly Field[] = [
  ['inbound_rules', rules],
  ['outbound_rules', rules],
];

export const HOST_ENDPOINT_FIELDS: readonly Field[] = [
  ['name', (v) => (v === '' || v === '*' || (typeof v === 'string' && INTERFACE_NAME.test(v)) ? v : BAD)],
  ['expected_ipv4_addrs', everyOf(ip)],
  ['expected_ipv6_addrs', everyOf(ip)],
  ['labels', labels],
  ['profile_ids', safeNameList],
  ['ports', mapOf(endpointPort)],
  ['qosControls', unknownValue, 'optional'],
];

export const NETWORK_SET_FIELDS: readonly Field[] = [
  ['nets', cidrs],
  ['labels', labels],
  ['profile_ids', safeNameList],
];

/** The fast path per key type; types without one always take the zod schema. */
export const FAST_PATHS: Partial<Record<KeyType, Check>> = {
  workloadEndpoint: objectOf(WORKLOAD_ENDPOINT_FIELDS),
  policy: objectOf(POLICY_FIELDS),
  profileRules: objectOf(PROFILE_RULES_FIELDS),
  hostEndpoint: objectOf(HOST_ENDPOINT_FIELDS),
  networkSet: objectOf(NETWORK_SET_FIELDS),
};
