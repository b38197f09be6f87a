// NAT options as Felix v3.32.1 renders them (felix/rules/nat.go NATOutgoingChain, DNATsToIptablesChains,
// SNATsToIptablesChains; felix/rules/static.go StaticNATPostroutingChains and WireguardIncomingMarkChain;
// felix/iptables/actions.go SNAT/Masq): NATOutgoingAddress, NATPortRange, NATOutgoingExclusions,
// IptablesNATOutgoingInterfaceFilter, floating IPs, tunnel masquerade, and the detected features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  type CompilerConfig,
} from '../../../../rules/compiler/index.js';
import type { ToDataplane, WorkloadEndpoint } from '../../../../rules/dataplane-api/types.js';
import type { DesiredState, TableName } from '../../../../rules/model.js';
import {
  computeFeatures,
  parseIptablesVersion,
  parseKernelVersion,
} from '../../../../rules/backend/features.js';

const POOL: ToDataplane = {
  kind: 'ipamPoolUpdate',
  id: '10.65.0.0-16',
  pool: { cidr: '10.65.0.0/16', masquerade: true, ipipMode: '', vxlanMode: '', allowedUses: [] },
};
const MATCH = '-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40network-ip-pools dst';

function bodies(d: DesiredState, table: TableName, chain: string, family: 4 | 6 = 4): string[] {
  const t = d.tables.find((x) => x.table === table && x.family === family)!;
  return t.chains.get(chain)?.rules.map((r) => r.body) ?? [];
}

function run(msgs: ToDataplane[], over: Partial<CompilerConfig>): DesiredState {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll([...msgs, { kind: 'inSync' }]), []);
  return compile(st, defaultCompilerConfig({ ipv6Support: false, ...over }));
}

test('NATOutgoingAddress SNATs (with --random-fully when SNATFullyRandom), MASQUERADE otherwise', () => {
  assert.deepEqual(bodies(run([POOL], {}), 'nat', 'cali-nat-outgoing'), [
    `${MATCH} --jump MASQUERADE --random-fully`,
  ]);
  assert.deepEqual(bodies(run([POOL], { natOutgoingAddress: '192.0.2.9' }), 'nat', 'cali-nat-outgoing'), [
    `${MATCH} --jump SNAT --to-source 192.0.2.9 --random-fully`,
  ]);
  assert.deepEqual(
    bodies(
      run([POOL], { natOutgoingAddress: '192.0.2.9', snatFullyRandom: false }),
      'nat',
      'cali-nat-outgoing',
    ),
    [`${MATCH} --jump SNAT --to-source 192.0.2.9`],
  );
});

test('NATPortRange: tcp and udp get --to-ports then RETURN, the rest the default action (felix/rules/nat.go)', () => {
  const d = run([POOL], { natPortRange: { min: 20000, max: 29999 }, masqFullyRandom: false });
  assert.deepEqual(bodies(d, 'nat', 'cali-nat-outgoing'), [
    `${MATCH} -p tcp --jump MASQUERADE --to-ports 20000-29999`,
    `${MATCH} -p tcp --jump RETURN`,
    `${MATCH} -p udp --jump MASQUERADE --to-ports 20000-29999`,
    `${MATCH} -p udp --jump RETURN`,
    `${MATCH} --jump MASQUERADE`,
  ]);
  const s = run([POOL], {
    natPortRange: { min: 5000, max: 5000 },
    natOutgoingAddress: '192.0.2.9',
    snatFullyRandom: false,
  });
  assert.equal(
    bodies(s, 'nat', 'cali-nat-outgoing')[0],
    `${MATCH} -p tcp --jump SNAT --to-source 192.0.2.9:5000-5000`,
  );
});

test('NATOutgoingExclusions=IPPoolsAndHostIPs and the interface filter extend the match; all-hosts-net is programmed empty', () => {
  const d = run([POOL], { natOutgoingExclusions: 'IPPoolsAndHostIPs', natOutgoingInterfaceFilter: 'eth+' });
  assert.deepEqual(bodies(d, 'nat', 'cali-nat-outgoing'), [
    `${MATCH} -m set ! --match-set cali40all-hosts-net dst --out-interface eth+ --jump MASQUERADE --random-fully`,
  ]);
  assert.equal(d.ipsets.get('cali40all-hosts-net')?.members.size, 0);
  assert.throws(
    () => defaultCompilerConfig({ natOutgoingInterfaceFilter: 'eth0 -j ACCEPT' }),
    /natOutgoingInterfaceFilter/,
  );
  assert.throws(() => defaultCompilerConfig({ natOutgoingAddress: '2001:db8::1' }), /natOutgoingAddress/);
  assert.throws(() => defaultCompilerConfig({ natPortRange: { min: 9, max: 3 } }), /natPortRange/);
});

test('tunnel masquerade rules follow cali-nat-outgoing in cali-POSTROUTING, in Felix order', () => {
  const d = run([], { tunnelMasqInterfaces: { v4: ['tunl0', 'vxlan.calico', 'wireguard.cali'], v6: [] } });
  const tail =
    '-m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL --jump MASQUERADE --random-fully';
  assert.deepEqual(bodies(d, 'nat', 'cali-POSTROUTING'), [
    '--jump cali-fip-snat',
    '--jump cali-nat-outgoing',
    `--out-interface tunl0 ${tail}`,
    `--out-interface vxlan.calico ${tail}`,
    `--out-interface wireguard.cali ${tail}`,
  ]);
});

const wep = (name: string, nat: { extIp: string; intIp: string }[], orch = 'k8s'): ToDataplane => {
  const endpoint: WorkloadEndpoint = {
    state: 'active',
    name,
    profileIds: [],
    ipv4Nets: [],
    ipv6Nets: [],
    tiers: [],
    ipv4Nat: nat,
  };
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: orch, workloadId: `ns/${name}`, endpointId: 'eth0' },
    endpoint,
  };
};

test('floating IPs: off by default (except OpenStack); on, the smallest internal IP wins a clash; bad pairs are skipped', () => {
  const msgs = [
    wep('cali1', [{ extIp: '203.0.113.5', intIp: '10.65.0.9' }]),
    wep('cali2', [
      { extIp: '203.0.113.5', intIp: '10.65.0.10' },
      { extIp: '203.0.113.7', intIp: 'x;y' },
    ]),
  ];
  assert.deepEqual(bodies(run(msgs, {}), 'nat', 'cali-fip-dnat'), []);
  const on = run(msgs, { floatingIPs: true, snatFullyRandom: false });
  // Go compares strings: "10.65.0.10" < "10.65.0.9".
  assert.deepEqual(bodies(on, 'nat', 'cali-fip-dnat'), [
    '--destination 203.0.113.5 --jump DNAT --to-destination 10.65.0.10',
  ]);
  assert.deepEqual(bodies(on, 'nat', 'cali-fip-snat'), [
    '--destination 10.65.0.10 --source 10.65.0.10 --jump SNAT --to-source 203.0.113.5',
  ]);
  const os = run([wep('cali3', [{ extIp: '203.0.113.8', intIp: '10.65.0.3' }], 'openstack')], {});
  assert.equal(bodies(os, 'nat', 'cali-fip-dnat').length, 1);
});

test('WireGuard takes the sixth mark bit; with host encryption raw cali-PREROUTING jumps to cali-wireguard-incoming-mark', () => {
  const d = run([], { wireguardEnabled: true, wireguardHostEncryption: true });
  assert.equal(bodies(d, 'raw', 'cali-PREROUTING')[1], '--jump cali-wireguard-incoming-mark');
  assert.deepEqual(bodies(d, 'raw', 'cali-wireguard-incoming-mark'), [
    '--in-interface lo --jump RETURN',
    '--in-interface wireguard.cali --jump RETURN',
    '--in-interface wg-v6.cali --jump RETURN',
    '--in-interface cali+ --jump RETURN',
    '--jump MARK --set-mark 0x200000/0x200000',
  ]);
  const off = run([], { wireguardEnabled: true });
  assert.notEqual(bodies(off, 'raw', 'cali-PREROUTING')[1], '--jump cali-wireguard-incoming-mark');
});

test('feature detection: versions parsed as Felix does, thresholds, and FeatureDetectOverride', () => {
  assert.deepEqual(parseIptablesVersion('iptables v1.8.9 (nf_tables)\n'), [1, 8, 9]);
  assert.deepEqual(parseKernelVersion('Linux version 6.1.0-35-amd64 (debian-kernel@…)'), [6, 1, 0, 35]);
  assert.equal(parseIptablesVersion('garbage'), undefined);
  const f = (ipt: number[], ker: number[], o = {}) => computeFeatures(ipt, ker, o).features;
  assert.deepEqual(f([1, 6, 1], [4, 0, 0]), { snatFullyRandom: true, masqFullyRandom: false });
  assert.deepEqual(f([1, 8, 9], [3, 13, 0]), { snatFullyRandom: false, masqFullyRandom: false });
  assert.deepEqual(f([1, 8, 9], [6, 1, 0]), { snatFullyRandom: true, masqFullyRandom: true });
  const o = computeFeatures([1, 8, 9], [6, 1, 0], {
    MASQFullyRandom: 'false',
    Bogus: 'true',
    SNATFullyRandom: 'maybe',
  });
  assert.deepEqual(o.features, { snatFullyRandom: true, masqFullyRandom: false });
  assert.deepEqual(
    o.notices.map((n) => n.message),
    [
      'Overriding feature detection flag',
      'Unknown feature detection flag; ignoring',
      'Failed to parse value for feature detection override; ignoring',
    ],
  );
});
