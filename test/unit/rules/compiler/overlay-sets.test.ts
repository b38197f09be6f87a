// The overlay host sets (rules/compiler/overlay-sets.ts) from hostMetadataUpdate messages, created only where
// Felix v3.32.1 creates them (felix/dataplane/linux/int_dataplane.go) with its members
// (ipset_hosts_mgr.go updateAllHostsIPSet, vxlan_mgr.go updateNeighborsAndAllowedSources).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompilerInputError,
  DataplaneState,
  compile,
  defaultCompilerConfig,
  type CompilerConfig,
} from '../../../../rules/compiler/index.js';
import {
  decodeToDataplane,
  encodeToDataplane,
  type HostMetadata,
  type ToDataplane,
} from '../../../../rules/dataplane-api/index.js';
import type { DesiredState } from '../../../../rules/model.js';

const NONE: HostMetadata = { ipv4Addr: '', ipv6Addr: '', vxlanTunnelAddr: '', vxlanTunnelAddrV6: '' };
const host = (hostname: string, h: Partial<HostMetadata>): ToDataplane => ({
  kind: 'hostMetadataUpdate',
  hostname,
  host: { ...NONE, ...h },
});

const HOSTS: ToDataplane[] = [
  host('me', {
    ipv4Addr: '10.0.0.1',
    ipv6Addr: 'fd00::1',
    vxlanTunnelAddr: '10.65.0.1',
    vxlanTunnelAddrV6: 'fd65::1',
  }),
  host('peer', {
    ipv4Addr: '10.0.0.2',
    ipv6Addr: 'fd00::2',
    vxlanTunnelAddr: '10.65.1.1',
    vxlanTunnelAddrV6: 'fd65::2',
  }),
  // No VTEP: in all-hosts-net, not in all-vxlan-net.
  host('plain', { ipv4Addr: '10.0.0.3', ipv6Addr: 'FD00:0::3' }),
  // A VXLAN tunnel address without a node address is no VTEP (felix/calc/vxlan_resolver.go).
  host('noaddr', { vxlanTunnelAddr: '10.65.2.1' }),
];

function run(msgs: readonly ToDataplane[], over: Partial<CompilerConfig>): DesiredState {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll([...msgs, { kind: 'inSync' }]), []);
  return compile(st, defaultCompilerConfig({ hostname: 'me', ...over }));
}

function members(d: DesiredState, name: string): string[] | undefined {
  const s = d.ipsets.get(name);
  return s && [...s.members].sort();
}

const SETS = ['cali40all-hosts-net', 'cali60all-hosts-net', 'cali40all-vxlan-net', 'cali60all-vxlan-net'];

test('no overlay and IPPoolsOnly: neither set exists, whatever the hosts (a takeover writes nothing new)', () => {
  const d = run(HOSTS, { externalNodesCidrs: ['192.0.2.0/24'] });
  for (const n of SETS) assert.equal(d.ipsets.has(n), false, n);
});

test('IPIP: IPv4 all-hosts-net holds every node address (this one too) and ExternalNodesCIDRList, hash:net', () => {
  const d = run(HOSTS, { ipipEnabled: true, externalNodesCidrs: ['192.0.2.0/24', 'fd99::/64'] });
  assert.deepEqual(members(d, 'cali40all-hosts-net'), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '192.0.2.0/24']);
  assert.equal(d.ipsets.get('cali40all-hosts-net')?.type, 'hash:net');
  // IPIP is IPv4 only: no IPv6 set, and no VXLAN sets.
  for (const n of SETS.slice(1)) assert.equal(d.ipsets.has(n), false, n);
});

test('NATOutgoingExclusions=IPPoolsAndHostIPs: all-hosts-net in both families, IPv6 without the external CIDRs', () => {
  const d = run(HOSTS, { natOutgoingExclusions: 'IPPoolsAndHostIPs', externalNodesCidrs: ['192.0.2.0/24'] });
  assert.deepEqual(members(d, 'cali40all-hosts-net'), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '192.0.2.0/24']);
  assert.deepEqual(members(d, 'cali60all-hosts-net'), ['fd00::1', 'fd00::2', 'fd00::3']);
  assert.equal(d.ipsets.has('cali40all-vxlan-net'), false);
});

test('VXLAN: all-vxlan-net holds ExternalNodesCIDRList and the node address of every other node with a VTEP', () => {
  const d = run(HOSTS, {
    vxlanEnabled: true,
    vxlanEnabledV6: true,
    externalNodesCidrs: ['192.0.2.0/24', 'fd99::/64'],
  });
  assert.deepEqual(members(d, 'cali40all-vxlan-net'), ['10.0.0.2', '192.0.2.0/24']);
  assert.deepEqual(members(d, 'cali60all-vxlan-net'), ['fd00::2', 'fd99::/64']);
  assert.equal(d.ipsets.has('cali40all-hosts-net'), false);
  const v4only = run(HOSTS, { vxlanEnabled: true });
  assert.deepEqual(members(v4only, 'cali40all-vxlan-net'), ['10.0.0.2']);
  assert.equal(v4only.ipsets.has('cali60all-vxlan-net'), false);
});

test('a node update or remove changes exactly its member', () => {
  const st = new DataplaneState();
  const cfg = defaultCompilerConfig({
    hostname: 'me',
    ipipEnabled: true,
    vxlanEnabled: true,
    ipv6Support: false,
  });
  assert.deepEqual(st.applyAll([...HOSTS, { kind: 'inSync' }]), []);
  assert.deepEqual(members(compile(st, cfg), 'cali40all-hosts-net'), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  st.apply(host('peer', { ipv4Addr: '10.0.0.9', vxlanTunnelAddr: '10.65.1.1' }));
  let d = compile(st, cfg);
  assert.deepEqual(members(d, 'cali40all-hosts-net'), ['10.0.0.1', '10.0.0.3', '10.0.0.9']);
  assert.deepEqual(members(d, 'cali40all-vxlan-net'), ['10.0.0.9']);
  st.apply({ kind: 'hostMetadataRemove', hostname: 'peer' });
  d = compile(st, cfg);
  assert.deepEqual(members(d, 'cali40all-hosts-net'), ['10.0.0.1', '10.0.0.3']);
  assert.deepEqual(members(d, 'cali40all-vxlan-net'), []);
});

test('a malformed or wrong-family address is refused with the host named, and the state is unchanged', () => {
  const st = new DataplaneState();
  st.apply(host('peer', { ipv4Addr: '10.0.0.2' }));
  for (const bad of [
    { ipv4Addr: '10.0.0.256' },
    { ipv4Addr: 'fd00::1' },
    { ipv6Addr: '10.0.0.1' },
    { vxlanTunnelAddr: '10.0.0.0/24' },
  ]) {
    const errs = st.applyAll([host('peer', bad)]);
    assert.equal(errs.length, 1);
    assert.ok(errs[0] instanceof CompilerInputError);
    assert.match(errs[0]!.message, /hostMetadataUpdate peer/);
  }
  assert.equal(st.hosts.get('peer')?.ipv4Addr, '10.0.0.2');
});

test('hostMetadataUpdate/Remove survive the protobuf codec', () => {
  for (const m of [HOSTS[0]!, { kind: 'hostMetadataRemove', hostname: 'peer' } as ToDataplane]) {
    assert.deepEqual(decodeToDataplane(encodeToDataplane(m, 7)), { msg: m, sequenceNumber: 7 });
  }
});

test('with REJECT as deny action: the IPIP and IPv6 VXLAN drops reject, the IPv4 VXLAN drop stays DROP (static.go)', () => {
  const d = run(HOSTS, {
    ipipEnabled: true,
    vxlanEnabled: true,
    vxlanEnabledV6: true,
    iptablesFilterDenyAction: 'REJECT',
  });
  const input = (family: 4 | 6): string[] =>
    d.tables
      .find((t) => t.table === 'filter' && t.family === family)!
      .chains.get('cali-INPUT')!
      .rules.map((r) => r.body);
  assert.deepEqual(input(4).slice(0, 4), [
    '-m comment --comment "Allow IPIP packets from Calico hosts" -p 4 -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Reject IPIP packets from non-Calico hosts" -p 4 --jump REJECT',
    '-m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -p 17 -m multiport --destination-ports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -p 17 -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump DROP',
  ]);
  assert.deepEqual(input(6).slice(0, 2), [
    '-m comment --comment "Allow IPv6 VXLAN packets from allowed hosts" -p 17 -m multiport --destination-ports 4789 -m set --match-set cali60all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Reject IPv6 VXLAN packets from non-allowed hosts" -p 17 -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump REJECT',
  ]);
});

test('the sets are rebuilt only when a host or their config inputs change (the same member set otherwise)', () => {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(HOSTS), []);
  const cfg = defaultCompilerConfig({ hostname: 'me', ipipEnabled: true, ipv6Support: false });
  const first = compile(st, cfg).ipsets.get('cali40all-hosts-net')!.members;
  st.apply({
    kind: 'ipamPoolUpdate',
    id: '10.65.0.0-16',
    pool: { cidr: '10.65.0.0/16', masquerade: true, ipipMode: 'Always', vxlanMode: '', allowedUses: [] },
  });
  assert.equal(compile(st, cfg).ipsets.get('cali40all-hosts-net')!.members, first, 'a pool change reuses it');
  const ext = compile(st, { ...cfg, externalNodesCidrs: ['192.0.2.0/24'] }).ipsets.get(
    'cali40all-hosts-net',
  )!;
  assert.ok(ext.members.has('192.0.2.0/24'));
  st.apply({ kind: 'hostMetadataRemove', hostname: 'plain' });
  const after = compile(st, cfg).ipsets.get('cali40all-hosts-net')!.members;
  assert.deepEqual([...after].sort(), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(
    [...first].sort(),
    ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
    'an earlier result is never changed',
  );
});
