// Calculation scenarios (felix-datamodel-and-calc.md §5), checked through a model dataplane that
// enforces the message-ordering contract and evaluates traffic with the §5.6 semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph, type CalcLogger } from '../../../../agent/calc/index.js';
import { namedPortSetId, parseSelector } from '../../../../agent/selector/index.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { FakeDataplane, kv } from './fake-dataplane.js';
import { DEFAULT_TIERS, HOST, gnp, np, nsProfile, tier, wep, wepKey } from './fixtures.js';

class RecordingLogger implements CalcLogger {
  readonly lines: Array<{ level: string; msg: string; fields?: object }> = [];
  debug(msg: string, fields?: object): void {
    this.lines.push({ level: 'debug', msg, ...(fields ? { fields } : {}) });
  }
  info(msg: string, fields?: object): void {
    this.lines.push({ level: 'info', msg, ...(fields ? { fields } : {}) });
  }
  warn(msg: string, fields?: object): void {
    this.lines.push({ level: 'warn', msg, ...(fields ? { fields } : {}) });
  }
  error(msg: string, fields?: object): void {
    this.lines.push({ level: 'error', msg, ...(fields ? { fields } : {}) });
  }
}

function setup(snapshot: KVUpdate[]): {
  g: CalcGraph;
  dp: FakeDataplane;
  log: RecordingLogger;
  first: ToDataplane[];
} {
  const log = new RecordingLogger();
  const g = new CalcGraph({ hostname: HOST, logger: log });
  const dp = new FakeDataplane();
  g.onUpdates(snapshot);
  const pre = g.flush();
  dp.apply(pre);
  g.onStatus('in-sync');
  const post = g.flush();
  dp.apply(post);
  return { g, dp, log, first: [...pre, ...post] };
}

function step(g: CalcGraph, dp: FakeDataplane, updates: KVUpdate[]): ToDataplane[] {
  g.onUpdates(updates);
  const out = g.flush();
  dp.apply(out);
  return out;
}

const WEB = 'prod/web-1/eth0';
const DB = 'prod/db-1/eth0';

test('before InSync: IP sets and policies may be sent, endpoints and config are not; InSync comes last, once', () => {
  const g = new CalcGraph({ hostname: HOST });
  g.onUpdates([
    kv('/calico/v1/Ready', 'true'),
    kv('/calico/v1/config/LogSeverityScreen', 'Info'),
    kv(`/calico/v1/host/${HOST}/config/LogSeverityScreen`, 'Debug'),
    kv('/calico/v1/host/other/config/LogSeverityScreen', 'Warning'),
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    np('prod', 'allow-db', {
      tier: 'default',
      order: 100,
      selector: "app == 'web'",
      inbound_rules: [{ action: 'allow', src_selector: "app == 'db'" }],
    }),
  ]);
  const pre = g.flush();
  const kinds = pre.map((m) => m.kind);
  assert.deepEqual(kinds, ['ipsetUpdate', 'activePolicyUpdate', 'activeProfileUpdate']);
  g.onStatus('resync');
  assert.deepEqual(g.flush(), []);
  g.onStatus('in-sync');
  const post = g.flush();
  assert.deepEqual(
    post.map((m) => m.kind),
    ['configUpdate', 'workloadEndpointUpdate', 'inSync'],
  );
  const cfg = post[0] as Extract<ToDataplane, { kind: 'configUpdate' }>;
  assert.deepEqual(
    cfg.config,
    { LogSeverityScreen: 'Debug' },
    'host config overrides global; other hosts ignored',
  );
  assert.equal(g.isDatastoreReady(), true);
  g.onStatus('in-sync');
  assert.deepEqual(g.flush(), [], 'nothing more, and no second InSync');
});

test('profile-only namespace: no policies, the kns profile allows; a profile without rules is deny-all', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' }, sa: 'default' }),
  ]);
  const ep = dp.endpoints.get(WEB);
  assert.ok(ep);
  assert.deepEqual(ep.tiers, []);
  assert.deepEqual(ep.profileIds, ['kns.prod', 'ksa.prod.default']);
  // The SA profile has no rules KV in this snapshot: Felix substitutes deny-all (§5.3).
  assert.deepEqual(
    dp.profiles.get('ksa.prod.default')?.inboundRules.map((r) => r.action),
    ['deny'],
  );
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.1.1.1' }), 'allow');
  assert.equal(dp.verdict(WEB, 'egress', { src: '10.65.0.2', dst: '8.8.8.8' }), 'allow');
  // The SA profile's rules arrive ({} like a real SA profile): it is re-sent.
  const out = step(g, dp, [kv('/calico/v1/policy/profile/ksa.prod.default/rules', {})]);
  assert.deepEqual(
    out.map((m) => m.kind),
    ['activeProfileUpdate'],
  );
  assert.deepEqual(dp.profiles.get('ksa.prod.default')?.inboundRules, []);
  assert.deepEqual(g.stats(), {
    localWorkloadEndpoints: 1,
    localHostEndpoints: 0,
    activePolicies: 0,
    activeProfiles: 2,
    ipSets: 0,
    clusterWorkloadEndpoints: 1,
  });
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

test('editing a matched policy re-sends its endpoints only when their tier lists change', () => {
  const { dp, g } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    gnp('a', { tier: 'default', order: 1, selector: 'all()' }),
    gnp('b', { tier: 'default', order: 2, selector: 'all()' }),
  ]);
  const kinds = (out: ToDataplane[]): string[] => out.map((m) => m.kind);
  const ingress = (): string[] => dp.endpoints.get(WEB)?.tiers[0]?.ingressPolicies.map((p) => p.name) ?? [];
  assert.deepEqual(ingress(), ['a', 'b']);
  // Rules only: the policy is re-sent, the endpoint's tier lists are unchanged.
  const rules = step(g, dp, [
    gnp('b', { tier: 'default', order: 2, selector: 'all()', inbound_rules: [{ action: 'allow' }] }),
  ]);
  assert.deepEqual(kinds(rules), ['activePolicyUpdate']);
  // Order: the endpoint is re-sent with the new order.
  const order = step(g, dp, [
    gnp('b', { tier: 'default', order: 0, selector: 'all()', inbound_rules: [{ action: 'allow' }] }),
  ]);
  assert.deepEqual(kinds(order), ['activePolicyUpdate', 'workloadEndpointUpdate']);
  assert.deepEqual(ingress(), ['b', 'a']);
  // Types: b leaves the egress list.
  step(g, dp, [
    gnp('b', {
      tier: 'default',
      order: 0,
      selector: 'all()',
      types: ['ingress'],
      inbound_rules: [{ action: 'allow' }],
    }),
  ]);
  assert.deepEqual(
    dp.endpoints.get(WEB)?.tiers[0]?.egressPolicies.map((p) => p.name),
    ['a'],
  );
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

test('rule selectors see labels inherited from namespace profiles (pcns.*)', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    ...nsProfile('ops', { team: 'sre' }),
    ...nsProfile('dev', { team: 'dev' }),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'ops', pod: 'tool-1', ip: '10.65.2.1', host: 'node-3' }),
    wep({ ns: 'dev', pod: 'tool-1', ip: '10.65.3.1', host: 'node-3' }),
    np('prod', 'from-sre', {
      tier: 'default',
      selector: "projectcalico.org/namespace == 'prod'",
      inbound_rules: [{ action: 'allow', src_selector: "pcns.team == 'sre'" }],
      types: ['ingress'],
    }),
  ]);
  const setId = parseSelector("pcns.team == 'sre'").uniqueId();
  assert.deepEqual([...(dp.ipsets.get(setId)?.members ?? [])], ['10.65.2.1/32']);
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.2.1' }), 'allow');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.3.1' }), 'deny');
  // The dev namespace is relabelled team=sre: its pods join the set as a delta.
  const out = step(g, dp, nsProfile('dev', { team: 'sre' }));
  assert.deepEqual(out, [
    { kind: 'ipsetDeltaUpdate', id: setId, addedMembers: ['10.65.3.1/32'], removedMembers: [] },
  ]);
});

test('network sets feed selector IP sets; /0 is split; changes are deltas', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    kv('/calico/v1/netset/blocked', {
      nets: ['192.0.2.0/24', '198.51.100.7/32'],
      labels: { role: 'blocked' },
    }),
    kv('/calico/v1/netset/prod%2finternal', {
      nets: ['10.200.0.0/16'],
      labels: { kind: 'internal', 'projectcalico.org/namespace': 'prod' },
      profile_ids: ['kns.prod'],
    }),
    kv('/calico/v1/netset/everything', { nets: ['0.0.0.0/0'], labels: { role: 'world' } }),
    gnp('block', {
      tier: 'default',
      order: 1,
      selector: 'all()',
      types: ['ingress'],
      inbound_rules: [
        { action: 'deny', src_selector: "role == 'blocked'" },
        { action: 'allow', src_selector: "kind == 'internal' && pcns.projectcalico.org/name == 'prod'" },
        { action: 'deny', src_selector: "role == 'world'", protocol: 'udp' },
      ],
    }),
  ]);
  const blocked = parseSelector("role == 'blocked'").uniqueId();
  const internal = parseSelector("kind == 'internal' && pcns.projectcalico.org/name == 'prod'").uniqueId();
  const world = parseSelector("role == 'world'").uniqueId();
  assert.deepEqual([...(dp.ipsets.get(blocked)?.members ?? [])].sort(), ['192.0.2.0/24', '198.51.100.7/32']);
  assert.deepEqual(
    [...(dp.ipsets.get(internal)?.members ?? [])],
    ['10.200.0.0/16'],
    'namespaced set inherits kns labels',
  );
  assert.deepEqual([...(dp.ipsets.get(world)?.members ?? [])].sort(), ['0.0.0.0/1', '128.0.0.0/1']);
  assert.equal(dp.ipsets.get(blocked)?.type, 2, 'selector sets are NET');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '192.0.2.9' }), 'deny');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.200.3.4' }), 'allow');
  const out = step(g, dp, [
    kv('/calico/v1/netset/blocked', {
      nets: ['192.0.2.0/24', '203.0.113.0/24'],
      labels: { role: 'blocked' },
    }),
  ]);
  assert.deepEqual(out, [
    {
      kind: 'ipsetDeltaUpdate',
      id: blocked,
      addedMembers: ['203.0.113.0/24'],
      removedMembers: ['198.51.100.7/32'],
    },
  ]);
  const out2 = step(g, dp, [kv('/calico/v1/netset/blocked', null)]);
  assert.deepEqual(out2, [
    {
      kind: 'ipsetDeltaUpdate',
      id: blocked,
      addedMembers: [],
      removedMembers: ['192.0.2.0/24', '203.0.113.0/24'],
    },
  ]);
});

test('named ports become (ip,port) sets from every matching endpoint, local and remote', () => {
  const ports = [
    { name: 'http', protocol: 'tcp', port: 8080 },
    { name: 'dns', protocol: 'udp', port: 53 },
  ];
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' }, ports }),
    wep({
      ns: 'prod',
      pod: 'web-2',
      ip: '10.65.5.2',
      labels: { app: 'web' },
      ports: [{ name: 'http', protocol: 'tcp', port: 9090 }],
      host: 'node-2',
    }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.0.9', labels: { app: 'db' } }),
    np('prod', 'web-http', {
      tier: 'default',
      selector: "app == 'web'",
      types: ['ingress'],
      inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: ['http'] }],
    }),
    np('prod', 'db-from-web', {
      tier: 'default',
      selector: "app == 'db'",
      types: ['egress'],
      outbound_rules: [
        { action: 'allow', protocol: 'tcp', dst_selector: "app == 'web'", dst_ports: ['http'] },
      ],
    }),
  ]);
  const allId = parseSelector('all()').uniqueId();
  const webId = parseSelector("app == 'web'").uniqueId();
  const npAll = namedPortSetId(allId, 'tcp', 'http');
  const npWeb = namedPortSetId(webId, 'tcp', 'http');
  assert.deepEqual([...(dp.ipsets.get(npAll)?.members ?? [])].sort(), [
    '10.65.0.2,tcp:8080',
    '10.65.5.2,tcp:9090',
  ]);
  assert.equal(dp.ipsets.get(npAll)?.type, 1);
  assert.deepEqual([...(dp.ipsets.get(npWeb)?.members ?? [])].sort(), [
    '10.65.0.2,tcp:8080',
    '10.65.5.2,tcp:9090',
  ]);
  assert.equal(
    dp.ipsets.has(webId),
    false,
    'named ports without numeric ports: no separate selector set (§5.7)',
  );
  const rule = dp.policies.get('np/prod/web-http')?.inboundRules[0];
  assert.deepEqual(rule?.dstNamedPortIpSetIds, [npAll]);
  assert.equal(rule?.dstPorts, undefined, 'named ports are removed from the port list');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.1.1.1', dstPort: 8080 }), 'allow');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.1.1.1', dstPort: 80 }), 'deny');
  assert.equal(dp.verdict(DB, 'egress', { src: '10.65.0.9', dst: '10.65.5.2', dstPort: 9090 }), 'allow');
  assert.equal(dp.verdict(DB, 'egress', { src: '10.65.0.9', dst: '10.65.5.2', dstPort: 8080 }), 'deny');
  // The remote pod changes its port number: delta on both sets.
  const out = step(g, dp, [
    wep({
      ns: 'prod',
      pod: 'web-2',
      ip: '10.65.5.2',
      labels: { app: 'web' },
      ports: [{ name: 'http', protocol: 'tcp', port: 9091 }],
      host: 'node-2',
    }),
  ]);
  assert.deepEqual(
    out.map((m) => m.kind),
    ['ipsetDeltaUpdate', 'ipsetDeltaUpdate'],
  );
  assert.ok(dp.ipsets.get(npAll)?.members.has('10.65.5.2,tcp:9091'));
});

test('an endpoint starts and stops matching as its labels change', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'db' } }),
    wep({ ns: 'prod', pod: 'peer', ip: '10.65.9.9', labels: { app: 'peer' }, host: 'node-2' }),
    np('prod', 'web', {
      tier: 'default',
      selector: "app == 'web'",
      inbound_rules: [{ action: 'allow', src_selector: "app == 'peer'" }],
    }),
  ]);
  assert.equal(dp.policies.size, 0, 'not active: matches no local endpoint');
  assert.equal(dp.ipsets.size, 0, 'its sets are not active either');
  assert.deepEqual(dp.endpoints.get(WEB)?.tiers, []);
  const on = step(g, dp, [wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } })]);
  assert.deepEqual(
    on.map((m) => m.kind),
    ['ipsetUpdate', 'activePolicyUpdate', 'workloadEndpointUpdate'],
  );
  assert.deepEqual(
    dp.endpoints.get(WEB)?.tiers.map((t) => t.ingressPolicies.map((p) => p.name)),
    [['web']],
  );
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.9.9' }), 'allow');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.9.8' }), 'deny');
  // A remote endpoint relabelled into the rule's selector joins the set.
  const joined = step(g, dp, [
    wep({ ns: 'prod', pod: 'other', ip: '10.65.9.8', labels: { app: 'peer' }, host: 'node-2' }),
  ]);
  assert.deepEqual(
    joined.map((m) => m.kind),
    ['ipsetDeltaUpdate'],
  );
  const off = step(g, dp, [wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'other' } })]);
  assert.deepEqual(
    off.map((m) => m.kind),
    ['workloadEndpointUpdate', 'activePolicyRemove', 'ipsetRemove'],
    'removals after the endpoint update',
  );
  assert.equal(dp.policies.size, 0);
});

test('a policy whose selector changes moves between endpoints', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.0.3', labels: { app: 'db' } }),
    np('prod', 'p', { tier: 'default', selector: "app == 'web'", inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.equal(dp.endpoints.get(WEB)?.tiers.length, 1);
  assert.equal(dp.endpoints.get(DB)?.tiers.length, 0);
  const out = step(g, dp, [
    np('prod', 'p', { tier: 'default', selector: "app == 'db'", inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.deepEqual(out.map((m) => m.kind).sort(), [
    'activePolicyUpdate',
    'workloadEndpointUpdate',
    'workloadEndpointUpdate',
  ]);
  assert.equal(dp.endpoints.get(WEB)?.tiers.length, 0);
  assert.equal(dp.endpoints.get(DB)?.tiers.length, 1);
  assert.equal(dp.policies.get('np/prod/p')?.originalSelector, "app == 'db'");
  // Same value again: a no-op.
  assert.deepEqual(
    step(g, dp, [
      np('prod', 'p', { tier: 'default', selector: "app == 'db'", inbound_rules: [{ action: 'deny' }] }),
    ]),
    [],
  );
  // A selector matching nothing: the policy is removed after the endpoint update.
  const gone = step(g, dp, [
    np('prod', 'p', { tier: 'default', selector: "app == 'none'", inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.deepEqual(
    gone.map((m) => m.kind),
    ['workloadEndpointUpdate', 'activePolicyRemove'],
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

test('staged policies are ignored; legacy policy keys work', () => {
  const { dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    kv('/calico/v1/policy/StagedGlobalNetworkPolicy//s1', {
      tier: 'default',
      selector: 'all()',
      inbound_rules: [{ action: 'deny' }],
      staged_action: 'Set',
    }),
    kv('/calico/v1/policy/StagedNetworkPolicy/prod/s2', {
      namespace: 'prod',
      tier: 'default',
      selector: 'all()',
    }),
    kv('/calico/v1/policy/tier/default/policy/prod%2flegacy', {
      namespace: 'prod',
      order: 5,
      selector: "app == 'web'",
      inbound_rules: [{ action: 'allow' }],
    }),
  ]);
  assert.deepEqual([...dp.policies.keys()], ['np/prod/legacy']);
  assert.deepEqual(
    dp.endpoints.get(WEB)?.tiers.map((t) => t.ingressPolicies.map((p) => p.name)),
    [['legacy']],
  );
});

test('malformed KVs, selectors and CIDRs are logged and skipped without disturbing other endpoints', () => {
  const { g, dp, log } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.0.3', labels: { app: 'db' } }),
    kv(wepKey('prod', 'broken'), '{"name": "calibroken", "ipv4_nets": ["10.65.0.300/32"]}'),
    kv(wepKey('prod', 'notjson'), '{{{'),
    gnp('bad-selector', { tier: 'default', selector: "app == 'web' &&", inbound_rules: [] }),
    gnp('bad-rule', {
      tier: 'default',
      selector: 'all()',
      inbound_rules: [{ action: 'deny', src_nets: ['10.0.0.0/99'] }],
    }),
    kv('/calico/v1/some/unknown/key', '{}'),
    gnp('evil\n-A FORWARD -j ACCEPT\nCOMMIT', { tier: 'default', selector: 'all()', inbound_rules: [] }),
    np('prod', 'ok', { tier: 'default', selector: "app == 'db'", inbound_rules: [{ action: 'allow' }] }),
  ]);
  assert.deepEqual([...dp.endpoints.keys()].sort(), [DB, WEB]);
  assert.deepEqual([...dp.policies.keys()], ['np/prod/ok']);
  const warns = log.lines.filter((l) => l.level === 'warn').map((l) => (l.fields as { key: string }).key);
  assert.deepEqual(
    warns.sort(),
    [
      '/calico/v1/policy/GlobalNetworkPolicy//bad-rule',
      '/calico/v1/policy/GlobalNetworkPolicy//bad-selector',
      '/calico/v1/policy/GlobalNetworkPolicy//evil\n-A FORWARD -j ACCEPT\nCOMMIT',
      wepKey('prod', 'broken'),
      wepKey('prod', 'notjson'),
    ].sort(),
  );
  assert.ok(
    log.lines.some(
      (l) =>
        l.level === 'debug' &&
        (l.fields as { key?: string } | undefined)?.key === '/calico/v1/some/unknown/key',
    ),
  );
  // A bad update to an existing endpoint is a delete of that endpoint only.
  const out = step(g, dp, [kv(wepKey('prod', 'web-1'), '{"name":"caliweb1","ipv4_nets":["nope"]}')]);
  assert.deepEqual(
    out.map((m) => m.kind),
    ['workloadEndpointRemove'],
  );
  assert.deepEqual([...dp.endpoints.keys()], [DB]);
  assert.equal(dp.verdict(DB, 'ingress', { src: '1.2.3.4' }), 'allow');
  // A bad update to an active policy removes it.
  const out2 = step(g, dp, [
    np('prod', 'ok', { tier: 'default', selector: "app == 'db'", inbound_rules: [{ dst_ports: ['99999'] }] }),
  ]);
  assert.deepEqual(
    out2.map((m) => m.kind),
    ['workloadEndpointUpdate', 'activePolicyRemove'],
  );
  // onUpdates never throws, even for garbage.
  assert.doesNotThrow(() =>
    g.onUpdates([{ key: 'x', value: 'y', revision: '', updateType: 1 }, kv('/calico/v1/Ready', 'maybe')]),
  );
});

test('WEPs asking for spoofed source IPs are rejected unless WorkloadSourceSpoofing=Any', () => {
  const spoofy = kv(wepKey('prod', 'spoof'), {
    state: 'active',
    name: 'calispoof',
    ipv4_nets: ['10.65.0.7/32'],
    allow_spoofed_source_ips: ['10.99.0.0/16'],
    labels: {},
  });
  const a = setup([...nsProfile('prod'), spoofy]);
  assert.equal(a.dp.endpoints.size, 0);
  const b = setup([kv('/calico/v1/config/WorkloadSourceSpoofing', 'Any'), ...nsProfile('prod'), spoofy]);
  assert.equal(b.dp.endpoints.size, 1);
});

test('deleting everything leaves nothing behind', () => {
  const snapshot = [
    ...DEFAULT_TIERS,
    tier('security', 100, 'Deny'),
    ...nsProfile('prod'),
    ...nsProfile('dev', { team: 'x' }),
    wep({
      ns: 'prod',
      pod: 'web-1',
      ip: '10.65.0.2',
      labels: { app: 'web' },
      sa: 'sa1',
      ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
    }),
    wep({ ns: 'dev', pod: 'web-1', ip: '10.65.0.3', labels: { app: 'web' } }),
    wep({ ns: 'dev', pod: 'remote', ip: '10.66.0.3', labels: { app: 'web' }, host: 'node-9' }),
    kv(`/calico/v1/host/${HOST}/endpoint/eth0`, {
      name: 'eth0',
      expected_ipv4_addrs: ['192.168.1.10'],
      labels: { role: 'node' },
    }),
    kv('/calico/v1/netset/blocked', { nets: ['192.0.2.0/24'], labels: { role: 'blocked' } }),
    gnp('sec', {
      tier: 'security',
      selector: 'all()',
      inbound_rules: [{ action: 'deny', src_selector: "role == 'blocked'" }, { action: 'next-tier' }],
    }),
    np('prod', 'web', {
      tier: 'default',
      selector: "app == 'web'",
      inbound_rules: [
        {
          action: 'allow',
          protocol: 'tcp',
          dst_ports: ['http', 443],
          src_selector: "pcns.team == 'x'",
          '!src_selector': "app == 'evil'",
        },
      ],
    }),
    gnp('node', {
      tier: 'default',
      selector: "role == 'node'",
      untracked: true,
      inbound_rules: [{ action: 'allow', src_nets: ['10.0.0.0/8'] }],
    }),
  ];
  const { g, dp } = setup(snapshot);
  assert.ok(
    dp.ipsets.size >= 3 && dp.policies.size === 3 && dp.profiles.size === 3 && dp.endpoints.size === 3,
  );
  const out = step(
    g,
    dp,
    snapshot.map((u) => kv(u.key, null)),
  );
  assert.ok(out.length > 0);
  assert.ok(
    dp.isEmpty(),
    `left: ${JSON.stringify({ sets: [...dp.ipsets.keys()], pols: [...dp.policies.keys()], profs: [...dp.profiles.keys()], eps: [...dp.endpoints.keys()] })}`,
  );
  assert.deepEqual(g.stats(), {
    localWorkloadEndpoints: 0,
    localHostEndpoints: 0,
    activePolicies: 0,
    activeProfiles: 0,
    ipSets: 0,
    clusterWorkloadEndpoints: 0,
  });
  // Re-adding the snapshot rebuilds the same state.
  step(g, dp, snapshot);
  assert.equal(dp.policies.size, 3);
  assert.equal(dp.endpoints.size, 3);
});

test('rule conversion: ports, nets, negations, icmp, protocol, ip_version inference, stable rule IDs', () => {
  const rules = [
    {
      action: 'allow',
      protocol: 'tcp',
      src_nets: ['10.0.0.0/8'],
      src_net: '172.16.0.0/12',
      '!dst_nets': ['10.1.0.0/16'],
      dst_ports: [80, '8000:8080'],
      '!dst_ports': [8081],
      src_selector: "app == 'a'",
      '!src_selector': "app == 'b'",
      '!dst_selector': "app == 'c'",
    },
    { action: 'deny', protocol: 'icmp', icmp_type: 8, icmp_code: 0 },
    { action: 'deny', protocol: 'icmpv6', icmp_type: 128, '!icmp_type': 129 },
    { action: 'log', protocol: 17, '!protocol': 'tcp', ip_version: 6 },
  ];
  const { dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2' }),
    gnp('conv', { tier: 'default', selector: 'all()', inbound_rules: rules, outbound_rules: rules }),
  ]);
  const p = dp.policies.get('gnp/conv');
  assert.ok(p);
  const [r0, r1, r2, r3] = p.inboundRules;
  const merged = parseSelector("(app == 'a') && (!(app == 'b'))").uniqueId();
  assert.deepEqual(
    { ...r0, ruleId: undefined },
    {
      action: 'allow',
      protocol: { name: 'tcp' },
      srcNet: ['10.0.0.0/8', '172.16.0.0/12'],
      notDstNet: ['10.1.0.0/16'],
      dstPorts: [
        { first: 80, last: 80 },
        { first: 8000, last: 8080 },
      ],
      notDstPorts: [{ first: 8081, last: 8081 }],
      srcIpSetIds: [merged],
      notDstIpSetIds: [parseSelector("app == 'c'").uniqueId()],
      ruleId: undefined,
    },
  );
  assert.deepEqual(
    { ...r1, ruleId: undefined },
    {
      action: 'deny',
      ipVersion: 4,
      protocol: { name: 'icmp' },
      icmpTypeCode: { type: 8, code: 0 },
      ruleId: undefined,
    },
  );
  assert.deepEqual(
    { ...r2, ruleId: undefined },
    {
      action: 'deny',
      ipVersion: 6,
      protocol: { name: 'icmpv6' },
      icmpType: 128,
      notIcmpType: 129,
      ruleId: undefined,
    },
  );
  assert.deepEqual(
    { ...r3, ruleId: undefined },
    {
      action: 'log',
      ipVersion: 6,
      protocol: { number: 17 },
      notProtocol: { name: 'tcp' },
      ruleId: undefined,
    },
  );
  const ids = p.inboundRules.map((r) => r.ruleId);
  assert.ok(ids.every((id) => typeof id === 'string' && /^[A-Za-z0-9_-]{16}$/.test(id)));
  assert.equal(new Set(ids).size, 4);
  const outIds = p.outboundRules.map((r) => r.ruleId);
  assert.notDeepEqual(outIds, ids, 'direction is part of the seed');
  // IDs are stable across graph instances and depend on position.
  const again = setup([
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2' }),
    gnp('conv', { tier: 'default', selector: 'all()', inbound_rules: rules }),
  ]);
  assert.deepEqual(
    again.dp.policies.get('gnp/conv')?.inboundRules.map((r) => r.ruleId),
    ids,
  );
  const swapped = setup([
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2' }),
    gnp('conv', {
      tier: 'default',
      selector: 'all()',
      inbound_rules: [rules[1], rules[0], rules[2], rules[3]],
    }),
  ]);
  assert.notEqual(swapped.dp.policies.get('gnp/conv')?.inboundRules[1]?.ruleId, ids[0]);
  assert.equal(p.tier, 'default');
  assert.equal(p.originalSelector, 'all()');
});

test('the final state does not depend on KV order or on how updates are batched and flushed', () => {
  const snapshot = [
    ...DEFAULT_TIERS,
    tier('security', 100, 'Deny'),
    ...nsProfile('prod', { team: 'a' }),
    ...nsProfile('dev', { team: 'b' }),
    kv('/calico/v1/policy/profile/ksa.prod.sa1/rules', {}),
    wep({
      ns: 'prod',
      pod: 'web-1',
      ip: '10.65.0.2',
      labels: { app: 'web' },
      sa: 'sa1',
      ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
    }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.0.4', labels: { app: 'db' } }),
    wep({ ns: 'dev', pod: 'web-1', ip: '10.65.0.3', labels: { app: 'web' } }),
    wep({
      ns: 'dev',
      pod: 'remote',
      ip: '10.66.0.3',
      labels: { app: 'web' },
      host: 'node-9',
      ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
    }),
    kv(`/calico/v1/host/${HOST}/endpoint/eth0`, {
      name: 'eth0',
      expected_ipv4_addrs: ['192.168.1.10'],
      labels: { role: 'node' },
    }),
    kv('/calico/v1/netset/blocked', { nets: ['192.0.2.0/24'], labels: { role: 'blocked' } }),
    kv('/calico/v1/netset/dev%2finternal', {
      nets: ['10.200.0.0/16'],
      labels: { 'projectcalico.org/namespace': 'dev' },
      profile_ids: ['kns.dev'],
    }),
    gnp('sec', {
      tier: 'security',
      selector: 'all()',
      inbound_rules: [{ action: 'deny', src_selector: "role == 'blocked'" }, { action: 'next-tier' }],
    }),
    np('prod', 'web', {
      tier: 'default',
      selector: "app == 'web'",
      inbound_rules: [
        { action: 'allow', protocol: 'tcp', dst_ports: ['http', 443], src_selector: "pcns.team == 'b'" },
      ],
    }),
    np('prod', 'db', {
      tier: 'default',
      order: 1,
      selector: "app == 'db'",
      outbound_rules: [{ action: 'allow', dst_selector: "app == 'web'", dst_ports: ['http'] }],
    }),
    gnp('node', {
      tier: 'default',
      selector: "role == 'node'",
      untracked: true,
      inbound_rules: [{ action: 'allow', src_nets: ['10.0.0.0/8'] }],
    }),
  ];
  const snapshotState = (dp: FakeDataplane): string =>
    JSON.stringify({
      sets: [...dp.ipsets].map(([id, s]) => [id, s.type, [...s.members].sort()]).sort(),
      policies: [...dp.policies].sort(),
      profiles: [...dp.profiles].sort(),
      endpoints: [...dp.endpoints].sort(),
    });
  const run = (kvs: KVUpdate[], batch: number, flushEvery: number): string => {
    const g = new CalcGraph({ hostname: HOST });
    const dp = new FakeDataplane();
    for (let i = 0, n = 0; i < kvs.length; i += batch, n++) {
      g.onUpdates(kvs.slice(i, i + batch));
      if (n % flushEvery === 0) dp.apply(g.flush());
    }
    dp.apply(g.flush());
    g.onStatus('in-sync');
    dp.apply(g.flush());
    return snapshotState(dp);
  };
  const sorted = [...snapshot].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const reference = run(snapshot, snapshot.length, 1);
  assert.ok(reference.includes('np/prod/web'));
  assert.equal(run(sorted, 100, 1), reference, 'Typha order (profiles after endpoints)');
  assert.equal(run([...sorted].reverse(), 1, 1), reference, 'reverse order, flush after each KV');
  let seed = 42;
  const shuffled = [...snapshot];
  for (let i = shuffled.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as KVUpdate, shuffled[i] as KVUpdate];
  }
  assert.equal(run(shuffled, 3, 2), reference, 'shuffled, small batches');
});
