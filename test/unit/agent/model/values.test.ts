// Value decoding: valid shapes decode, malformed ones give ERR_MODEL_BAD_VALUE (libcalico-go/lib/backend/model, felix/calc/calc_graph.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeValue, parseKey, normalizeCidr, hostCidrOf, type Key } from '../../../../agent/model/index.js';

function dec(path: string, raw: string): ReturnType<typeof decodeValue> {
  const k = parseKey(path) as Key;
  assert.ok(k, path);
  return decodeValue(k, path, raw);
}

const WEP = '/calico/v1/host/node-1/workload/k8s/default%2fnginx/endpoint/eth0';

test('a Typha-shaped WorkloadEndpoint decodes', () => {
  const r = dec(
    WEP,
    '{"state":"active","name":"cali12ab34cd56e","active_instance_id":"","mac":"ee:ee:ee:ee:ee:ee","profile_ids":["kns.default","ksa.default.default"],"ipv4_nets":["10.244.1.5/32"],"ipv6_nets":null,"labels":{"app":"nginx"},"ports":[{"name":"http","protocol":"tcp","port":8080}],"unknownField":1}',
  );
  assert.ok(r.ok);
  const v = r.value as { name: string; ports: Array<{ protocol: string | number }> };
  assert.equal(v.name, 'cali12ab34cd56e');
  assert.equal(v.ports[0]?.protocol, 'tcp');
});

const bad: ReadonlyArray<[string, string, string]> = [
  ['WEP not JSON', WEP, '{"state":'],
  ['WEP empty name', WEP, '{"name":"","ipv4_nets":["10.0.0.1/32"]}'],
  ['WEP malformed CIDR', WEP, '{"name":"cali1","ipv4_nets":["10.0.0.300/32"]}'],
  ['WEP labels not strings', WEP, '{"name":"cali1","labels":{"a":1}}'],
  ['policy bad selector', '/calico/v1/policy/GlobalNetworkPolicy//p', '{"selector":"a == "}'],
  [
    'policy bad rule CIDR',
    '/calico/v1/policy/GlobalNetworkPolicy//p',
    '{"selector":"","inbound_rules":[{"src_nets":["1.2.3.4/33"]}]}',
  ],
  [
    'policy bad rule action',
    '/calico/v1/policy/GlobalNetworkPolicy//p',
    '{"inbound_rules":[{"action":"explode"}]}',
  ],
  [
    'policy bad port',
    '/calico/v1/policy/GlobalNetworkPolicy//p',
    '{"inbound_rules":[{"dst_ports":["90:80"]}]}',
  ],
  [
    'policy bad rule selector',
    '/calico/v1/policy/GlobalNetworkPolicy//p',
    '{"inbound_rules":[{"src_selector":"has("}]}',
  ],
  ['netset bad CIDR', '/calico/v1/netset/x', '{"nets":["nope"]}'],
  ['ready flag not a bool', '/calico/v1/Ready', 'yes'],
  ['HEP bad expected IP', '/calico/v1/host/h/endpoint/e', '{"expected_ipv4_addrs":["10.0.0.1/24"]}'],
  ['WEP interface name too long', WEP, '{"name":"cali0123456789abc","ipv4_nets":["10.0.0.1/32"]}'],
  ['WEP interface name with a space', WEP, '{"name":"cali 1","ipv4_nets":["10.0.0.1/32"]}'],
  ['WEP profile id with a newline', WEP, '{"name":"cali1","profile_ids":["kns.a\\n-A INPUT"]}'],
  ['WEP bad MAC', WEP, '{"name":"cali1","mac":"zz:ee:ee:ee:ee:ee"}'],
  ['HEP bad interface name', '/calico/v1/host/h/endpoint/e', '{"name":"eth0;rm"}'],
  ['policy tier with a space', '/calico/v1/policy/GlobalNetworkPolicy//p', '{"tier":"a b"}'],
  ['IPPool without CIDR', '/calico/v1/ipam/v4/pool/10.0.0.0-8', '{"masquerade":true}'],
];
for (const [name, path, raw] of bad) {
  test(`bad value rejected: ${name}`, () => {
    const r = dec(path, raw);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'ERR_MODEL_BAD_VALUE');
  });
}

test('policy rule ports, protocols and nets are normalised', () => {
  const r = dec(
    '/calico/v1/policy/NetworkPolicy/prod/p',
    '{"namespace":"prod","tier":"default","order":100,"selector":"app == \'web\'","types":["ingress"],"inbound_rules":[{"action":"Allow","protocol":"TCP","dst_ports":[80,"8000:9000","http","443"],"src_nets":["10.1.2.3/8","fd00::1"]},{"protocol":"6"}]}',
  );
  assert.ok(r.ok);
  const p = r.value as { inbound_rules: Array<Record<string, unknown>> };
  const r0 = p.inbound_rules[0] as Record<string, unknown>;
  assert.equal(r0.action, 'allow');
  assert.equal(r0.protocol, 'tcp');
  assert.deepEqual(r0.dst_ports, [
    { kind: 'range', first: 80, last: 80 },
    { kind: 'range', first: 8000, last: 9000 },
    { kind: 'named', name: 'http' },
    { kind: 'range', first: 443, last: 443 },
  ]);
  assert.deepEqual(r0.src_nets, ['10.0.0.0/8', 'fd00::1/128']);
  assert.equal(p.inbound_rules[1]?.protocol, 6);
});

test('host endpoint names may be "*" or empty', () => {
  assert.equal(dec('/calico/v1/host/h/endpoint/e', '{"name":"*"}').ok, true);
  assert.equal(dec('/calico/v1/host/h/endpoint/e', '{"name":""}').ok, true);
  assert.equal(dec('/calico/v1/host/h/endpoint/e', '{"name":"eth0.100"}').ok, true);
});

test('raw config and ready values are not JSON', () => {
  const c = dec('/calico/v1/config/LogSeverityScreen', 'Info');
  assert.deepEqual(c, { ok: true, value: 'Info' });
  assert.deepEqual(dec('/calico/v1/Ready', 'true'), { ok: true, value: true });
  assert.deepEqual(dec('/calico/v1/Ready', 'false'), { ok: true, value: false });
});

test('v3 Profile resource exposes labelsToApply', () => {
  const r = dec(
    '/calico/resources/v3/projectcalico.org/profiles/kns.prod',
    '{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"kns.prod"},"spec":{"labelsToApply":{"pcns.team":"a"},"ingress":[]}}',
  );
  assert.ok(r.ok);
  assert.deepEqual((r.value as { spec: { labelsToApply: Record<string, string> } }).spec.labelsToApply, {
    'pcns.team': 'a',
  });
});

const cidrs: ReadonlyArray<[string, string | null, string | null]> = [
  ['10.65.0.2', '10.65.0.2/32', '10.65.0.2/32'],
  ['10.65.0.2/24', '10.65.0.0/24', '10.65.0.2/32'],
  ['0.0.0.0/0', '0.0.0.0/0', '0.0.0.0/32'],
  ['fd00:0:0::2/64', 'fd00::/64', 'fd00::2/128'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128', '2001:db8::1:0:0:1/128'],
  ['::/0', '::/0', '::/128'],
  ['10.0.0.1/33', null, null],
  ['010.0.0.1', null, null],
  ['10.0.0.010/32', null, null],
  ['::ffff:010.0.0.1', null, null],
  ['::ffff:10.0.0.1', '10.0.0.1/32', '10.0.0.1/32'],
  ['::ffff:10.0.0.1/120', '10.0.0.0/24', '10.0.0.1/32'],
  ['::10.0.0.1', '::a00:1/128', '::a00:1/128'],
  ['10.0.0.256/32', null, null],
  ['10.0.0/8', null, null],
  ['10.0.0.1/', null, null],
  ['abc', null, null],
];
for (const [input, net, host] of cidrs) {
  test(`CIDR ${input}`, () => {
    assert.equal(normalizeCidr(input), net);
    assert.equal(hostCidrOf(input), host);
  });
}

test('a valid IPPool decodes with all its fields', () => {
  const r = dec(
    '/calico/v1/ipam/v4/pool/10.65.0.0-16',
    '{"cidr":"10.65.0.0/16","ipip":"tunl0","ipip_mode":"cross-subnet","vxlan_mode":"","masquerade":true,"ipam":true,"disabled":false,"disableBGPExport":true,"assignment_mode":"Automatic","allowed_uses":["Workload","Tunnel"]}',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    cidr: '10.65.0.0/16',
    ipip: 'tunl0',
    ipip_mode: 'cross-subnet',
    vxlan_mode: '',
    masquerade: true,
    ipam: true,
    disabled: false,
    disableBGPExport: true,
    assignment_mode: 'Automatic',
    allowed_uses: ['Workload', 'Tunnel'],
  });
});

test('a valid IPv6 IPPool with only a CIDR decodes', () => {
  const r = dec('/calico/v1/ipam/v6/pool/fd00:10::-64', '{"cidr":"fd00:10::/64"}');
  assert.ok(r.ok);
  assert.equal((r.value as { cidr: string }).cidr, 'fd00:10::/64');
});

test('a valid Wireguard value decodes with all its fields', () => {
  const r = dec(
    '/calico/v1/host/node-1/wireguard',
    '{"interfaceIPv4Addr":"10.65.0.1","publicKey":"jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=","interfaceIPv6Addr":"fd00::1","publicKeyV6":"6VgxV2ZMkw8Y3k1ZiKx3JpGdbW8zTEvnEqGMyKxcHXA="}',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    interfaceIPv4Addr: '10.65.0.1',
    publicKey: 'jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=',
    interfaceIPv6Addr: 'fd00::1',
    publicKeyV6: '6VgxV2ZMkw8Y3k1ZiKx3JpGdbW8zTEvnEqGMyKxcHXA=',
  });
});

test('a Wireguard value with every field omitted decodes (all omitempty)', () => {
  const r = dec('/calico/v1/host/node-1/wireguard', '{}');
  assert.ok(r.ok);
  assert.deepEqual(r.value, {});
});

test('rule nets: a mapped address is an IPv4 net, a leading-zero address is refused', () => {
  const path = '/calico/v1/policy/GlobalNetworkPolicy//p';
  const ok = dec(
    path,
    '{"selector":"","inbound_rules":[{"src_nets":["::ffff:10.0.0.1"],"dst_net":"::ffff:10.1.0.0/112"}]}',
  );
  assert.ok(ok.ok);
  const r0 = (ok.value as { inbound_rules: Array<Record<string, unknown>> }).inbound_rules[0];
  assert.deepEqual(r0?.src_nets, ['10.0.0.1/32']);
  assert.equal(r0?.dst_net, '10.1.0.0/16');
  const bad = dec(path, '{"selector":"","inbound_rules":[{"src_nets":["010.0.0.1/32"]}]}');
  assert.equal(bad.ok, false);
  if (!bad.ok)
    assert.match(bad.error.message, /inbound_rules\.0\.src_nets\.0: malformed CIDR "010\.0\.0\.1\/32"/);
});

test('endpoint addresses: a mapped IPv4 gateway is IPv4; leading zeros are refused', () => {
  assert.ok(
    dec(WEP, '{"name":"cali1","ipv4_nets":["::ffff:10.0.0.5/128"],"ipv4_gateway":"::ffff:10.0.0.1"}').ok,
  );
  const r = dec(WEP, '{"name":"cali1","ipv6_gateway":"::ffff:10.0.0.1"}');
  assert.equal(r.ok, false);
  assert.equal(dec(WEP, '{"name":"cali1","ipv4_nets":["10.0.0.05/32"]}').ok, false);
  assert.equal(dec('/calico/v1/host/h/endpoint/e', '{"expected_ipv4_addrs":["010.0.0.1"]}').ok, false);
});
