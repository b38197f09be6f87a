// Service-based rules through the calculation graph: policies with `services` in source or
// destination, EndpointSlices from the syncer, the svc:/svcnoport: IP sets. The set IDs and members
// are Felix's own vectors (felix/calc/states_for_test.go "EndpointSliceActive…" states, with the
// resources of felix/calc/resources_for_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv } from './fake-dataplane.js';
import { DEFAULT_TIERS, gnp, np, nsProfile, wep } from './fixtures.js';
import { setup, step } from './scenario.js';

const SVC_SET = 'svc:Jhwii46PCMT5NlhWsUqZmv7al8TeHFbNQMhoVg';
const SVC_NOPORT_SET = 'svcnoport:T03S_6hogdrGKrNFBcbKTFsH_uKwDHEo8JddOg';
const SLICES = '/calico/resources/v3/projectcalico.org/kubernetesendpointslices';

function slice(name: string, svc: string, addrs: readonly string[], ns = 'default', extra: object = {}) {
  return kv(`${SLICES}/${ns}/${name}`, {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    ...extra,
  });
}

/** Felix's servicePolicy: egress allow to Service default/svc. */
const egressToSvc = (name = 'svc-policy', svcNs = 'default', svc = 'svc') =>
  gnp(name, {
    tier: 'default',
    selector: 'all()',
    types: ['egress'],
    outbound_rules: [{ action: 'allow', dst_service: svc, dst_service_ns: svcNs }],
  });

/** Felix's servicePolicyNoPorts: ingress allow from Service default/svc, TCP source port 80. */
const ingressFromSvc = gnp('svc-policy', {
  tier: 'default',
  selector: 'all()',
  types: ['ingress'],
  inbound_rules: [
    { action: 'allow', protocol: 'tcp', src_ports: [80], src_service: 'svc', src_service_ns: 'default' },
  ],
});

const POD = 'default/client/eth0';
const base = () => [
  ...DEFAULT_TIERS,
  ...nsProfile('default'),
  wep({ ns: 'default', pod: 'client', ip: '10.0.0.1' }),
];

test('Felix EndpointSliceInactive → Active → NewIPs → NewIPs2 → Overlap → slice 2 only', () => {
  const { g, dp } = setup([...base(), slice('eps', 'svc', ['10.0.0.1'])]);
  assert.equal(dp.ipsets.size, 0, 'no rule uses the Service: no set');
  step(g, dp, [egressToSvc()]);
  assert.deepEqual([...dp.ipsets.get(SVC_SET)!.members], ['10.0.0.1,tcp:80']);
  assert.equal(dp.ipsets.get(SVC_SET)!.type, 1, 'hash:ip,port');
  const rule = dp.policies.get('gnp/svc-policy')?.outboundRules[0];
  assert.deepEqual(rule?.dstIpPortSetIds, [SVC_SET]);
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.0.1', dstPort: 80 }), 'allow');
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.0.2', dstPort: 80 }), 'deny');

  const newIps = step(g, dp, [slice('eps', 'svc', ['10.0.0.1', '10.0.0.2', '10.0.0.3'])]);
  assert.deepEqual(
    newIps.map((m) => m.kind),
    ['ipsetDeltaUpdate'],
    'a slice change is one delta, nothing else',
  );
  assert.deepEqual(newIps[0], {
    kind: 'ipsetDeltaUpdate',
    id: SVC_SET,
    addedMembers: ['10.0.0.2,tcp:80', '10.0.0.3,tcp:80'],
    removedMembers: [],
  });
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.0.2', dstPort: 80 }), 'allow');
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.0.2', dstPort: 81 }), 'deny');

  step(g, dp, [slice('eps', 'svc', ['10.0.0.2', '10.0.0.3', '10.0.0.4'])]);
  assert.deepEqual([...dp.ipsets.get(SVC_SET)!.members].sort(), [
    '10.0.0.2,tcp:80',
    '10.0.0.3,tcp:80',
    '10.0.0.4,tcp:80',
  ]);
  step(g, dp, [
    slice('eps', 'svc', ['10.0.0.1', '10.0.0.2', '10.0.0.3']),
    slice('eps-2', 'svc', ['10.0.0.2', '10.0.0.3', '10.0.0.4']),
  ]);
  assert.equal(dp.ipsets.get(SVC_SET)!.members.size, 4, 'EndpointSliceOverlap');
  step(g, dp, [kv(`${SLICES}/default/eps`, null)]);
  assert.deepEqual([...dp.ipsets.get(SVC_SET)!.members].sort(), [
    '10.0.0.2,tcp:80',
    '10.0.0.3,tcp:80',
    '10.0.0.4,tcp:80',
  ]);
  // The policy goes: the set goes with it.
  step(g, dp, [kv('/calico/v1/policy/GlobalNetworkPolicy//svc-policy', null)]);
  assert.equal(dp.ipsets.has(SVC_SET), false);
});

test('Felix EndpointSliceActiveNoPorts and PortsNoPorts: a source Service is an IP-only hash:net set', () => {
  const { g, dp } = setup([...base(), slice('eps', 'svc', ['10.0.0.1']), ingressFromSvc]);
  assert.deepEqual([...dp.ipsets.get(SVC_NOPORT_SET)!.members], ['10.0.0.1/32']);
  assert.equal(dp.ipsets.get(SVC_NOPORT_SET)!.type, 2, 'hash:net');
  const rule = dp.policies.get('gnp/svc-policy')?.inboundRules[0];
  assert.deepEqual(rule?.srcIpSetIds, [SVC_NOPORT_SET]);
  assert.deepEqual(rule?.srcPorts, [{ first: 80, last: 80 }]);
  step(g, dp, [egressToSvc('svc-policy2')]);
  assert.deepEqual([...dp.ipsets.get(SVC_SET)!.members], ['10.0.0.1,tcp:80']);
  assert.deepEqual([...dp.ipsets.get(SVC_NOPORT_SET)!.members], ['10.0.0.1/32']);
});

test('a Service that does not exist yet: empty set, the rule matches nothing, then enforces once its slice appears', () => {
  const { g, dp } = setup([...base(), egressToSvc('later', 'default', 'not-yet')]);
  const id = [...dp.ipsets.keys()].find((k) => k.startsWith('svc:'))!;
  assert.ok(id, 'the set exists, empty');
  assert.equal(dp.ipsets.get(id)!.members.size, 0);
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.9.9', dstPort: 80 }), 'deny');
  const out = step(g, dp, [slice('not-yet-abcde', 'not-yet', ['10.0.9.9'])]);
  assert.deepEqual(out, [
    { kind: 'ipsetDeltaUpdate', id, addedMembers: ['10.0.9.9,tcp:80'], removedMembers: [] },
  ]);
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.9.9', dstPort: 80 }), 'allow');
});

test("a Service in another namespace: the set is keyed by that namespace, not the policy's", () => {
  const { g, dp } = setup([
    ...base(),
    ...nsProfile('other'),
    slice('web-1', 'web', ['10.0.5.1'], 'other'),
    slice('web-1', 'web', ['10.0.6.1'], 'default'),
    np('default', 'to-other-web', {
      tier: 'default',
      selector: "projectcalico.org/namespace == 'default'",
      types: ['egress'],
      outbound_rules: [{ action: 'allow', dst_service: 'web', dst_service_ns: 'other' }],
    }),
  ]);
  const sets = [...dp.ipsets.entries()].filter(([k]) => k.startsWith('svc:'));
  assert.equal(sets.length, 1);
  assert.deepEqual([...sets[0]![1].members], ['10.0.5.1,tcp:80']);
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.5.1', dstPort: 80 }), 'allow');
  assert.equal(dp.verdict(POD, 'egress', { src: '10.0.0.1', dst: '10.0.6.1', dstPort: 80 }), 'deny');
  step(g, dp, [kv(`${SLICES}/other/web-1`, null)]);
  assert.equal(sets[0]![1].members.size, 0);
});

test('bad input: a slice with a malformed port or protocol is logged with its key and skipped; the others stay', () => {
  const { g, dp, log } = setup([...base(), egressToSvc(), slice('eps', 'svc', ['10.0.0.1'])]);
  const bad = [
    slice('eps-2', 'svc', ['10.0.0.7'], 'default', { ports: [{ protocol: 'TCP', port: 70000 }] }),
    slice('eps-3', 'svc', ['10.0.0.8'], 'default', { ports: [{ protocol: 'ICMP', port: 80 }] }),
    slice('eps-4', 'svc', ['10.0.0.9'], 'default', { ports: [{ protocol: 'TCP', port: '80' }] }),
    slice('eps-5', 'svc', ['10.0.0.10'], 'default', { endpoints: 'nope' }),
  ];
  step(g, dp, bad);
  assert.deepEqual([...dp.ipsets.get(SVC_SET)!.members], ['10.0.0.1,tcp:80']);
  const warned = log.lines
    .filter((l) => l.level === 'warn' && l.msg === 'Validation failed; treating as missing')
    .map((l) => (l.fields as { key: string }).key);
  assert.deepEqual(
    warned,
    bad.map((b) => b.key),
  );
  // A good version of a refused slice is taken as usual.
  step(g, dp, [slice('eps-2', 'svc', ['10.0.0.7'])]);
  assert.equal(dp.ipsets.get(SVC_SET)!.members.size, 2);
  // A malformed Service is refused the same way (it adds no members either way).
  step(g, dp, [
    kv('/calico/resources/v3/projectcalico.org/kubernetesservice/default/svc', {
      spec: { clusterIP: '10.96.0.300' },
    }),
  ]);
  assert.match(JSON.stringify(log.lines.at(-1)), /kubernetesservice\/default\/svc/);
});
