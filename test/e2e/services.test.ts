// Service-based policy end to end (issue 13): the real agent over mTLS to the Typha-protocol server,
// pods wired as Calico's CNI does. The client's egress allows only Service prod/web; the Service's
// EndpointSlice, sent through Typha as the felix syncer sends it (a v3 resource key whose value is
// the discovery/v1 object's JSON), decides which backend and port it reaches. Scaling the Service
// (a slice change) changes what is allowed live.
import { describe, it, before, after } from 'node:test';
import { isRoot } from './exec.js';
import { Cluster, type ClusterPodSpec } from './cluster.js';
import { allow, deny, expectMatrix } from './traffic.js';
import { del, policy, type KV } from './fixtures/kv.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

const pods: ClusterPodSpec[] = [
  { name: 'web-a', namespace: 'prod', ip: '10.67.1.1', ports: [8080, 9090], labels: { app: 'web' } },
  { name: 'web-b', namespace: 'prod', ip: '10.67.1.2', ports: [8080, 9090], labels: { app: 'web' } },
  { name: 'client', namespace: 'prod', ip: '10.67.1.3', ports: [8080], labels: { app: 'client' } },
];

function slice(name: string, addrs: readonly string[], port = 8080): KV {
  return {
    key: `/calico/resources/v3/projectcalico.org/kubernetesendpointslices/prod/${name}`,
    value: JSON.stringify({
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { name, namespace: 'prod', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      ports: [{ name: 'http', protocol: 'TCP', port }],
    }),
  };
}

// Calico's `destination: {services: {name: web, namespace: prod}}`, as the update processor emits it.
const clientEgress: KV = (() => {
  const kv = policy({
    namespace: 'prod',
    name: 'client-egress',
    selector: "app == 'client'",
    types: ['egress'],
  });
  const v = JSON.parse(kv.value as string) as Record<string, unknown>;
  v['outbound_rules'] = [{ action: 'allow', dst_service: 'web', dst_service_ns: 'prod' }];
  return { key: kv.key, value: JSON.stringify(v) };
})();

describe('e2e service-based policy (real agent, Typha, kernel)', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ pods, netnsPrefix: 'hse2e', figureName: 'agent_start_to_ready_services' });
  });
  after(async () => {
    await c?.destroy();
  });

  it('egress only to the Service: its endpoint on its port, nothing else; scaling it changes that live', async () => {
    await c.apply([slice('web-abcde', [c.pod('web-a').ip]), clientEgress]);
    await expectMatrix(c.topo, [
      allow('client', 'web-a', 8080),
      deny('client', 'web-a', 9090),
      deny('client', 'web-b', 8080),
      // Ingress to the client is not governed.
      allow('web-b', 'client', 8080),
    ]);
    // Scaled up: a second slice (as the EndpointSlice controller adds) brings web-b in.
    await c.apply([slice('web-fghij', [c.pod('web-b').ip])]);
    await expectMatrix(c.topo, [allow('client', 'web-b', 8080), allow('client', 'web-a', 8080)]);
    // Scaled down: web-a leaves its slice.
    await c.apply([slice('web-abcde', [])]);
    await expectMatrix(c.topo, [deny('client', 'web-a', 8080), allow('client', 'web-b', 8080)]);
    // The slices gone: the Service has no endpoints and the rule matches nothing.
    await c.apply([del(slice('web-abcde', []).key), del(slice('web-fghij', []).key)]);
    await expectMatrix(c.topo, [deny('client', 'web-b', 8080)]);
  });
});
