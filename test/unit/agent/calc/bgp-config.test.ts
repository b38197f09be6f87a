// The default BGPConfiguration through the calculation graph (agent/calc/bgp-config.ts): Felix passes
// only `default` through (felix/calc/dataplane_passthru.go) and sends its non-empty service CIDRs
// (felix/calc/event_sequencer.go OnGlobalBGPConfigUpdate); a deletion sends none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv } from './fake-dataplane.js';
import { setup, step } from './scenario.js';

const KEY = '/calico/resources/v3/projectcalico.org/bgpconfigurations/default';

function bgp(spec: Record<string, unknown>, name = 'default') {
  return kv(`/calico/resources/v3/projectcalico.org/bgpconfigurations/${name}`, {
    kind: 'BGPConfiguration',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name },
    spec,
  });
}

test('the default BGPConfiguration: its service CIDRs in one message, after the pools; changes and deletion', () => {
  const { g, dp, first } = setup([
    bgp({
      serviceClusterIPs: [{ cidr: '10.96.0.0/12' }, { cidr: '' }, { cidr: 'fd5f::/119' }],
      serviceExternalIPs: [{ cidr: '192.0.2.0/24' }],
      asNumber: 64512,
    }),
  ]);
  const msgs = first.filter((m) => m.kind === 'globalBgpConfigUpdate');
  assert.deepEqual(msgs, [
    {
      kind: 'globalBgpConfigUpdate',
      serviceClusterCidrs: ['10.96.0.0/12', 'fd5f::/119'],
      serviceExternalCidrs: ['192.0.2.0/24'],
      serviceLoadbalancerCidrs: [],
    },
  ]);
  assert.deepEqual(dp.log.at(-1), { kind: 'inSync' });
  // A node-specific BGPConfiguration is not global: nothing.
  assert.deepEqual(step(g, dp, [bgp({ serviceClusterIPs: [{ cidr: '10.0.0.0/8' }] }, 'node.node-1')]), []);
  // Same CIDRs again (another field changed): not re-sent.
  assert.deepEqual(
    step(g, dp, [
      bgp({
        serviceClusterIPs: [{ cidr: '10.96.0.0/12' }, { cidr: 'fd5f::/119' }],
        serviceExternalIPs: [{ cidr: '192.0.2.0/24' }],
        logSeverityScreen: 'Debug',
      }),
    ]),
    [],
  );
  assert.deepEqual(step(g, dp, [bgp({ serviceLoadBalancerIPs: [{ cidr: '10.100.0.0/24' }] })]), [
    {
      kind: 'globalBgpConfigUpdate',
      serviceClusterCidrs: [],
      serviceExternalCidrs: [],
      serviceLoadbalancerCidrs: ['10.100.0.0/24'],
    },
  ]);
  assert.deepEqual(step(g, dp, [kv(KEY, null)]), [
    {
      kind: 'globalBgpConfigUpdate',
      serviceClusterCidrs: [],
      serviceExternalCidrs: [],
      serviceLoadbalancerCidrs: [],
    },
  ]);
});

test('a malformed service CIDR is logged with the key and skipped; the others are kept', () => {
  const { first, log } = setup([
    bgp({ serviceClusterIPs: [{ cidr: '10.96.0.0/33' }, { cidr: '10.96.0.1/12' }] }),
  ]);
  const m = first.find((x) => x.kind === 'globalBgpConfigUpdate');
  // Normalised to the network, as the kernel programs it.
  assert.deepEqual(m && 'serviceClusterCidrs' in m ? m.serviceClusterCidrs : undefined, ['10.96.0.0/12']);
  const w = log.lines.find((l) => l.level === 'warn');
  assert.deepEqual(w?.fields, { key: KEY, field: 'serviceClusterIPs', cidr: '10.96.0.0/33' });
});
