// `inspect chains` provenance: every generated rule of a policy chain is traced back to the
// source rule it came from (agent/daemon/provenance.ts), using the real compiler.
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
  const { chains } = describeChains(compile(st, cfg), st, cfg);
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
