// The inspect view (agent/calc/describe.ts) alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  candidateOf,
  describeEndpoint,
  findEndpoint,
  matchEndpoints,
} from '../../../../agent/calc/describe.js';
import type { LocalEndpoint } from '../../../../agent/calc/endpoints.js';
import type { TierLists } from '../../../../agent/calc/policy-resolver.js';
import type { ModelHostEndpoint, ModelWorkloadEndpoint } from '../../../../agent/model/index.js';
import { HOST, wepKey } from './fixtures.js';

const wepEp: LocalEndpoint = {
  kind: 'workload',
  key: wepKey('prod', 'web-1'),
  id: { orchestratorId: 'k8s', workloadId: 'prod/web-1', endpointId: 'eth0' },
  model: {
    name: 'caliweb1',
    state: 'active',
    ipv4_nets: ['10.65.0.7/32'],
    ipv6_nets: ['fd00::7/128'],
  } as ModelWorkloadEndpoint,
  profileIds: ['kns.prod'],
};
const hepEp: LocalEndpoint = {
  kind: 'host',
  key: `/calico/v1/host/${HOST}/endpoint/uplink`,
  id: { endpointId: 'uplink' },
  model: { name: 'eth0', expected_ipv4_addrs: ['192.0.2.10'] } as ModelHostEndpoint,
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

function wep(ns: string, pod: string, iface: string, endpointId = 'eth0'): LocalEndpoint {
  return {
    kind: 'workload',
    key: `/calico/v1/host/${HOST}/workload/k8s/${ns}%2f${pod}/endpoint/${endpointId}`,
    id: { orchestratorId: 'k8s', workloadId: `${ns}/${pod}`, endpointId },
    model: { name: iface } as ModelWorkloadEndpoint,
    profileIds: [],
  };
}

test('describe alone: a bare pod name finds the one local pod with that name, or lists the candidates', () => {
  const devWeb = wep('dev', 'web-1', 'calidevweb1');
  const api0 = wep('prod', 'api', 'caliapi0');
  const api1 = wep('prod', 'api', 'caliapi1', 'eth1');
  const all = [...ALL, devWeb, api0, api1];
  const k = (q: string): LocalEndpoint | undefined => all.find((e) => e.key === q);
  // Only in prod while dev has none: the bare name is unique.
  assert.equal(findEndpoint('web-1', byKey, ALL), wepEp);
  assert.deepEqual(matchEndpoints('web-1', byKey, ALL), [wepEp]);
  // In two namespaces: ambiguous, both are candidates; each ns/pod still selects one.
  assert.equal(findEndpoint('web-1', k, all), undefined);
  assert.deepEqual(matchEndpoints('web-1', k, all), [wepEp, devWeb]);
  assert.equal(findEndpoint('dev/web-1', k, all), devWeb);
  assert.equal(findEndpoint('prod/web-1', k, all), wepEp);
  // A pod with two interfaces: its name and its workload ID match both; ns/pod/eth1 or the interface selects one.
  assert.deepEqual(matchEndpoints('api', k, all), [api0, api1]);
  assert.deepEqual(matchEndpoints('prod/api', k, all), [api0, api1]);
  assert.equal(findEndpoint('prod/api', k, all), undefined);
  assert.equal(findEndpoint('prod/api/eth1', k, all), api1);
  assert.equal(findEndpoint('caliapi0', k, all), api0);
  assert.equal(findEndpoint(api1.key, k, all), api1);
  // A bare name never matches a namespace, and an exact name wins over a pod name.
  assert.deepEqual(matchEndpoints('prod', k, all), []);
  const podNamedLikeIface = wep('x', 'caliapi0', 'calix');
  const withIt = [...all, podNamedLikeIface];
  assert.equal(
    findEndpoint('caliapi0', (q) => withIt.find((e) => e.key === q), withIt),
    api0,
  );
  assert.deepEqual(candidateOf(devWeb), { key: devWeb.key, name: 'dev/web-1/eth0', iface: 'calidevweb1' });
  assert.deepEqual(candidateOf(hepEp), { key: hepEp.key, name: 'uplink', iface: 'eth0' });
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
    ipv4Nets: ['10.65.0.7/32'],
    ipv6Nets: ['fd00::7/128'],
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
  assert.deepEqual([h.ipv4Nets, h.ipv6Nets], [['192.0.2.10'], []]);
  assert.deepEqual(h.untracked, {
    ingress: [{ tier: 'default', defaultAction: 'Pass', policies: ['gnp/u'] }],
    egress: [],
  });
  assert.deepEqual(h.preDnat, { ingress: [{ tier: 'default', defaultAction: 'Pass', policies: ['gnp/p'] }] });
  assert.deepEqual(h.forward, { ingress: [], egress: [] });
});
