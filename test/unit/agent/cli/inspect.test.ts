// `inspect chains` provenance: every generated rule of a policy chain is traced back to the
// source rule it came from, read from the real compiler's output (agent/daemon/inspect.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import type { PolicyID, TierInfo, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import {
  describeChains,
  describeEndpointChains,
  type InspectedChain,
} from '../../../../agent/daemon/index.js';

const POL: PolicyID = { kind: 'gnp', namespace: '', name: 'default.multi' };

function state(): DataplaneState {
  const msgs: ToDataplane[] = [
    { kind: 'ipsetUpdate', id: 's:blocked', type: 2, members: ['192.0.2.0/24'] },
    {
      kind: 'activePolicyUpdate',
      id: POL,
      policy: {
        tier: 'default',
        inboundRules: [
          { action: 'allow', protocol: { name: 'tcp' }, dstPorts: [{ first: 80, last: 80 }], ruleId: 'r0' },
          { action: 'deny', srcIpSetIds: ['s:blocked'], ruleId: 'r1' },
          { action: 'allow', protocol: { name: 'udp' }, dstPorts: [{ first: 53, last: 53 }], ruleId: 'r2' },
        ],
        outboundRules: [],
      },
    },
    {
      kind: 'activeProfileUpdate',
      id: { name: 'kns.a' },
      profile: { inboundRules: [{ action: 'allow', ruleId: 'p0' }], outboundRules: [] },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'a/pod', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'calia1b2c3d4e5f',
        profileIds: ['kns.a'],
        ipv4Nets: ['10.65.0.9/32'],
        ipv6Nets: [],
        tiers: [{ name: 'default', ingressPolicies: [POL], egressPolicies: [] }],
      },
    },
    { kind: 'inSync' },
  ];
  const s = new DataplaneState();
  assert.deepEqual(s.applyAll(msgs), []);
  return s;
}

test('each generated rule of a policy or profile chain names its source rule', () => {
  const cfg = defaultCompilerConfig({ ipv6Support: false });
  const st = state();
  const { chains } = describeChains(compile(st, cfg));
  const pol = chains.find((c) => c.owner.kind === 'policy' && c.owner.direction === 'ingress');
  assert.ok(pol, 'the policy chain is described');
  assert.equal(pol.owner.id, 'gnp/default.multi');
  assert.deepEqual(
    pol.sourceRules?.map((r) => r.ruleId),
    ['r0', 'r1', 'r2'],
  );
  const byRule = pol.rules.map((r) => r.source);
  // Every generated rule is attributed, in order, and every source rule produced something.
  assert.ok(byRule.every((x) => x !== undefined));
  assert.deepEqual([...new Set(byRule)], [0, 1, 2]);
  for (let i = 1; i < byRule.length; i++) assert.ok((byRule[i] as number) >= (byRule[i - 1] as number));
  // The deny rule is the one that matches the IP set; the udp allow is the last source rule.
  for (const r of pol.rules) {
    if (r.body.includes('--match-set')) assert.equal(r.source, 1, r.body);
    if (r.body.includes('-p udp')) assert.equal(r.source, 2, r.body);
    if (r.body.includes('-p tcp')) assert.equal(r.source, 0, r.body);
  }
  const prof = chains.find(
    (c) => c.owner.kind === 'profile' && c.owner.id === 'kns.a' && c.owner.direction === 'ingress',
  );
  assert.ok(prof);
  assert.deepEqual(
    prof.rules.map((r) => r.source),
    [0],
  );
  const ep = chains.find((c) => c.owner.kind === 'workload-endpoint' && c.owner.direction === 'ingress');
  assert.equal(ep?.owner.id, 'calia1b2c3d4e5f');
  assert.ok(ep?.rules.every((r) => r.source === undefined));
});

test('inspect reads owners from the compiler: annotated first rule, host endpoints, IPv6', () => {
  const cfg = defaultCompilerConfig({ ipv6Support: true });
  const st = state();
  const msgs: ToDataplane[] = [
    {
      kind: 'activePolicyUpdate',
      id: { kind: 'gnp', namespace: '', name: 'default.annotated' },
      policy: {
        tier: 'default',
        inboundRules: [
          { action: 'deny', metadata: { annotations: { team: 'net' } }, ruleId: 'a0' },
          { action: 'allow', srcNet: ['2001:db8::/32'], ruleId: 'a1' },
        ],
        outboundRules: [],
      },
    },
    {
      kind: 'hostEndpointUpdate',
      id: { endpointId: 'hep1' },
      endpoint: {
        name: 'eth9',
        profileIds: [],
        expectedIpv4Addrs: [],
        expectedIpv6Addrs: [],
        tiers: [
          {
            name: 'default',
            ingressPolicies: [{ kind: 'gnp', namespace: '', name: 'default.annotated' }],
            egressPolicies: [],
          },
        ],
        forwardTiers: [],
        untrackedTiers: [],
        preDnatTiers: [],
      },
    },
  ];
  assert.deepEqual(st.applyAll(msgs), []);
  const { chains } = describeChains(compile(st, cfg));
  const annotated = chains.filter(
    (c) => c.owner.id === 'gnp/default.annotated' && c.owner.direction === 'ingress',
  );
  assert.deepEqual(
    annotated.map((c) => c.ipVersion),
    [4, 6],
  );
  for (const c of annotated) {
    // The chain comment is the policy's, not the annotation Felix renders before it on the first rule.
    assert.equal(c.comment, 'GlobalNetworkPolicy default.annotated ingress');
    assert.match(c.rules[0]?.body ?? '', /--comment "team=net" -m comment --comment "GlobalNetworkPolicy/);
    assert.deepEqual(
      c.sourceRules?.map((r) => r.ruleId),
      ['a0', 'a1'],
    );
  }
  // The IPv6-only allow renders only in the IPv6 chain: there rule 1 has generated rules, in v4 none.
  const v4 = annotated.find((c) => c.ipVersion === 4);
  const v6 = annotated.find((c) => c.ipVersion === 6);
  assert.deepEqual([...new Set(v4?.rules.map((r) => r.source))], [0]);
  assert.deepEqual([...new Set(v6?.rules.map((r) => r.source))], [0, 1]);
  assert.ok(v6?.rules.some((r) => r.source === 1 && r.body.includes('--source 2001:db8::/32')));

  const hep = chains.filter((c) => c.owner.kind === 'host-endpoint' && c.ipVersion === 4);
  assert.deepEqual(
    hep.map((c) => [c.name, c.owner.id, c.owner.direction]),
    [
      ['cali-fh-eth9', 'eth9', 'ingress'],
      ['cali-fhfw-eth9', 'eth9', 'ingress'],
      ['cali-th-eth9', 'eth9', 'egress'],
      ['cali-thfw-eth9', 'eth9', 'egress'],
      // The mangle table's egress chain for host traffic that was DNATed (mangle-table.ts).
      ['cali-th-eth9', 'eth9', 'egress'],
    ],
  );
  // The host endpoint's view: ingress chains (the policy right after the chain that jumps to it), then egress.
  assert.deepEqual(
    describeEndpointChains(compile(st, cfg), 'eth9')
      .filter((c) => c.ipVersion === 4)
      .map((c) => [c.table, c.name, c.owner.kind]),
    [
      ['filter', 'cali-fh-eth9', 'host-endpoint'],
      ['filter', v4?.name, 'policy'],
      ['filter', 'cali-fhfw-eth9', 'host-endpoint'],
      ['filter', 'cali-th-eth9', 'host-endpoint'],
      ['filter', 'cali-thfw-eth9', 'host-endpoint'],
      ['mangle', 'cali-th-eth9', 'host-endpoint'],
    ],
  );
  const stat = chains.find((c) => c.name === 'cali-from-host-endpoint' && c.ipVersion === 4);
  assert.deepEqual(stat?.owner, { kind: 'static', id: 'cali-from-host-endpoint' });
  assert.equal(describeChains(undefined).chains.length, 0);
});

test('an endpoint view lists its chains in evaluation order, policy-group chains included', () => {
  const gnp = (name: string): PolicyID => ({ kind: 'gnp', namespace: '', name });
  const policy = (name: string, tier: string, selector: string): ToDataplane => ({
    kind: 'activePolicyUpdate',
    id: gnp(name),
    policy: {
      tier,
      inboundRules: [{ action: 'allow' }],
      outboundRules: [{ action: 'allow' }],
      originalSelector: selector,
    },
  });
  const wep = (name: string, tiers: TierInfo[], profileIds: string[]): ToDataplane => ({
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: `ns/${name}`, endpointId: 'eth0' },
    endpoint: { state: 'active', name, profileIds, ipv4Nets: [], ipv6Nets: [], tiers },
  });
  const both = (name: string, ids: PolicyID[]): TierInfo => ({
    name,
    ingressPolicies: ids,
    egressPolicies: ids,
  });
  // Tier "first": a1 and a2 share a selector (a policy group chain), then b; tier "second": c.
  const msgs: ToDataplane[] = [
    policy('a1', 'first', "app == 'x'"),
    policy('a2', 'first', "app == 'x'"),
    policy('b', 'first', "app == 'y'"),
    policy('c', 'second', "app == 'x'"),
    policy('other', 'second', "app == 'z'"),
    {
      kind: 'activeProfileUpdate',
      id: { name: 'kns.ns' },
      profile: { inboundRules: [{ action: 'allow' }], outboundRules: [] },
    },
    wep('calix', [both('first', [gnp('a1'), gnp('a2'), gnp('b')]), both('second', [gnp('c')])], ['kns.ns']),
    wep('caliother', [both('second', [gnp('other')])], []),
    { kind: 'inSync' },
  ];
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  const desired = compile(st, defaultCompilerConfig({ ipv6Support: true }));
  const chains = describeEndpointChains(desired, 'calix');
  const label = (c: InspectedChain): string =>
    `${c.owner.kind} ${c.owner.id}${c.owner.direction ? ` ${c.owner.direction}` : ''}`;
  for (const v of [4, 6]) {
    const mine = chains.filter((c) => c.ipVersion === v);
    assert.ok(mine.every((c) => c.table === 'filter'));
    const names = mine.map((c) => c.name);
    const gi = names.find((n) => n.startsWith('cali-gi-'));
    const go = names.find((n) => n.startsWith('cali-go-'));
    assert.ok(gi && go, names.join(' '));
    assert.deepEqual(mine.map(label), [
      'workload-endpoint calix ingress',
      `policy-group ${gi.slice('cali-gi-'.length)} ingress`,
      'policy gnp/a1 ingress',
      'policy gnp/a2 ingress',
      'policy gnp/b ingress',
      'policy gnp/c ingress',
      'profile kns.ns ingress',
      'workload-endpoint calix egress',
      `policy-group ${go.slice('cali-go-'.length)} egress`,
      'policy gnp/a1 egress',
      'policy gnp/a2 egress',
      'policy gnp/b egress',
      'policy gnp/c egress',
      'profile kns.ns egress',
    ]);
    assert.deepEqual([names[0], names[7]], ['cali-tw-calix', 'cali-fw-calix']);
    // The group chain is what the endpoint chain jumps to; it jumps to a1 and a2.
    const tw = mine[0] as InspectedChain;
    assert.ok(tw.rules.some((r) => r.body.endsWith(`--jump ${gi}`)));
    assert.ok(!tw.rules.some((r) => r.body.endsWith(`--jump ${names[2]}`)));
    const group = mine[1] as InspectedChain;
    assert.deepEqual(
      group.rules.map((r) => /--jump (\S+)$/.exec(r.body)?.[1]),
      [names[2], names[3]],
    );
  }
  // The other endpoint's chains and policy, and static chains, are not part of it.
  assert.ok(!chains.some((c) => c.name.includes('caliother') || c.owner.id === 'gnp/other'));
  assert.ok(chains.every((c) => c.owner.kind !== 'static'));
  assert.deepEqual(
    describeEndpointChains(desired, 'caliother')
      .filter((c) => c.ipVersion === 4)
      .map(label),
    [
      'workload-endpoint caliother ingress',
      'policy gnp/other ingress',
      'workload-endpoint caliother egress',
      'policy gnp/other egress',
    ],
  );
  assert.deepEqual(describeEndpointChains(desired, 'calinope'), []);
  assert.deepEqual(describeEndpointChains(undefined, 'calix'), []);
});
