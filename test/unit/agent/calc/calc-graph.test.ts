// The calc graph's wiring (agent/calc/calc-graph.ts): KVs through every calculator to the model
// dataplane, which enforces the message-ordering contract and evaluates traffic. Each module's own
// behaviour is tested alone in its <module>.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { FakeDataplane, kv } from './fake-dataplane.js';
import { DEFAULT_TIERS, HOST, gnp, np, nsProfile, tier, wep, wepKey } from './fixtures.js';
import { DB, WEB, setup, step } from './scenario.js';

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
  // The SA profile has no rules KV in this snapshot: Felix substitutes deny-all (felix/calc/active_rules_calculator.go).
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
