// Table-driven key parser tests (libcalico-go/lib/backend/model, libcalico-go/lib/backend/syncersv1/updateprocessors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKey, escapeName, unescapeName, type Key } from '../../../../agent/model/index.js';

const cases: ReadonlyArray<[string, Key | null]> = [
  ['/calico/v1/Ready', { type: 'ready' }],
  ['calico/v1/Ready', null],
  ['/calico/v1/config/LogSeverityScreen', { type: 'globalConfig', name: 'LogSeverityScreen' }],
  ['/calico/v1/config/a/b', { type: 'globalConfig', name: 'a/b' }],
  [
    '/calico/v1/host/node-1/config/IpInIpTunnelAddr',
    { type: 'hostConfig', hostname: 'node-1', name: 'IpInIpTunnelAddr' },
  ],
  ['/calico/v1/policy/tier/default/metadata', { type: 'tier', name: 'default' }],
  [
    '/calico/v1/policy/NetworkPolicy/default/allow-dns',
    { type: 'policy', kind: 'NetworkPolicy', namespace: 'default', name: 'allow-dns' },
  ],
  [
    '/calico/v1/policy/GlobalNetworkPolicy//default-deny',
    { type: 'policy', kind: 'GlobalNetworkPolicy', namespace: '', name: 'default-deny' },
  ],
  [
    '/calico/v1/policy/StagedGlobalNetworkPolicy//x',
    { type: 'policy', kind: 'StagedGlobalNetworkPolicy', namespace: '', name: 'x' },
  ],
  [
    '/calico/v1/policy/KubernetesNetworkPolicy/prod/deny',
    { type: 'policy', kind: 'KubernetesNetworkPolicy', namespace: 'prod', name: 'deny' },
  ],
  ['/calico/v1/policy/Bogus/prod/x', null],
  ['/calico/v1/policy/GlobalNetworkPolicy//', null],
  // Legacy (≤ v3.31) keys carry kind and namespace in the escaped name (libcalico-go/lib/backend/syncersv1/updateprocessors).
  [
    '/calico/v1/policy/tier/default/policy/prod%2fallow',
    { type: 'policy', kind: 'NetworkPolicy', namespace: 'prod', name: 'allow', legacyTier: 'default' },
  ],
  [
    '/calico/v1/policy/tier/default/policy/prod%2fknp.default.web',
    {
      type: 'policy',
      kind: 'KubernetesNetworkPolicy',
      namespace: 'prod',
      name: 'web',
      legacyTier: 'default',
    },
  ],
  [
    '/calico/v1/policy/tier/default/policy/prod%2fstaged:x',
    { type: 'policy', kind: 'StagedNetworkPolicy', namespace: 'prod', name: 'x', legacyTier: 'default' },
  ],
  [
    '/calico/v1/policy/tier/default/policy/prod%2fstaged:knp.default.y',
    {
      type: 'policy',
      kind: 'StagedKubernetesNetworkPolicy',
      namespace: 'prod',
      name: 'y',
      legacyTier: 'default',
    },
  ],
  [
    '/calico/v1/policy/tier/sec/policy/staged:g',
    { type: 'policy', kind: 'StagedGlobalNetworkPolicy', namespace: '', name: 'g', legacyTier: 'sec' },
  ],
  [
    '/calico/v1/policy/tier/kube-admin/policy/kcnp.c',
    {
      type: 'policy',
      kind: 'KubernetesClusterNetworkPolicy',
      namespace: '',
      name: 'c',
      legacyTier: 'kube-admin',
    },
  ],
  [
    '/calico/v1/policy/tier/sec/policy/sec.allow-all',
    { type: 'policy', kind: 'GlobalNetworkPolicy', namespace: '', name: 'sec.allow-all', legacyTier: 'sec' },
  ],
  ['/calico/v1/policy/profile/kns.prod/rules', { type: 'profileRules', name: 'kns.prod' }],
  ['/calico/v1/policy/profile/a%2fb%25c/labels', { type: 'profileLabels', name: 'a/b%c' }],
  ['/calico/v1/policy/profile/x/other', null],
  [
    '/calico/v1/host/node1/workload/k8s/prod%2fweb-7d4b9-x2x/endpoint/eth0',
    {
      type: 'workloadEndpoint',
      hostname: 'node1',
      orchestratorId: 'k8s',
      workloadId: 'prod/web-7d4b9-x2x',
      endpointId: 'eth0',
    },
  ],
  ['/calico/v1/host/node1/workload/k8s/x/endpoint', null],
  ['/calico/v1/host/node1/endpoint/eth0', { type: 'hostEndpoint', hostname: 'node1', endpointId: 'eth0' }],
  ['/calico/v1/host/node1/wireguard', { type: 'wireguard', hostname: 'node1' }],
  ['/calico/v1/host/node1/bird_ip', { type: 'hostIp', hostname: 'node1' }],
  ['/calico/v1/host/node1/metadata', null],
  ['/calico/v1/netset/prod%2fblocked', { type: 'networkSet', name: 'prod/blocked' }],
  ['/calico/v1/ipam/v4/pool/10.244.0.0-16', { type: 'ipPool', cidr: '10.244.0.0/16' }],
  ['/calico/v1/ipam/v6/pool/fd00::-64', { type: 'ipPool', cidr: 'fd00::/64' }],
  ['/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26', { type: 'block', cidr: '10.244.1.0/26' }],
  [
    '/calico/resources/v3/projectcalico.org/profiles/kns.prod',
    { type: 'resource', plural: 'profiles', namespace: '', name: 'kns.prod' },
  ],
  [
    '/calico/resources/v3/projectcalico.org/kubernetesservice/ns/svc',
    { type: 'resource', plural: 'kubernetesservice', namespace: 'ns', name: 'svc' },
  ],
  ['/calico/resources/v3/projectcalico.org/profiles/', null],
  ['/calico/v2/something', null],
  // Names become parts of dataplane identifiers: whitespace/control characters are refused,
  // also when they only appear after unescaping.
  ['/calico/v1/policy/GlobalNetworkPolicy//a\nb', null],
  ['/calico/v1/policy/profile/a b/rules', null],
  ['/calico/v1/netset/x\ty', null],
  ['', null],
];

for (const [path, want] of cases) {
  test(`parseKey(${JSON.stringify(path)})`, () => {
    assert.deepEqual(parseKey(path), want);
  });
}

test('escapeName/unescapeName round-trip and order (libcalico-go/lib/backend/model)', () => {
  assert.equal(escapeName('a/b%c'), 'a%2fb%25c');
  assert.equal(unescapeName('a%2fb%25c'), 'a/b%c');
  assert.equal(escapeName('%2f'), '%252f');
  assert.equal(unescapeName(escapeName('%2f/x')), '%2f/x');
});
