// Felix's validation of rules and endpoints (typha/pkg/validator/v1/validator.go, the v3 CEL rule
// checks): every rule here renders to restore input the kernel refuses, so the whole value must be
// refused with an error naming the key and the field; the valid edge cases must still decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeValue, parseKey, type Key } from '../../../../agent/model/index.js';

const GNP = '/calico/v1/policy/GlobalNetworkPolicy//default.bad';
const PROFILE = '/calico/v1/policy/profile/kns.prod/rules';
const WEP = '/calico/v1/host/node-1/workload/k8s/default%2fnginx/endpoint/eth0';
const HEP = '/calico/v1/host/node-1/endpoint/eth0';

function dec(path: string, value: unknown): ReturnType<typeof decodeValue> {
  const k = parseKey(path) as Key;
  assert.ok(k, path);
  return decodeValue(k, path, JSON.stringify(value));
}

const policy = (rule: Record<string, unknown>): Record<string, unknown> => ({
  tier: 'default',
  selector: 'all()',
  inbound_rules: [{ action: 'allow' }, rule],
});

/** [name, rule, field path the error must name, text the error must contain] */
const refused: ReadonlyArray<[string, Record<string, unknown>, string, string]> = [
  [
    'dst_ports without protocol (issue example)',
    { action: 'allow', dst_ports: [80] },
    'inbound_rules.1.dst_ports',
    'numeric port or port range must set protocol',
  ],
  [
    'src_ports without protocol',
    { src_ports: ['1000:2000'] },
    'inbound_rules.1.src_ports',
    'numeric port or port range',
  ],
  [
    '!dst_ports without protocol',
    { '!dst_ports': [22] },
    'inbound_rules.1.!dst_ports',
    'numeric port or port range',
  ],
  [
    '!src_ports without protocol',
    { '!src_ports': [22] },
    'inbound_rules.1.!src_ports',
    'numeric port or port range',
  ],
  [
    'numeric and named ports without protocol',
    { dst_ports: ['http', 80] },
    'inbound_rules.1.dst_ports',
    'numeric port',
  ],
  [
    'ports with only !protocol',
    { '!protocol': 'udp', dst_ports: [80] },
    'inbound_rules.1.dst_ports',
    'numeric port',
  ],
  [
    'ports with protocol 99',
    { protocol: 99, dst_ports: [80] },
    'inbound_rules.1.dst_ports',
    'rules that specify ports must set protocol',
  ],
  [
    'ports with protocol "99"',
    { protocol: '99', src_ports: [80] },
    'inbound_rules.1.src_ports',
    'rules that specify ports must set protocol',
  ],
  [
    'ports with protocol icmp',
    { protocol: 'icmp', dst_ports: [80] },
    'inbound_rules.1.dst_ports',
    'rules that specify ports',
  ],
  [
    'named port with protocol icmp',
    { protocol: 'icmp', dst_ports: ['http'] },
    'inbound_rules.1.dst_ports',
    'rules that specify ports',
  ],
  [
    'protocol esp (with ports)',
    { protocol: 'esp', dst_ports: [80] },
    'inbound_rules.1.protocol',
    'protocol name invalid',
  ],
  ['protocol esp', { protocol: 'esp' }, 'inbound_rules.1.protocol', 'protocol name invalid'],
  ['protocol foo', { protocol: 'foo' }, 'inbound_rules.1.protocol', 'protocol name invalid'],
  ['!protocol bogus', { '!protocol': 'bogus' }, 'inbound_rules.1.!protocol', 'protocol name invalid'],
  ['protocol 0', { protocol: 0 }, 'inbound_rules.1.protocol', 'protocol number invalid'],
  ['protocol 256', { protocol: 256 }, 'inbound_rules.1.protocol', 'protocol number invalid'],
  [
    'icmp_type on tcp',
    { protocol: 'tcp', icmp_type: 8 },
    'inbound_rules.1.icmp_type',
    'ICMP fields require protocol',
  ],
  [
    'icmp_type on udp',
    { protocol: 'udp', icmp_type: 8, icmp_code: 0 },
    'inbound_rules.1.icmp_type',
    'ICMP fields require protocol',
  ],
  [
    'icmp_type with no protocol',
    { icmp_type: 8 },
    'inbound_rules.1.icmp_type',
    'ICMP fields require protocol',
  ],
  [
    '!icmp_type on tcp',
    { protocol: 'tcp', '!icmp_type': 8 },
    'inbound_rules.1.!icmp_type',
    'ICMP fields require protocol',
  ],
  [
    'icmp_code without icmp_type',
    { protocol: 'icmp', icmp_code: 1 },
    'inbound_rules.1.icmp_code',
    'ICMP code specified without an ICMP type',
  ],
  [
    '!icmp_code without !icmp_type',
    { protocol: 'icmp', '!icmp_code': 1 },
    'inbound_rules.1.!icmp_code',
    'without an ICMP type',
  ],
  ['icmp_type 255', { protocol: 'icmp', icmp_type: 255 }, 'inbound_rules.1.icmp_type', ''],
  ['icmp_code 256', { protocol: 'icmp', icmp_type: 3, icmp_code: 256 }, 'inbound_rules.1.icmp_code', ''],
  ['icmp_type -1', { protocol: 'icmp', icmp_type: -1 }, 'inbound_rules.1.icmp_type', ''],
  [
    'icmpv6 with ip_version 4',
    { protocol: 'icmpv6', ip_version: 4 },
    'inbound_rules.1.protocol',
    'protocol ICMPv6 requires ipVersion 6',
  ],
  [
    'protocol 58 with ip_version 4',
    { protocol: 58, ip_version: 4, icmp_type: 128 },
    'inbound_rules.1.protocol',
    'ICMPv6 requires ipVersion 6',
  ],
  [
    'icmp with ip_version 6',
    { protocol: 'icmp', ip_version: 6, icmp_type: 8 },
    'inbound_rules.1.protocol',
    'protocol ICMP requires ipVersion 4',
  ],
  [
    '!protocol icmp with ip_version 6',
    { '!protocol': 'icmp', ip_version: 6 },
    'inbound_rules.1.!protocol',
    'protocol ICMP requires ipVersion 4',
  ],
  ['ip_version 5', { ip_version: 5 }, 'inbound_rules.1.ip_version', ''],
  [
    'port 0',
    { protocol: 'tcp', dst_ports: [0] },
    'inbound_rules.1.dst_ports.0',
    'port number must be between',
  ],
  [
    'port range from 0',
    { protocol: 'tcp', dst_ports: ['0:80'] },
    'inbound_rules.1.dst_ports.0',
    'port range invalid',
  ],
  ['port 65536', { protocol: 'tcp', dst_ports: [65536] }, 'inbound_rules.1.dst_ports.0', ''],
  [
    'reversed port range',
    { protocol: 'tcp', dst_ports: ['90:80'] },
    'inbound_rules.1.dst_ports.0',
    'port range invalid',
  ],
  [
    'named port not IANA_SVC_NAME',
    { protocol: 'tcp', dst_ports: ['Http'] },
    'inbound_rules.1.dst_ports.0',
    'invalid port name',
  ],
  [
    'named port too long',
    { protocol: 'tcp', dst_ports: ['a234567890123456'] },
    'inbound_rules.1.dst_ports.0',
    'invalid port name',
  ],
  [
    'named port with --',
    { protocol: 'tcp', dst_ports: ['a--b'] },
    'inbound_rules.1.dst_ports.0',
    'invalid port name',
  ],
  [
    'named port all digits and dash',
    { protocol: 'tcp', dst_ports: ['80-90'] },
    'inbound_rules.1.dst_ports.0',
    'invalid port name',
  ],
  [
    'named port with a space',
    { protocol: 'tcp', dst_ports: ['a b'] },
    'inbound_rules.1.dst_ports.0',
    'invalid name for named port',
  ],
  ['unknown action', { action: 'reject' }, 'inbound_rules.1.action', ''],
  ['bad v4 CIDR', { src_nets: ['10.0.0.0/33'] }, 'inbound_rules.1.src_nets.0', 'malformed CIDR'],
  ['bad v6 CIDR', { '!dst_net': 'fd00::/129' }, 'inbound_rules.1.!dst_net', 'malformed CIDR'],
  ['leading-zero IPv4', { dst_nets: ['010.0.0.1/32'] }, 'inbound_rules.1.dst_nets.0', 'malformed CIDR'],
  ['bad selector', { src_selector: 'a ==' }, 'inbound_rules.1.src_selector', 'selector does not parse'],
];

for (const [name, rule, field, text] of refused) {
  test(`refused: ${name}`, () => {
    const r = dec(GNP, policy(rule));
    assert.equal(r.ok, false, 'must be refused');
    if (r.ok) return;
    assert.equal(r.error.code, 'ERR_MODEL_BAD_VALUE');
    assert.ok(r.error.message.startsWith(`invalid value for ${GNP}: `), r.error.message);
    assert.ok(r.error.message.includes(`${field}: `), `names ${field}: ${r.error.message}`);
    assert.ok(r.error.message.includes(text), `says ${text}: ${r.error.message}`);
  });
}

test('profile rules and outbound rules are checked the same way', () => {
  const r = dec(PROFILE, { inbound_rules: [], outbound_rules: [{ action: 'allow', dst_ports: [53] }] });
  assert.equal(r.ok, false);
  if (!r.ok)
    assert.match(r.error.message, /kns\.prod\/rules: outbound_rules\.0\.dst_ports: rules with numeric port/);
});

test('every problem in a value is named', () => {
  const r = dec(GNP, policy({ dst_ports: [80], protocol: undefined, icmp_type: 3 }));
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.match(r.error.message, /inbound_rules\.1\.dst_ports: .*; inbound_rules\.1\.icmp_type: /);
});

/** Valid edge cases: Felix accepts these, and so does the kernel. */
const accepted: ReadonlyArray<[string, Record<string, unknown>]> = [
  [
    'named ports without protocol (IP set match)',
    { dst_ports: ['http', 'dns-tcp'], '!src_ports': ['metrics'] },
  ],
  ['numeric ports with tcp', { protocol: 'tcp', dst_ports: [1, 65535, '8000:9000', 'http'] }],
  ['ports with udp, sctp and their numbers', { protocol: 17, src_ports: ['53'] }],
  ['sctp name with ports', { protocol: 'sctp', dst_ports: [9000] }],
  ['protocol 132 as a string with ports', { protocol: '132', dst_ports: [9000] }],
  ['protocol number without ports', { protocol: 99 }],
  ['protocol 255', { protocol: 255 }],
  ['protocol udplite', { protocol: 'udplite' }],
  ['protocol in upper case (lower-cased)', { protocol: 'TCP', dst_ports: [80] }],
  ['!protocol without ports', { '!protocol': 'tcp' }],
  ['ports with protocol and !protocol', { protocol: 'tcp', '!protocol': 'udp', dst_ports: [80] }],
  ['icmp with a type only', { protocol: 'icmp', icmp_type: 8 }],
  ['icmp with type 0 and code 0', { protocol: 'icmp', icmp_type: 0, icmp_code: 0 }],
  ['icmp type 254 code 255', { protocol: 1, icmp_type: 254, icmp_code: 255 }],
  ['icmp with ip_version 4', { protocol: 'icmp', ip_version: 4, '!icmp_type': 3, '!icmp_code': 1 }],
  ['icmpv6 with ip_version 6', { protocol: 'icmpv6', ip_version: 6, icmp_type: 128 }],
  ['icmpv6 with no ip_version', { protocol: 58, icmp_type: 135 }],
  ['protocol icmp with no icmp fields', { protocol: 'icmp' }],
  ['actions', { action: 'next-tier' }],
  ['pass and log actions', { action: 'Pass' }],
  ['empty action', { action: '' }],
  ['both families of CIDR (Felix renders each per table)', { src_nets: ['10.0.0.0/8', 'fd00::/8'] }],
];

for (const [name, rule] of accepted) {
  test(`accepted: ${name}`, () => {
    const r = dec(GNP, policy(rule));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  });
}

test('endpoint ports: only tcp, udp or sctp (validateBackendEndpointPort)', () => {
  const wep = (protocol: unknown): ReturnType<typeof decodeValue> =>
    dec(WEP, { name: 'cali1', ports: [{ name: 'p', protocol, port: 80 }] });
  for (const p of ['tcp', 'udp', 'sctp', 'UDP']) assert.ok(wep(p).ok, String(p));
  for (const p of ['icmp', 6, 'foo']) {
    const r = wep(p);
    assert.equal(r.ok, false, String(p));
    if (!r.ok) assert.match(r.error.message, /ports\.0\.protocol: /);
  }
});

test('workload gateways must be of their family', () => {
  assert.ok(dec(WEP, { name: 'cali1', ipv4_gateway: '10.0.0.1', ipv6_gateway: 'fd00::1' }).ok);
  const r = dec(WEP, { name: 'cali1', ipv4_gateway: 'fd00::1' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error.message, /ipv4_gateway: not an IPv4 address/);
  const r6 = dec(WEP, { name: 'cali1', ipv6_gateway: '10.0.0.1' });
  assert.equal(r6.ok, false);
  if (!r6.ok) assert.match(r6.error.message, /ipv6_gateway: not an IPv6 address/);
});

test('host endpoint expected addresses must be of their family', () => {
  assert.ok(
    dec(HEP, { name: 'eth0', expected_ipv4_addrs: ['10.0.0.1'], expected_ipv6_addrs: ['fd00::1'] }).ok,
  );
  const r = dec(HEP, { name: 'eth0', expected_ipv4_addrs: ['10.0.0.1', 'fd00::2'] });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error.message, /expected_ipv4_addrs\.1: not an IPv4 address/);
  const r6 = dec(HEP, { name: 'eth0', expected_ipv6_addrs: ['10.0.0.1'] });
  assert.equal(r6.ok, false);
  if (!r6.ok) assert.match(r6.error.message, /expected_ipv6_addrs\.0: not an IPv6 address/);
});
