// The inspect view (agent/calc/describe.ts) alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEndpoint, findEndpoint } from '../../../../agent/calc/describe.js';
import type { LocalEndpoint } from '../../../../agent/calc/endpoints.js';
import type { TierLists } from '../../../../agent/calc/policy-resolver.js';
import type { ModelHostEndpoint, ModelWorkloadEndpoint } from '../../../../agent/model/index.js';
import { HOST, wepKey } from './fixtures.js';

const wepEp: LocalEndpoint = {
  kind: 'workload',
  key: wepKey('prod', 'web-1'),
  id: { orchestratorId: 'k8s', workloadId: 'prod/web-1', endpointId: 'eth0' },
  model: { name: 'caliweb1', state: 'active' } as ModelWorkloadEndpoint,
  profileIds: ['kns.prod'],
};
const hepEp: LocalEndpoint = {
  kind: 'host',
  key: `/calico/v1/host/${HOST}/endpoint/uplink`,
  id: { endpointId: 'uplink' },
  model: { name: 'eth0' } as ModelHostEndpoint,
  profileIds: [],
};
const ALL = [wepEp, hepEp];
const byKey = (k: string): LocalEndpoint | undefined => ALL.find((e) => e.key === k);
const id = (name: string) => ({ kind: 'gnp', namespace: '', name });

test('describe alone: an endpoint is found by key, interface, workload ID, workload/endpoint or HEP name', () => {
  for (const q of [wepEp.key, 'caliweb1', 'prod/web-1', 'prod/web-1/eth0'])
    assert.equal(findEndpoint(q, byKey, ALL), wepEp, q);
  for (const q of [hepEp.key, 'uplink', 'eth0']) assert.equal(findEndpoint(q, byKey, ALL), hepEp, q);
  assert.equal(findEndpoint('nope', byKey, ALL), undefined);
});

test('describe alone: directions list only tiers with policies; host endpoints add their other tier lists', () => {
  const tiers: TierLists = {
    tiers: [
      { name: 'kube-admin', ingressPolicies: [id('a')], egressPolicies: [], defaultAction: 'Pass' },
      { name: 'default', ingressPolicies: [id('b')], egressPolicies: [id('b')], defaultAction: 'Deny' },
    ],
    untrackedTiers: [
      { name: 'default', ingressPolicies: [id('u')], egressPolicies: [], defaultAction: 'Pass' },
    ],
    preDnatTiers: [
      { name: 'default', ingressPolicies: [id('p')], egressPolicies: [], defaultAction: 'Pass' },
    ],
    forwardTiers: [],
  };
  const w = describeEndpoint(wepEp, tiers, new Map([['app', 'web']]));
  assert.deepEqual(w, {
    key: wepEp.key,
    kind: 'workload',
    iface: 'caliweb1',
    labels: { app: 'web' },
    profiles: ['kns.prod'],
    ingress: [
      { tier: 'kube-admin', defaultAction: 'Pass', policies: ['gnp/a'] },
      { tier: 'default', defaultAction: 'Deny', policies: ['gnp/b'] },
    ],
    egress: [{ tier: 'default', defaultAction: 'Deny', policies: ['gnp/b'] }],
  });
  const h = describeEndpoint(hepEp, tiers, undefined);
  assert.deepEqual(h.labels, {});
  assert.deepEqual(h.untracked, {
    ingress: [{ tier: 'default', defaultAction: 'Pass', policies: ['gnp/u'] }],
    egress: [],
  });
  assert.deepEqual(h.preDnat, { ingress: [{ tier: 'default', defaultAction: 'Pass', policies: ['gnp/p'] }] });
  assert.deepEqual(h.forward, { ingress: [], egress: [] });
});
