// `inspect chains` provenance: every generated rule of a policy chain is traced back to the
// source rule it came from, read from the real compiler's output (agent/daemon/inspect.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import type { PolicyID, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { describeChains } from '../../../../agent/daemon/index.js';

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
    ],
  );
  const stat = chains.find((c) => c.name === 'cali-from-host-endpoint' && c.ipVersion === 4);
  assert.deepEqual(stat?.owner, { kind: 'static', id: 'cali-from-host-endpoint' });
  assert.equal(describeChains(undefined).chains.length, 0);
});
