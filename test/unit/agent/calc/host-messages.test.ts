// Host metadata to the dataplane (agent/calc/calc-graph.ts, event-sequencer.ts): Node resources, bird_ip and the
// VXLAN tunnel-address HostConfig keys become hostMetadataUpdate / hostMetadataRemove (Felix's
// HostMetadataV4V6Update plus the VTEP, felix/calc/event_sequencer.go), unchanged updates dropped, and the
// compiler turns them into all-hosts-net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import { kv } from './fake-dataplane.js';

const NODE = '/calico/resources/v3/projectcalico.org/nodes/';
const node = (v4: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'Node',
  metadata: { name: 'n' },
  spec: { bgp: { ipv4Address: v4 }, ...extra },
});

test('a Node becomes one hostMetadataUpdate (bare addresses, VTEP), re-sent only on change, removed once', () => {
  const g = new CalcGraph({ hostname: 'me' });
  g.onUpdates([kv(NODE + 'peer', node('10.0.0.2/24', { ipv4VXLANTunnelAddr: '10.65.1.1' }))]);
  assert.deepEqual(g.flush(), [
    {
      kind: 'hostMetadataUpdate',
      hostname: 'peer',
      host: { ipv4Addr: '10.0.0.2', ipv6Addr: '', vxlanTunnelAddr: '10.65.1.1', vxlanTunnelAddrV6: '' },
    },
  ]);
  // The same node again (a label change, say) sends nothing.
  g.onUpdates([
    kv(NODE + 'peer', {
      ...node('10.0.0.2/24', { ipv4VXLANTunnelAddr: '10.65.1.1' }),
      metadata: { labels: { a: 'b' } },
    }),
  ]);
  assert.deepEqual(g.flush(), []);
  // The legacy tunnel key for another host, then that host's bird_ip.
  g.onUpdates([kv('/calico/v1/host/old/config/IPv4VXLANTunnelAddr', '10.65.2.1')]);
  assert.deepEqual(g.flush(), [
    {
      kind: 'hostMetadataUpdate',
      hostname: 'old',
      host: { ipv4Addr: '', ipv6Addr: '', vxlanTunnelAddr: '10.65.2.1', vxlanTunnelAddrV6: '' },
    },
  ]);
  g.onUpdates([kv('/calico/v1/host/old/bird_ip', '10.0.0.7')]);
  assert.equal((g.flush()[0] as { host: { ipv4Addr: string } }).host.ipv4Addr, '10.0.0.7');
  g.onUpdates([kv(NODE + 'peer', null)]);
  assert.deepEqual(g.flush(), [{ kind: 'hostMetadataRemove', hostname: 'peer' }]);
  g.onUpdates([kv(NODE + 'peer', null)]);
  assert.deepEqual(g.flush(), []);
});

test('a node that never had an address is never sent; an update and delete in one batch send nothing', () => {
  const g = new CalcGraph({ hostname: 'me' });
  g.onUpdates([kv(NODE + 'bare', { kind: 'Node', metadata: { name: 'bare' }, spec: {} })]);
  assert.deepEqual(g.flush(), []);
  g.onUpdates([kv(NODE + 'x', node('10.0.0.9')), kv(NODE + 'x', null)]);
  assert.deepEqual(g.flush(), []);
  // A malformed address is skipped (host-metadata.ts logs it), so nothing is sent for it either.
  g.onUpdates([kv(NODE + 'y', node('10.0.0.300'))]);
  assert.deepEqual(g.flush(), []);
});

test('calc output compiles to all-hosts-net, and a Node add/remove changes one member', () => {
  const g = new CalcGraph({ hostname: 'me' });
  const st = new DataplaneState();
  const cfg = defaultCompilerConfig({ hostname: 'me', ipipEnabled: true, ipv6Support: false });
  const step = (updates: Parameters<CalcGraph['onUpdates']>[0]): string[] => {
    g.onUpdates(updates);
    assert.deepEqual(st.applyAll(g.flush()), []);
    return [...(compile(st, cfg).ipsets.get('cali40all-hosts-net')?.members ?? [])].sort();
  };
  assert.deepEqual(step([kv(NODE + 'me', node('10.0.0.1/24')), kv(NODE + 'peer', node('10.0.0.2/24'))]), [
    '10.0.0.1',
    '10.0.0.2',
  ]);
  assert.deepEqual(step([kv(NODE + 'new', node('10.0.0.3/24'))]), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.deepEqual(step([kv(NODE + 'peer', null)]), ['10.0.0.1', '10.0.0.3']);
});
