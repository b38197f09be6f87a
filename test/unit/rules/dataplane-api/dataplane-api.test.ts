import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRecording,
  decodeToDataplane,
  encodeRecording,
  encodeToDataplane,
  IPSetType,
  IPVersion,
  type ToDataplane,
} from '../../../../rules/dataplane-api/index.js';
import { CalcGraph } from '../../../../agent/calc/index.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import { DEFAULT_TIERS, HOST, gnp, np, nsProfile, wep, wepKey } from '../../agent/calc/fixtures.js';

const policyUpdate: ToDataplane = {
  kind: 'activePolicyUpdate',
  id: { kind: 'gnp', name: 'allow-http', namespace: '' },
  policy: {
    inboundRules: [
      {
        action: 'allow',
        protocol: { name: 'tcp' },
        srcIpSetIds: ['s:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q'],
        dstPorts: [{ first: 80, last: 80 }],
      },
    ],
    outboundRules: [],
    tier: 'default',
  },
};

test('ToDataplane round-trips through protobuf', () => {
  const bytes = encodeToDataplane(policyUpdate, 7);
  const { msg, sequenceNumber } = decodeToDataplane(bytes);
  assert.equal(sequenceNumber, 7);
  assert.equal(msg.kind, 'activePolicyUpdate');
  if (msg.kind !== 'activePolicyUpdate') return;
  assert.deepEqual(msg.id, policyUpdate.id);
  assert.equal(msg.policy.tier, 'default');
  assert.equal(msg.policy.inboundRules.length, 1);
  assert.deepEqual(msg.policy.inboundRules[0]?.protocol, { name: 'tcp' });
  assert.deepEqual(msg.policy.inboundRules[0]?.dstPorts, [{ first: 80, last: 80 }]);
  assert.deepEqual(msg.policy.outboundRules, []);
});

test('a recording of several messages decodes in order', () => {
  const msgs: ToDataplane[] = [
    { kind: 'ipsetUpdate', id: 's:abc', members: ['10.0.0.1/32'], type: IPSetType.NET },
    policyUpdate,
    { kind: 'inSync' },
  ];
  const back = decodeRecording(encodeRecording(msgs));
  assert.deepEqual(
    back.map((m) => m.kind),
    ['ipsetUpdate', 'activePolicyUpdate', 'inSync'],
  );
  const first = back[0];
  assert.ok(first?.kind === 'ipsetUpdate');
  assert.deepEqual(first.members, ['10.0.0.1/32']);
  assert.equal(first.type, IPSetType.NET);
});

// ---- every ToDataplane kind survives both codecs ----

/** The 13 members of `oneof payload` in proto/dataplane.proto. */
const ALL_KINDS: ReadonlyArray<ToDataplane['kind']> = [
  'inSync',
  'ipsetUpdate',
  'ipsetDeltaUpdate',
  'ipsetRemove',
  'activeProfileUpdate',
  'activeProfileRemove',
  'activePolicyUpdate',
  'activePolicyRemove',
  'hostEndpointUpdate',
  'hostEndpointRemove',
  'workloadEndpointUpdate',
  'workloadEndpointRemove',
  'configUpdate',
];

/**
 * protobufjs decodes unset scalars as their zero value, unset messages as null and unset repeated
 * fields as []; proto3 cannot tell those from "not set". Drop them (and undefined) on both sides
 * so the comparison is over the fields that carry information. Oneof members are not defaulted.
 */
function meaningful(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(meaningful);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const n = meaningful(x);
      const empty =
        n === undefined ||
        n === null ||
        n === '' ||
        n === 0 ||
        n === false ||
        (Array.isArray(n) && n.length === 0) ||
        (typeof n === 'object' &&
          n !== null &&
          !Array.isArray(n) &&
          Object.keys(n).length === 0 &&
          k !== 'config');
      if (!empty) out[k] = n;
    }
    return out;
  }
  return v;
}

function kvu(key: string, value: unknown): KVUpdate {
  return {
    key,
    value: value === null ? null : typeof value === 'string' ? value : JSON.stringify(value),
    revision: '1',
    updateType: value === null ? 3 : 1,
  };
}

/** Real CalcGraph output for a small cluster going through create, change and delete. */
function graphMessages(): ToDataplane[] {
  const g = new CalcGraph({ hostname: HOST });
  const hepKey = `/calico/v1/host/${HOST}/endpoint/eth0`;
  const webKey = wepKey('prod', 'web-1');
  const allowFromDb = np('prod', 'allow-from-db', {
    tier: 'default',
    order: 100,
    selector: "app == 'web'",
    types: ['ingress', 'egress'],
    inbound_rules: [
      { action: 'allow', protocol: 'tcp', src_selector: "app == 'db'", dst_ports: [8080, 'http'] },
      { action: 'deny', protocol: 'icmp', icmp_type: 8, icmp_code: 0, src_nets: ['10.0.0.0/8'] },
    ],
    outbound_rules: [
      { action: 'allow', protocol: 'udp', dst_ports: ['53'], not_dst_nets: ['169.254.0.0/16'] },
    ],
  });
  const nodePolicy = gnp('node-ssh', {
    tier: 'default',
    order: 10,
    selector: "role == 'node'",
    inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [22] }],
  });
  const out: ToDataplane[] = [];
  g.onUpdates([
    kvu('/calico/v1/Ready', 'true'),
    kvu('/calico/v1/config/LogSeverityScreen', 'Info'),
    kvu(`/calico/v1/host/${HOST}/config/RouteRefreshInterval`, '30'),
    ...DEFAULT_TIERS,
    ...nsProfile('prod', { team: 'a' }),
    wep({
      ns: 'prod',
      pod: 'web-1',
      ip: '10.65.0.2',
      labels: { app: 'web' },
      ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
    }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.1.3', labels: { app: 'db' }, host: 'node-2' }),
    kvu(hepKey, {
      name: 'eth0',
      expected_ipv4_addrs: ['192.168.1.10'],
      labels: { role: 'node' },
      profile_ids: ['kns.prod'],
    }),
    allowFromDb,
    nodePolicy,
  ]);
  out.push(...g.flush());
  g.onStatus('in-sync');
  out.push(...g.flush());
  // A second db pod elsewhere: the src IP set grows by one member.
  g.onUpdates([wep({ ns: 'prod', pod: 'db-2', ip: '10.65.2.4', labels: { app: 'db' }, host: 'node-3' })]);
  out.push(...g.flush());
  // Everything local goes away: endpoints, then the policies, profile and sets they used.
  g.onUpdates([kvu(webKey, null), kvu(hepKey, null)]);
  out.push(...g.flush());
  return out;
}

/** Kinds and fields the scenario above leaves at defaults, built by hand. */
const handBuilt: ToDataplane[] = [
  {
    kind: 'activePolicyUpdate',
    id: { kind: 'gnp', name: 'everything', namespace: '' },
    policy: {
      namespace: '',
      tier: 'security',
      untracked: true,
      preDnat: false,
      originalSelector: "has(role) && role != 'x'",
      inboundRules: [
        {
          action: 'deny',
          ipVersion: IPVersion.IPV6,
          protocol: { number: 58 },
          srcNet: ['fd00::/64'],
          srcPorts: [{ first: 1024, last: 65535 }],
          icmpTypeCode: { type: 128, code: 0 },
          notProtocol: { name: 'udp' },
          notSrcNet: ['fd00::1/128'],
          notDstPorts: [{ first: 0, last: 21 }],
          notIcmpType: 3,
          notSrcIpSetIds: ['s:aaaa'],
          dstIpPortSetIds: ['ipp:bbbb'],
          srcNamedPortIpSetIds: ['n:cccc'],
          notDstNamedPortIpSetIds: ['n:dddd'],
          originalSrcSelector: "app == 'a'",
          originalNotDstSelector: "app == 'b'",
          originalSrcNamespaceSelector: "team == 'a'",
          originalDstNamedPortProtocol: ['tcp'],
          ruleId: 'Abc123_-xyz',
          metadata: { annotations: { owner: 'sec-team' } },
        },
      ],
      outboundRules: [{ action: 'log', dstNet: ['0.0.0.0/0'], notIcmpTypeCode: { type: 3, code: 4 } }],
    },
  },
  {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: 'prod/dual-1', endpointId: 'eth0' },
    endpoint: {
      state: 'inactive',
      name: 'calidual100000',
      mac: 'ee:ee:ee:ee:ee:ee',
      profileIds: ['kns.prod', 'ksa.prod.default'],
      ipv4Nets: ['10.65.0.9/32'],
      ipv6Nets: ['fd00::9/128'],
      tiers: [
        {
          name: 'kube-admin',
          ingressPolicies: [{ kind: 'gnp', name: 'p1', namespace: '' }],
          egressPolicies: [{ kind: 'np', name: 'p2', namespace: 'prod' }],
          defaultAction: 'Pass',
        },
      ],
      ipv4Nat: [{ extIp: '172.16.0.9', intIp: '10.65.0.9' }],
      ipv6Nat: [{ extIp: '2001:db8::9', intIp: 'fd00::9' }],
      allowSpoofedSourcePrefixes: ['10.99.0.0/16'],
      annotations: { 'example.com/x': 'y' },
    },
  },
  {
    kind: 'hostEndpointUpdate',
    id: { endpointId: 'all-interfaces' },
    endpoint: {
      name: '*',
      profileIds: [],
      tiers: [],
      untrackedTiers: [
        { name: 'default', ingressPolicies: [{ kind: 'gnp', name: 'u', namespace: '' }], egressPolicies: [] },
      ],
      preDnatTiers: [
        { name: 'default', ingressPolicies: [{ kind: 'gnp', name: 'd', namespace: '' }], egressPolicies: [] },
      ],
      forwardTiers: [
        { name: 'default', ingressPolicies: [], egressPolicies: [{ kind: 'gnp', name: 'f', namespace: '' }] },
      ],
      expectedIpv4Addrs: ['192.168.1.10'],
      expectedIpv6Addrs: ['fd00:1::10'],
    },
  },
  {
    kind: 'ipsetUpdate',
    id: 'ipp:bbbb',
    members: ['10.65.0.2,tcp:8080', 'fd00::2,udp:53'],
    type: IPSetType.IP_AND_PORT,
  },
  { kind: 'ipsetUpdate', id: 's:aaaa', members: ['10.65.0.2', 'fd00::2'], type: IPSetType.IP },
  { kind: 'ipsetDeltaUpdate', id: 's:aaaa', addedMembers: [], removedMembers: ['fd00::2'] },
  { kind: 'configUpdate', config: {} },
];

test('every ToDataplane kind, from CalcGraph output and by hand, survives both codecs', () => {
  const fromGraph = graphMessages();
  const kinds = new Set(fromGraph.map((m) => m.kind));
  assert.deepEqual(
    ALL_KINDS.filter((k) => !kinds.has(k)),
    [],
    'the CalcGraph scenario should produce every kind',
  );
  const msgs = [...fromGraph, ...handBuilt];
  // Single messages, with a sequence number each.
  msgs.forEach((m, i) => {
    const { msg, sequenceNumber } = decodeToDataplane(encodeToDataplane(m, 1000 + i));
    assert.equal(sequenceNumber, 1000 + i);
    assert.deepEqual(meaningful(msg), meaningful(m), `message ${i} (${m.kind})`);
  });
  // The same messages as one length-delimited recording, in order.
  const back = decodeRecording(encodeRecording(msgs));
  assert.equal(back.length, msgs.length);
  back.forEach((m, i) => assert.deepEqual(meaningful(m), meaningful(msgs[i]), `recorded ${i} (${m.kind})`));
  // Spot checks that the normalisation did not hide what matters.
  const cfg = back.find((m) => m.kind === 'configUpdate' && Object.keys(m.config).length > 0);
  assert.ok(cfg?.kind === 'configUpdate');
  assert.equal(cfg.config['LogSeverityScreen'], 'Info');
  assert.equal(cfg.config['RouteRefreshInterval'], '30');
  const emptyCfg = back[back.length - 1];
  assert.ok(emptyCfg?.kind === 'configUpdate');
  assert.deepEqual(emptyCfg.config, {});
  const delta = back.find((m) => m.kind === 'ipsetDeltaUpdate');
  assert.ok(delta?.kind === 'ipsetDeltaUpdate');
  assert.deepEqual(delta.addedMembers, ['10.65.2.4/32']);
  const wepUp = back.find((m) => m.kind === 'workloadEndpointUpdate');
  assert.ok(wepUp?.kind === 'workloadEndpointUpdate');
  assert.deepEqual(wepUp.id, { orchestratorId: 'k8s', workloadId: 'prod/web-1', endpointId: 'eth0' });
  assert.deepEqual(wepUp.endpoint.tiers[0]?.ingressPolicies, [
    { kind: 'np', name: 'allow-from-db', namespace: 'prod' },
  ]);
  const inactive = back.find((m) => m.kind === 'workloadEndpointUpdate' && m.endpoint.state === 'inactive');
  assert.ok(inactive?.kind === 'workloadEndpointUpdate');
  assert.deepEqual(inactive.endpoint.ipv6Nat, [{ extIp: '2001:db8::9', intIp: 'fd00::9' }]);
});
