// Host metadata (agent/calc/host-metadata.ts): all-hosts-net as Felix v3.32.1 ipset_hosts_mgr.go builds it,
// all-vxlan-net as vxlan_mgr.go does, labels and this node's tunnel addresses, kept live; bad addresses
// logged with their key and skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostMetadataCalculator, bareAddr } from '../../../../agent/calc/host-metadata.js';

const node = (v4: string, extra: Record<string, unknown> = {}, labels?: Record<string, string>) => ({
  metadata: { labels: labels ?? null },
  spec: { bgp: { ipv4Address: v4 }, ...extra },
});

test('all-hosts-net: host addresses without prefix, v3 Node wins over bird_ip, ExternalNodesCIDRList (v4 only)', () => {
  const c = new HostMetadataCalculator('me');
  c.onHostIp('legacy', '10.0.0.9');
  c.onHostIp('me', '10.0.0.99');
  c.onNode('me', node('10.0.0.1/24'));
  c.onNode('b', { spec: { bgp: { ipv4Address: '10.0.0.2/24', ipv6Address: 'fd00::2/64' } } });
  c.setExternalNodesCidrs(['192.0.2.0/24']);
  assert.deepEqual(c.allHostsNet(4), ['10.0.0.1', '10.0.0.2', '10.0.0.9', '192.0.2.0/24']);
  assert.deepEqual(c.allHostsNet(6), ['fd00::2']);
});

test('live: readdress, delete the Node (legacy key shows again), delete the legacy key', () => {
  const c = new HostMetadataCalculator('me');
  c.onHostIp('b', '10.0.0.20');
  c.onNode('b', node('10.0.0.2/24'));
  assert.deepEqual(c.allHostsNet(4), ['10.0.0.2']);
  c.onNode('b', node('10.0.0.3/24'));
  assert.deepEqual(c.allHostsNet(4), ['10.0.0.3']);
  c.onNode('b', undefined);
  assert.deepEqual(c.allHostsNet(4), ['10.0.0.20']);
  c.onHostIp('b', undefined);
  assert.deepEqual(c.allHostsNet(4), []);
});

test('all-vxlan-net: host addresses of nodes with a VXLAN tunnel address, plus external CIDRs of the family', () => {
  const c = new HostMetadataCalculator('me');
  c.onNode('a', node('10.0.0.1/24', { ipv4VXLANTunnelAddr: '10.65.1.0' }));
  c.onNode('b', node('10.0.0.2/24'));
  c.onHostIp('c', '10.0.0.3');
  c.onHostConfig('c', 'IPv4VXLANTunnelAddr', '10.65.3.0');
  c.setExternalNodesCidrs(['192.0.2.0/24', 'fd00:99::/64']);
  assert.deepEqual(c.allVxlanNet(4), ['10.0.0.1', '10.0.0.3', '192.0.2.0/24']);
  assert.deepEqual(c.allVxlanNet(6), ['fd00:99::/64']);
  c.onHostConfig('c', 'IPv4VXLANTunnelAddr', undefined);
  assert.deepEqual(c.allVxlanNet(4), ['10.0.0.1', '192.0.2.0/24']);
});

test('labels and this node tunnel addresses (Node resource first, then HostConfig)', () => {
  const c = new HostMetadataCalculator('me');
  c.onHostConfig('me', 'IpInIpTunnelAddr', '10.65.0.1');
  c.onHostConfig('me', 'IPv4VXLANTunnelAddr', '10.65.0.2');
  c.onHostConfig('me', 'SomethingElse', 'x');
  c.onNode('me', node('10.0.0.1/24', { ipv4VXLANTunnelAddr: '10.65.0.3' }, { zone: 'a' }));
  c.onNode('other', node('10.0.0.2/24', { ipv4VXLANTunnelAddr: '10.65.9.9' }));
  assert.deepEqual(c.localTunnelAddrs(), { IpInIpTunnelAddr: '10.65.0.1', IPv4VXLANTunnelAddr: '10.65.0.3' });
  assert.deepEqual(c.labels('me'), { zone: 'a' });
  assert.equal(c.labels('nobody'), undefined);
});

test('bad input: a malformed Node address is logged with its key and skipped; other nodes stay', () => {
  const warned: Record<string, unknown>[] = [];
  const log = {
    debug() {},
    info() {},
    warn: (_m: string, f?: object) => warned.push((f ?? {}) as Record<string, unknown>),
    error() {},
  };
  const c = new HostMetadataCalculator('me', log);
  c.onNode('good', node('10.0.0.1/24'));
  c.onNode('bad', node('10.0.0.300/24', { ipv4VXLANTunnelAddr: 'nonsense' }));
  c.onHostIp('bad2', 'not-an-ip');
  assert.deepEqual(c.allHostsNet(4), ['10.0.0.1']);
  assert.deepEqual(c.allVxlanNet(4), []);
  assert.deepEqual(
    warned.map((w) => w.key),
    ['Node(bad)', 'Node(bad)', '/calico/v1/host/bad2/bird_ip'],
  );
});

test('bareAddr', () => {
  assert.equal(bareAddr('10.1.2.3/24', 4), '10.1.2.3');
  assert.equal(bareAddr('10.1.2.3', 4), '10.1.2.3');
  assert.equal(bareAddr('10.1.2.256', 4), undefined);
  assert.equal(bareAddr('10.1.2.3/x', 4), undefined);
  assert.equal(bareAddr('FD00::1/64', 6), 'fd00::1');
  assert.equal(bareAddr('10.1.2.3', 6), undefined);
});

test('CalcGraph routes Node resources, bird_ip and tunnel HostConfig to host metadata, pools to encapsulation', async () => {
  const { CalcGraph } = await import('../../../../agent/calc/index.js');
  const { kv } = await import('./fake-dataplane.js');
  const g = new CalcGraph({ hostname: 'me' });
  g.onUpdates([
    kv('/calico/resources/v3/projectcalico.org/nodes/me', {
      kind: 'Node',
      metadata: { name: 'me', labels: { zone: 'a' } },
      spec: { bgp: { ipv4Address: '10.0.0.1/24' }, ipv4VXLANTunnelAddr: '10.65.0.1' },
    }),
    kv('/calico/v1/host/old/bird_ip', '10.0.0.7'),
    kv('/calico/v1/host/me/config/IpInIpTunnelAddr', '10.65.0.9'),
    kv('/calico/v1/ipam/v4/pool/10.65.0.0-16', {
      cidr: '10.65.0.0/16',
      ipip_mode: 'Always',
      vxlan_mode: 'Never',
    }),
  ]);
  assert.deepEqual(g.hostMetadata.allHostsNet(4), ['10.0.0.1', '10.0.0.7']);
  assert.deepEqual(g.hostMetadata.allVxlanNet(4), ['10.0.0.1']);
  assert.deepEqual(g.hostMetadata.labels('me'), { zone: 'a' });
  assert.deepEqual(g.hostMetadata.localTunnelAddrs(), {
    IpInIpTunnelAddr: '10.65.0.9',
    IPv4VXLANTunnelAddr: '10.65.0.1',
  });
  assert.deepEqual(g.encapsulation.encapsulation, {
    ipipEnabled: true,
    vxlanEnabled: false,
    vxlanEnabledV6: false,
  });
  g.onUpdates([kv('/calico/resources/v3/projectcalico.org/nodes/me', null)]);
  assert.deepEqual(g.hostMetadata.allHostsNet(4), ['10.0.0.7']);
});
