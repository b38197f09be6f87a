// The policy resolver (agent/calc/policy-resolver.ts) alone, then through the graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  resolveTiers,
  sameTierPlacement,
  type ResolverPolicy,
} from '../../../../agent/calc/policy-resolver.js';
import type { ModelTier } from '../../../../agent/model/index.js';
import { parseSelector } from '../../../../agent/selector/index.js';
import type { TierInfo } from '../../../../rules/dataplane-api/types.js';
import { kv } from './fake-dataplane.js';
import { DEFAULT_TIERS, HOST, gnp, np, nsProfile, tier, wep, wepKey } from './fixtures.js';
import { WEB, setup, step } from './scenario.js';

function pol(
  name: string,
  tier: string,
  order: number | undefined,
  extra: Partial<ResolverPolicy> = {},
): ResolverPolicy {
  return {
    id: { kind: 'gnp', namespace: '', name },
    tier,
    order,
    tieBreak: `${name}//GlobalNetworkPolicy`,
    ingress: true,
    egress: true,
    untracked: false,
    preDnat: false,
    applyOnForward: false,
    ...extra,
  };
}

const TIERS = new Map<string, ModelTier>([
  ['default', { order: 1_000_000, defaultAction: 'Deny' }],
  ['kube-admin', { order: 1_000, defaultAction: 'Pass' }],
  ['security', { order: 100, defaultAction: 'Deny' }],
]);

const shape = (ts: readonly TierInfo[]): unknown[] =>
  ts.map((t) => [
    t.name,
    t.defaultAction,
    t.ingressPolicies.map((p) => p.name),
    t.egressPolicies.map((p) => p.name),
  ]);

test('policy resolver alone: tiers by order (undefined tiers last), policies by order then name', () => {
  const t = resolveTiers(
    false,
    [
      pol('b', 'default', 5),
      pol('no-order', 'default', undefined),
      pol('a', 'default', 5),
      pol('orphan', 'ghost', 1),
      pol('early', 'kube-admin', 1),
      pol('first', 'default', 1, { egress: false }),
      pol('sec', 'security', 10, { ingress: false }),
      pol('hep-only', 'default', 2, { untracked: true }),
    ],
    TIERS,
  );
  assert.deepEqual(shape(t.tiers), [
    ['security', 'Deny', [], ['sec']],
    ['kube-admin', 'Pass', ['early'], ['early']],
    ['default', 'Deny', ['first', 'a', 'b', 'no-order'], ['a', 'b', 'no-order']],
    ['ghost', 'Deny', ['orphan'], ['orphan']],
  ]);
  assert.deepEqual(
    [t.untrackedTiers, t.preDnatTiers, t.forwardTiers],
    [[], [], []],
    'workloads: normal tiers only',
  );
  assert.deepEqual(resolveTiers(false, [], TIERS).tiers, []);
});

test('policy resolver alone: host endpoints get untracked, pre-DNAT (ingress only) and forward tiers', () => {
  const t = resolveTiers(
    true,
    [
      pol('normal', 'default', 1),
      pol('untracked', 'default', 2, { untracked: true }),
      pol('prednat', 'default', 3, { preDnat: true }),
      pol('fwd', 'default', 4, { applyOnForward: true }),
    ],
    TIERS,
  );
  assert.deepEqual(shape(t.tiers), [['default', 'Deny', ['normal', 'fwd'], ['normal', 'fwd']]]);
  assert.deepEqual(shape(t.untrackedTiers), [['default', 'Pass', ['untracked'], ['untracked']]]);
  assert.deepEqual(shape(t.preDnatTiers), [['default', 'Pass', ['prednat'], []]]);
  assert.deepEqual(shape(t.forwardTiers), [['default', 'Deny', ['fwd'], ['fwd']]]);
});

test('same tier placement: everything the resolver reads, nothing else', () => {
  const base = pol('p', 'default', 1);
  assert.equal(sameTierPlacement(base, { ...base }), true);
  for (const change of [
    { tier: 'x' },
    { order: 2 },
    { order: undefined },
    { ingress: false },
    { egress: false },
    { untracked: true },
    { preDnat: true },
    { applyOnForward: true },
    { tieBreak: 'q//GlobalNetworkPolicy' },
  ]) {
    assert.equal(sameTierPlacement(base, { ...base, ...change }), false, JSON.stringify(change));
  }
});

test('tiers: pass goes to the next tier, end of a Deny tier drops, a Pass tier falls through', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    tier('security', 100, 'Deny'),
    tier('audit', 50, 'Pass'),
    ...nsProfile('prod'),
    ...nsProfile('ops'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'ops', pod: 'admin-1', ip: '10.65.1.1', labels: { role: 'admin' }, host: 'node-2' }),
    wep({ ns: 'ops', pod: 'trusted-1', ip: '10.65.1.2', labels: { role: 'trusted' }, host: 'node-2' }),
    wep({ ns: 'ops', pod: 'other-1', ip: '10.65.1.3', labels: { role: 'other' }, host: 'node-2' }),
    gnp('audit-log', {
      tier: 'audit',
      order: 1,
      selector: 'all()',
      inbound_rules: [{ action: 'log' }],
      types: ['ingress'],
    }),
    gnp('sec-gate', {
      tier: 'security',
      order: 10,
      selector: "projectcalico.org/namespace == 'prod'",
      types: ['ingress'],
      inbound_rules: [
        { action: 'next-tier', src_selector: "role == 'trusted'" },
        { action: 'allow', src_selector: "role == 'admin'" },
      ],
    }),
    np('prod', 'web-80', {
      tier: 'default',
      order: 100,
      selector: "(app == 'web') && projectcalico.org/namespace == 'prod'",
      types: ['ingress'],
      inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [80] }],
    }),
  ]);
  const ep = dp.endpoints.get(WEB);
  assert.ok(ep);
  assert.deepEqual(
    ep.tiers.map((t) => [
      t.name,
      t.defaultAction,
      t.ingressPolicies.map((p) => p.name),
      t.egressPolicies.length,
    ]),
    [
      ['audit', 'Pass', ['audit-log'], 0],
      ['security', 'Deny', ['sec-gate'], 0],
      ['default', 'Deny', ['web-80'], 0],
    ],
  );
  assert.equal(
    dp.verdict(WEB, 'ingress', { src: '10.65.1.1', dstPort: 22 }),
    'allow',
    'admin allowed in the security tier',
  );
  assert.equal(
    dp.verdict(WEB, 'ingress', { src: '10.65.1.2', dstPort: 80 }),
    'allow',
    'trusted passes, then port 80 allowed',
  );
  assert.equal(
    dp.verdict(WEB, 'ingress', { src: '10.65.1.2', dstPort: 22 }),
    'deny',
    'trusted passes, end of default tier drops',
  );
  assert.equal(
    dp.verdict(WEB, 'ingress', { src: '10.65.1.3', dstPort: 80 }),
    'deny',
    'end of security tier drops',
  );
  assert.equal(
    dp.verdict(WEB, 'egress', { src: '10.65.0.2', dst: '1.1.1.1' }),
    'allow',
    'no egress policies: profile allows',
  );
  // The v3 "Pass" action is accepted and becomes next-tier.
  step(g, dp, [
    gnp('sec-gate', {
      tier: 'security',
      order: 10,
      selector: "projectcalico.org/namespace == 'prod'",
      types: ['ingress'],
      inbound_rules: [{ action: 'Pass', src_selector: "role == 'other'" }],
    }),
  ]);
  assert.equal(dp.policies.get('gnp/sec-gate')?.inboundRules[0]?.action, 'next-tier');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.1.3', dstPort: 80 }), 'allow');
  // Making the security tier Pass: the admin now falls through to the default tier.
  step(g, dp, [tier('security', 100, 'Pass')]);
  assert.equal(dp.endpoints.get(WEB)?.tiers[1]?.defaultAction, 'Pass');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.1.1', dstPort: 22 }), 'deny');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.1.1', dstPort: 80 }), 'allow');
  // Moving the tier after default (order 2,000,000) reorders the endpoint's tiers.
  step(g, dp, [tier('security', 2_000_000, 'Pass')]);
  assert.deepEqual(
    dp.endpoints.get(WEB)?.tiers.map((t) => t.name),
    ['audit', 'default', 'security'],
  );
});

test('ordering: policy order then name; a tier without a Tier KV sorts last and behaves as Deny', () => {
  const { dp, g } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    gnp('b', { tier: 'default', order: 5, selector: 'all()' }),
    gnp('a', { tier: 'default', order: 5, selector: 'all()' }),
    gnp('z-first', { tier: 'default', order: 1, selector: 'all()' }),
    gnp('no-order', { tier: 'default', selector: 'all()' }),
    gnp('orphan', { tier: 'ghost', order: 1, selector: 'all()' }),
    gnp('early', { tier: 'kube-admin', order: 1, selector: 'all()' }),
  ]);
  const tiers = dp.endpoints.get(WEB)?.tiers ?? [];
  assert.deepEqual(
    tiers.map((t) => [t.name, t.defaultAction, t.ingressPolicies.map((p) => p.name)]),
    [
      ['kube-admin', 'Pass', ['early']],
      ['default', 'Deny', ['z-first', 'a', 'b', 'no-order']],
      ['ghost', 'Deny', ['orphan']],
    ],
  );
  assert.deepEqual(
    tiers[1]?.egressPolicies.map((p) => p.name),
    ['z-first', 'a', 'b', 'no-order'],
    'empty types = both directions',
  );
  const d = g.describeEndpoint('prod/web-1');
  assert.ok(d);
  assert.deepEqual(
    d.ingress.map((t) => t.policies),
    [['gnp/early'], ['gnp/z-first', 'gnp/a', 'gnp/b', 'gnp/no-order'], ['gnp/orphan']],
  );
  assert.equal(g.describeEndpoint(d.iface)?.key, wepKey('prod', 'web-1'));
  assert.equal(g.describeEndpoint('nope'), undefined);
});

test('namespaced policies apply only to their namespace; types are honoured', () => {
  const { dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    ...nsProfile('dev'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'dev', pod: 'web-1', ip: '10.65.0.3', labels: { app: 'web' } }),
    np('prod', 'egress-only', {
      tier: 'default',
      order: 10,
      selector: "(app == 'web') && projectcalico.org/namespace == 'prod'",
      types: ['egress'],
      outbound_rules: [{ action: 'allow', dst_nets: ['10.0.0.0/8'] }],
    }),
  ]);
  const prod = dp.endpoints.get(WEB);
  const dev = dp.endpoints.get('dev/web-1/eth0');
  assert.deepEqual(
    prod?.tiers.map((t) => [
      t.ingressPolicies.length,
      t.egressPolicies.map((p) => `${p.kind}/${p.namespace}/${p.name}`),
    ]),
    [[0, ['np/prod/egress-only']]],
  );
  assert.deepEqual(dev?.tiers, []);
  assert.equal(dp.verdict(WEB, 'egress', { src: '10.65.0.2', dst: '10.9.9.9' }), 'allow');
  assert.equal(dp.verdict(WEB, 'egress', { src: '10.65.0.2', dst: '8.8.8.8' }), 'deny');
  assert.equal(
    dp.verdict(WEB, 'ingress', { src: '8.8.8.8' }),
    'allow',
    'ingress not governed: profile allows',
  );
});

test('host endpoints: untracked, pre-DNAT and forward tiers; AssumeNeededOnEveryNode', () => {
  const hepKey = `/calico/v1/host/${HOST}/endpoint/eth0`;
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    kv(hepKey, {
      name: 'eth0',
      expected_ipv4_addrs: ['192.168.1.10'],
      labels: { role: 'node' },
      profile_ids: [],
    }),
    kv('/calico/v1/host/node-2/endpoint/eth0', {
      name: 'eth0',
      expected_ipv4_addrs: ['192.168.1.11'],
      labels: { role: 'node' },
    }),
    gnp('normal', {
      tier: 'default',
      order: 1,
      selector: "role == 'node'",
      inbound_rules: [{ action: 'allow', src_selector: "role == 'node'" }],
    }),
    gnp('untracked', {
      tier: 'default',
      order: 2,
      selector: "role == 'node'",
      untracked: true,
      inbound_rules: [{ action: 'allow' }],
    }),
    gnp('prednat', {
      tier: 'default',
      order: 3,
      selector: "role == 'node'",
      pre_dnat: true,
      types: ['ingress'],
      inbound_rules: [{ action: 'deny' }],
    }),
    gnp('fwd', {
      tier: 'default',
      order: 4,
      selector: "role == 'node'",
      apply_on_forward: true,
      inbound_rules: [{ action: 'allow' }],
    }),
    gnp('everywhere', {
      tier: 'default',
      order: 5,
      selector: "role == 'nothing'",
      performance_hints: ['AssumeNeededOnEveryNode'],
    }),
  ]);
  const hep = dp.log.find((m) => m.kind === 'hostEndpointUpdate');
  assert.ok(hep && hep.kind === 'hostEndpointUpdate');
  const names = (
    ts: readonly {
      name: string;
      ingressPolicies: readonly { name: string }[];
      egressPolicies: readonly { name: string }[];
      defaultAction?: string;
    }[],
  ) =>
    ts.map((t) => [
      t.name,
      t.defaultAction,
      t.ingressPolicies.map((p) => p.name),
      t.egressPolicies.map((p) => p.name),
    ]);
  assert.deepEqual(names(hep.endpoint.tiers), [['default', 'Deny', ['normal', 'fwd'], ['normal', 'fwd']]]);
  assert.deepEqual(names(hep.endpoint.untrackedTiers), [['default', 'Pass', ['untracked'], ['untracked']]]);
  assert.deepEqual(names(hep.endpoint.preDnatTiers), [['default', 'Pass', ['prednat'], []]]);
  assert.deepEqual(names(hep.endpoint.forwardTiers), [['default', 'Deny', ['fwd'], ['fwd']]]);
  assert.deepEqual(hep.endpoint.expectedIpv4Addrs, ['192.168.1.10']);
  assert.ok(dp.policies.has('gnp/everywhere'), 'AssumeNeededOnEveryNode is active without a local match');
  assert.ok(dp.policies.get('gnp/untracked')?.untracked);
  assert.ok(dp.policies.get('gnp/prednat')?.preDnat);
  const nodeSet = parseSelector("role == 'node'").uniqueId();
  assert.deepEqual([...(dp.ipsets.get(nodeSet)?.members ?? [])].sort(), [
    '192.168.1.10/32',
    '192.168.1.11/32',
  ]);
  assert.equal(g.stats().localHostEndpoints, 1);
  const d = g.describeEndpoint('eth0');
  assert.deepEqual(d?.preDnat, {
    ingress: [{ tier: 'default', defaultAction: 'Pass', policies: ['gnp/prednat'] }],
  });
});
