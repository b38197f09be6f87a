// The decode fast paths (agent/model/fast-decode.ts) against zod: for the fixture values and many fuzzed
// variations of them, a value the fast path accepts is one zod accepts, with a deep-equal result in the
// same key order; decodeValue's result (value or exact error) is the zod path's in every case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { decodeValue, parseKey, parseCidr, type Key, type KeyType } from '../../../../agent/model/index.js';
import {
  BAD,
  FAST_PATHS,
  HOST_ENDPOINT_FIELDS,
  NETWORK_SET_FIELDS,
  POLICY_FIELDS,
  PROFILE_RULES_FIELDS,
  RULE_FIELDS,
  WORKLOAD_ENDPOINT_FIELDS,
  isPlainIPv4Cidr,
} from '../../../../agent/model/fast-decode.js';
import {
  hostEndpointSchema,
  networkSetSchema,
  policySchema,
  profileRulesSchema,
  ruleSchema,
  workloadEndpointSchema,
} from '../../../../agent/model/values.js';
import { valueProblems } from '../../../../agent/model/validate.js';
import { generateSnapshot } from '../../../../bench/calc-fixture.js';
import { workloadEndpointKV } from '../../../../bench/workload-fixture.js';
import { mulberry32 } from '../../../fuzz/prng.js';

const SCHEMAS: Partial<Record<KeyType, z.ZodType>> = {
  workloadEndpoint: workloadEndpointSchema,
  policy: policySchema,
  profileRules: profileRulesSchema,
  hostEndpoint: hostEndpointSchema,
  networkSet: networkSetSchema,
};

const PATHS: Partial<Record<KeyType, string>> = {
  workloadEndpoint: '/calico/v1/host/node-1/workload/k8s/default%2fnginx/endpoint/eth0',
  policy: '/calico/v1/policy/GlobalNetworkPolicy//p',
  profileRules: '/calico/v1/policy/profile/kns.default/rules',
  hostEndpoint: '/calico/v1/host/node-1/endpoint/eth0',
  networkSet: '/calico/v1/netset/ns1',
};

/** The decode before the fast paths: zod, then the cross-field checks (the message decodeValue gives). */
function reference(key: Key, input: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const schema = SCHEMAS[key.type] as z.ZodType;
  const r = schema.safeParse(input);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    return { ok: false, message: `${where}${first?.message ?? 'schema mismatch'}` };
  }
  const problems = valueProblems(key, r.data);
  if (problems.length > 0)
    return { ok: false, message: problems.map((p) => `${p.path}: ${p.message}`).join('; ') };
  return { ok: true, value: r.data };
}

/** Key order, recursively (deepStrictEqual ignores it). */
function keyOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keyOrder);
  if (typeof v === 'object' && v !== null) return Object.entries(v).map(([k, x]) => [k, keyOrder(x)]);
  return v;
}

interface Tally {
  fast: number;
  zodOnly: number;
  refused: number;
}

/** Checks one JSON text of a value of `type`; returns which path it took. */
function check(type: KeyType, text: string, tally: Tally): void {
  const path = PATHS[type] as string;
  const key = parseKey(path) as Key;
  const fast = (FAST_PATHS[type] as (v: unknown) => unknown)(JSON.parse(text));
  const zod = (SCHEMAS[type] as z.ZodType).safeParse(JSON.parse(text));
  if (fast !== BAD) {
    assert.ok(zod.success, `fast path accepted what zod refuses: ${text}`);
    assert.deepStrictEqual(fast, zod.data, text);
    assert.deepStrictEqual(keyOrder(fast), keyOrder(zod.data), text);
    tally.fast++;
  } else if (zod.success) tally.zodOnly++;
  else tally.refused++;
  const want = reference(key, JSON.parse(text));
  const got = decodeValue(key, path, text);
  if (want.ok) {
    assert.ok(got.ok, `${text}: ${got.ok ? '' : got.error.message}`);
    assert.deepStrictEqual(got.value, want.value, text);
    assert.deepStrictEqual(keyOrder(got.value), keyOrder(want.value), text);
  } else {
    assert.ok(!got.ok, text);
    assert.equal(got.error.message, `invalid value for ${path}: ${want.message}`);
  }
}

const ODD_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  1.5,
  4,
  6,
  58,
  254,
  255,
  256,
  65535,
  65536,
  2 ** 53,
  1e300,
  '',
  ' ',
  '*',
  'a b',
  'x\ty',
  'eth0',
  'cali0123456789a',
  'cali0123456789ab',
  'TCP',
  'tcp',
  'UDP',
  'sctp',
  'icmp',
  'icmpv6',
  'ICMPv6',
  '6',
  '0',
  '256',
  'Allow',
  'deny',
  'next-tier',
  'explode',
  '80',
  '0:10',
  '10:1',
  '1:65536',
  'http',
  'HTTP',
  'a--b',
  '-ab',
  '10.0.0.1',
  '10.0.0.1/32',
  '10.0.0.1/24',
  '10.0.0.01/32',
  '10.0.0.1/33',
  '10.0.0.1/032',
  '::1',
  'fd00::1/64',
  '::ffff:10.0.0.1',
  'ee:ee:ee:ee:ee:ee',
  'EE-EE-EE-EE-EE-EE',
  'ee:ee:ee',
  'all()',
  "app == 'x'",
  'app == ',
  'has(a) && !has(b)',
  [],
  [null],
  ['a'],
  ['a b'],
  [1],
  ['10.0.0.1/32', 'fd00::/64'],
  ['10.0.0.300/32'],
  [80, '443', '1000:2000', 'http'],
  [0],
  {},
  { a: 'b' },
  { a: 1 },
  { int_ip: '10.0.0.1', ext_ip: '1.2.3.4' },
  { name: 'http', protocol: 'TCP', port: 80 },
  { name: 'x', protocol: 6, port: 80 },
  { ingressPacketRate: 10, egressMaxConnections: 5 },
  { ingressPacketRate: 1.5 },
  { annotations: { a: 'b' } },
];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** One random change somewhere in the value (a field removed, nulled, replaced, or an unknown one added). */
function mutate(r: () => number, v: unknown, fieldNames: readonly string[], depth = 0): unknown {
  if (Array.isArray(v)) {
    if (v.length === 0 || r() < 0.2) return [...v, pick(r, ODD_VALUES)];
    const i = Math.floor(r() * v.length);
    const copy = [...v];
    copy[i] = depth < 3 && r() < 0.6 ? mutate(r, v[i], fieldNames, depth + 1) : pick(r, ODD_VALUES);
    return copy;
  }
  if (typeof v !== 'object' || v === null) return pick(r, ODD_VALUES);
  const o = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  const roll = r();
  if (roll < 0.15 && keys.length > 0) delete o[pick(r, keys)];
  else if (roll < 0.3) o[pick(r, fieldNames)] = pick(r, ODD_VALUES);
  else if (roll < 0.38) o[pick(r, ['unknown', 'http', 'qosControls', 'metadata'])] = pick(r, ODD_VALUES);
  else if (roll < 0.45 && keys.length > 0) o[pick(r, keys)] = null;
  else if (keys.length > 0) {
    const k = pick(r, keys);
    o[k] = depth < 3 ? mutate(r, o[k], fieldNames, depth + 1) : pick(r, ODD_VALUES);
  }
  return o;
}

const RULE = {
  action: 'Allow',
  ip_version: 4,
  protocol: 'TCP',
  '!protocol': 17,
  src_net: '10.0.0.1/8',
  '!dst_nets': ['192.168.1.7/24', 'fd00::1/64'],
  src_selector: "app == 'x'",
  '!dst_selector': 'has(a)',
  src_ports: [80, '443', '1000:2000'],
  '!dst_ports': ['http'],
  src_service: 'svc',
  orig_src_service_acct_names: ['sa'],
  http: { methods: ['GET'] },
  metadata: { annotations: { a: 'b' } },
};
const ICMP_RULE = { action: 'deny', protocol: 'icmp', icmp_type: 8, icmp_code: 0, '!icmp_type': 3 };

function baseValues(): Array<[KeyType, unknown]> {
  const out: Array<[KeyType, unknown]> = [];
  const snap = generateSnapshot({
    weps: 300,
    localWeps: 10,
    policies: 60,
    netsets: 10,
    namespaces: 5,
    hosts: 5,
  });
  for (const u of snap) {
    const k = parseKey(u.key);
    if (k && SCHEMAS[k.type] && u.value !== null) out.push([k.type, JSON.parse(u.value)]);
  }
  for (let i = 0; i < 20; i++) out.push(['workloadEndpoint', JSON.parse(workloadEndpointKV(i).value)]);
  out.push(
    [
      'workloadEndpoint',
      {
        state: 'active',
        name: 'cali1',
        mac: '',
        ipv6_nets: ['fd00::5/128'],
        ipv4_nat: [{ int_ip: '10.0.0.1', ext_ip: '1.2.3.4' }],
        ipv4_gateway: '10.0.0.254',
        allow_spoofed_source_ips: ['1.2.3.4/32'],
        annotations: { a: 'b' },
        qosControls: { ingressPacketRate: 100, egressMaxConnections: 10 },
      },
    ],
    [
      'policy',
      {
        namespace: 'ns',
        tier: 'security',
        order: 10.5,
        inbound_rules: [RULE, ICMP_RULE],
        outbound_rules: [{}],
      },
    ],
    [
      'policy',
      {
        selector: '',
        types: ['ingress', 'egress'],
        untracked: false,
        pre_dnat: false,
        apply_on_forward: true,
      },
    ],
    [
      'policy',
      {
        tier: '',
        annotations: { x: 'y' },
        performance_hints: ['AssumeNeededOnEveryNode'],
        staged_action: 'Set',
      },
    ],
    ['profileRules', { inbound_rules: [RULE], outbound_rules: null }],
    [
      'hostEndpoint',
      { name: 'eth0', expected_ipv4_addrs: ['10.0.0.1'], labels: { a: 'b' }, profile_ids: ['p'] },
    ],
    [
      'hostEndpoint',
      { name: '*', expected_ipv6_addrs: ['fd00::1'], ports: [{ name: 'h', protocol: 'udp', port: 53 }] },
    ],
    ['hostEndpoint', { name: '', qosControls: { anything: 1 } }],
    ['networkSet', { nets: ['10.1.2.3/16', 'fd00::1/64', '1.2.3.4'], labels: {}, profile_ids: [] }],
  );
  return out;
}

const FIELD_NAMES: Partial<Record<KeyType, readonly string[]>> = {
  workloadEndpoint: WORKLOAD_ENDPOINT_FIELDS.map((f) => f[0]),
  policy: [...POLICY_FIELDS.map((f) => f[0]), ...RULE_FIELDS.map((f) => f[0])],
  profileRules: [...PROFILE_RULES_FIELDS.map((f) => f[0]), ...RULE_FIELDS.map((f) => f[0])],
  hostEndpoint: HOST_ENDPOINT_FIELDS.map((f) => f[0]),
  networkSet: NETWORK_SET_FIELDS.map((f) => f[0]),
};

test('each fast path lists its schema fields in the schema order', () => {
  const pairs: Array<[readonly (readonly [string, ...unknown[]])[], z.ZodObject]> = [
    [WORKLOAD_ENDPOINT_FIELDS, workloadEndpointSchema],
    [POLICY_FIELDS, policySchema],
    [PROFILE_RULES_FIELDS, profileRulesSchema],
    [HOST_ENDPOINT_FIELDS, hostEndpointSchema],
    [NETWORK_SET_FIELDS, networkSetSchema],
    [RULE_FIELDS, ruleSchema],
  ];
  for (const [fields, schema] of pairs)
    assert.deepEqual(
      fields.map((f) => f[0]),
      Object.keys(schema.shape),
    );
});

test('fixture values take the fast path and decode exactly as with zod', () => {
  const tally: Tally = { fast: 0, zodOnly: 0, refused: 0 };
  for (const [type, v] of baseValues()) check(type, JSON.stringify(v), tally);
  // Every fixture value is of the common shape: none may need zod.
  assert.equal(tally.zodOnly, 0);
  assert.equal(tally.refused, 0);
  assert.ok(tally.fast > 400, String(tally.fast));
});

test('fuzzed variations: fast path results equal zod results, refused values get zod errors', () => {
  const r = mulberry32(20261203);
  const bases = baseValues();
  const tally: Tally = { fast: 0, zodOnly: 0, refused: 0 };
  for (let n = 0; n < 30_000; n++) {
    const [type, base] = pick(r, bases);
    let v = base;
    const steps = 1 + Math.floor(r() * 3);
    for (let s = 0; s < steps; s++) v = mutate(r, v, FIELD_NAMES[type] as readonly string[]);
    check(type, JSON.stringify(v), tally);
  }
  // The fuzzing must reach both outcomes to mean anything (the fast paths refuse almost nothing zod accepts).
  assert.ok(tally.fast > 3000 && tally.refused > 3000, JSON.stringify(tally));
});

test('JSON-only oddities: an own __proto__ label is dropped, duplicate keys keep the last', () => {
  const tally: Tally = { fast: 0, zodOnly: 0, refused: 0 };
  check('workloadEndpoint', '{"name":"cali1","labels":{"__proto__":"x","a":"b"}}', tally);
  check('workloadEndpoint', '{"name":"cali1","labels":{"__proto__":{"a":"b"}}}', tally);
  check('workloadEndpoint', '{"name":"cali1","__proto__":{"name":"x"}}', tally);
  check('workloadEndpoint', '{"name":"cali1","name":"cali2","labels":{"2":"x","1":"y","a":"z"}}', tally);
  check('policy', '{"inbound_rules":[{"__proto__":{"action":"allow"},"protocol":"udp"}]}', tally);

  // zod skips an own __proto__ label before checking its value; the fast path leaves that to zod.
  check('workloadEndpoint', '{"name":"cali1","labels":{"__proto__":5,"a":"b"}}', tally);
  assert.deepEqual(tally, { fast: 4, zodOnly: 2, refused: 0 });
});

test('isPlainIPv4Cidr accepts only what parseCidr accepts', () => {
  const r = mulberry32(7);
  const alphabet = '0123456789./:';
  let accepted = 0;
  for (let n = 0; n < 200_000; n++) {
    let s = '';
    if (r() < 0.5) {
      // Near-valid: four numbers and a prefix, some with leading zeros or out of range.
      const part = (): string => String(Math.floor(r() * 300)).padStart(r() < 0.1 ? 2 : 1, '0');
      s = `${part()}.${part()}.${part()}.${part()}${r() < 0.7 ? `/${Math.floor(r() * 40)}` : ''}`;
    } else {
      const len = Math.floor(r() * 20);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
    }
    if (isPlainIPv4Cidr(s)) {
      accepted++;
      assert.ok(parseCidr(s) !== undefined, s);
    }
  }
  assert.ok(accepted > 10_000, String(accepted));
  for (const s of ['10.0.0.1', '10.0.0.1/32', '0.0.0.0/0', '255.255.255.255/32'])
    assert.ok(isPlainIPv4Cidr(s), s);
  for (const s of [
    '10.0.0.01',
    '10.0.0.1/33',
    '256.0.0.1',
    '10.0.0',
    '10.0.0.1/',
    '10.0.0.1/1000',
    ' 10.0.0.1',
  ])
    assert.ok(!isPlainIPv4Cidr(s), s);
});
