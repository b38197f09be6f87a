// The raw table (rules/compiler/raw-table.ts; felix/rules/static.go StaticRawTableChains and its tests in
// felix/rules/static_test.go, felix/dataplane/linux/endpoint_mgr.go updateRPFSkipChain,
// felix/dataplane/linux/int_dataplane.go setUpIptablesNormal). Bodies follow Felix's renderings; hashes
// are checked against hashes read from real clusters where those exist (calico#10470, calico#6522,
// calico#5978: Felix <= v3.29 mark layout), and otherwise are Felix's chained hash of Felix's bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DataplaneState,
  compile,
  compileWithReport,
  defaultCompilerConfig,
  renderRestoreText,
  ruleHashes,
  type CompilerConfig,
} from '../../../../rules/compiler/index.js';
import { compileRawTable, rawFailsafeChains } from '../../../../rules/compiler/raw-table.js';
import type { TableInput } from '../../../../rules/compiler/table.js';
import { tierPlanner } from '../../../../rules/compiler/tier-planner.js';
import type { ToDataplane, WorkloadEndpoint } from '../../../../rules/dataplane-api/types.js';
import type { DesiredState, TableState } from '../../../../rules/model.js';

function wep(name: string, ep: Partial<WorkloadEndpoint> = {}, workload = name): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: `ns/${workload}`, endpointId: 'eth0' },
    endpoint: { state: 'active', name, profileIds: [], ipv4Nets: [], ipv6Nets: [], tiers: [], ...ep },
  };
}

function compiled(msgs: ToDataplane[], over: Partial<CompilerConfig> = {}): DesiredState {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  return compile(st, defaultCompilerConfig(over));
}

const raw = (d: DesiredState, family: 4 | 6): TableState => {
  const t = d.tables.find((x) => x.table === 'raw' && x.family === family);
  assert.ok(t, `raw table v${family} present`);
  return t;
};
const bodies = (t: TableState, chain: string): string[] => {
  const c = t.chains.get(chain);
  assert.ok(c, `chain ${chain} present`);
  return c.rules.map((r) => r.body);
};
/** Bodies must be exactly `want`, and the hashes Felix's chained hashes of those bodies. */
function assertChain(t: TableState, chain: string, want: string[]): void {
  assert.deepEqual(bodies(t, chain), want, chain);
  assert.deepEqual(
    t.chains.get(chain)!.rules.map((r) => r.hash),
    ruleHashes(chain, want),
    `${chain} hashes`,
  );
}

// v3.32.1 marks with the default IptablesMarkMask 0xffff0000 (felix/dataplane/driver.go): accept 0x10000,
// pass 0x20000, drop 0x40000, scratch0 0x80000, scratch1 0x100000; all Calico bits 0x1b0000.
const PREROUTING = [
  '--jump MARK --set-mark 0/0x1b0000',
  '--in-interface cali+ --jump MARK --set-mark 0x80000/0x80000',
  '-m mark --mark 0x80000/0x80000 --jump cali-rpf-skip',
  '-m mark --mark 0x80000/0x80000 -m rpfilter --invert --validmark --jump DROP',
  '-m mark --mark 0/0x80000 --jump cali-from-host-endpoint',
  '-m mark --mark 0x10000/0x10000 --jump ACCEPT',
];
const OUTPUT = [
  '--jump MARK --set-mark 0/0x1b0000',
  '--jump cali-to-host-endpoint',
  '-m mark --mark 0x10000/0x10000 --jump ACCEPT',
];

test('real-cluster hashes: with Felix <= v3.29 marks, cali-PREROUTING, cali-OUTPUT and the hooks hash as seen in the wild', () => {
  const cfg = defaultCompilerConfig({ ipv6Support: false });
  const st = new DataplaneState();
  const input: TableInput = {
    state: st,
    cfg,
    // v3.29's layout (no drop bit between pass and scratch0): scratch0 0x40000, all bits 0xf0000.
    marks: {
      accept: 0x10000,
      pass: 0x20000,
      drop: 0x800000,
      scratch0: 0x40000,
      scratch1: 0x80000,
      wireguard: 0,
      endpoint: 0xff000000,
      allCalico: 0xf0000,
    },
    family: 4,
    sink: { ipsets: new Map(), warnings: [] },
    planned: tierPlanner(st),
    cfgKey: JSON.stringify(cfg),
  };
  const t = compileRawTable(input);
  const hashes = (c: string): string[] => t.chains.get(c)!.rules.map((r) => r.hash);
  // calico#10470 (iptables -t raw -L cali-PREROUTING): rules 1-4.
  assert.deepEqual(hashes('cali-PREROUTING').slice(0, 4), [
    'XFX5xbM8B9qR10JG',
    'EWMPb0zVROM-woQp',
    'PWuxTAIaFCtsg5Qa',
    'fSSbGND7dgyemWU7',
  ]);
  // calico#6522 (iptables-save): cali-OUTPUT rules 1-2 and both hooks.
  assert.deepEqual(hashes('cali-OUTPUT').slice(0, 2), ['njdnLwYeGqBJyMxW', 'rz86uTUcEZAfFsh7']);
  assert.deepEqual(
    t.inserts.get('PREROUTING')!.map((r) => [r.hash, r.body]),
    [['6gwbT8clXdHdC1b1', '--jump cali-PREROUTING']],
  );
  assert.deepEqual(
    t.inserts.get('OUTPUT')!.map((r) => [r.hash, r.body]),
    [['tVnHkvAo15HuiPy0', '--jump cali-OUTPUT']],
  );
});

test('default config: raw is always programmed for both families, after filter (tables[0] stays filter v4)', () => {
  const d = compiled([]);
  assert.deepEqual(
    d.tables.map((t) => `${t.table}${t.family}`),
    ['filter4', 'raw4', 'mangle4', 'nat4', 'filter6', 'raw6', 'mangle6', 'nat6'],
  );
  for (const fam of [4, 6] as const) {
    const t = raw(d, fam);
    assert.deepEqual(
      [...t.chains.keys()],
      ['cali-OUTPUT', 'cali-PREROUTING', 'cali-from-host-endpoint', 'cali-rpf-skip', 'cali-to-host-endpoint'],
    );
    assertChain(t, 'cali-PREROUTING', PREROUTING);
    assertChain(t, 'cali-OUTPUT', OUTPUT);
    assertChain(t, 'cali-rpf-skip', []);
    assertChain(t, 'cali-from-host-endpoint', []);
    assertChain(t, 'cali-to-host-endpoint', []);
    // Hooks inserted at the top (InsertOrAppendRules with ChainInsertMode=insert).
    assert.deepEqual([...t.inserts.keys()], ['PREROUTING', 'OUTPUT']);
    assert.equal(t.inserts.get('PREROUTING')![0]!.hash, '6gwbT8clXdHdC1b1');
    assert.equal(t.inserts.get('OUTPUT')![0]!.hash, 'tVnHkvAo15HuiPy0');
    assert.equal(t.appends.size, 0);
    assert.ok(renderRestoreText(t).startsWith('*raw\n'));
  }
  // Without IPv6 only the v4 tables.
  assert.deepEqual(
    compiled([], { ipv6Support: false }).tables.map((t) => `${t.table}${t.family}`),
    ['filter4', 'raw4', 'mangle4', 'nat4'],
  );
});

test('VXLAN: NOTRACK for udp/VXLANPort after the mark clear in PREROUTING and after the dispatch in OUTPUT, per family', () => {
  const notrack = '-p udp --dport 4789 --jump NOTRACK';
  const v4only = compiled([], { vxlanEnabled: true });
  const pre = [PREROUTING[0]!, notrack, ...PREROUTING.slice(1)];
  const out = [OUTPUT[0]!, OUTPUT[1]!, notrack, OUTPUT[2]!];
  assertChain(raw(v4only, 4), 'cali-PREROUTING', pre);
  assertChain(raw(v4only, 4), 'cali-OUTPUT', out);
  assertChain(raw(v4only, 6), 'cali-PREROUTING', PREROUTING);
  assertChain(raw(v4only, 6), 'cali-OUTPUT', OUTPUT);
  const v6only = compiled([], { vxlanEnabledV6: true, vxlanPort: 4790 });
  assertChain(raw(v6only, 4), 'cali-PREROUTING', PREROUTING);
  assertChain(raw(v6only, 6), 'cali-PREROUTING', [
    PREROUTING[0]!,
    '-p udp --dport 4790 --jump NOTRACK',
    ...PREROUTING.slice(1),
  ]);
  assertChain(raw(v6only, 6), 'cali-OUTPUT', [
    OUTPUT[0]!,
    OUTPUT[1]!,
    '-p udp --dport 4790 --jump NOTRACK',
    OUTPUT[2]!,
  ]);
});

test('a spoofing workload: cali-rpf-skip accepts its prefixes per family, interfaces sorted; only with WorkloadSourceSpoofing=Any', () => {
  const msgs = [
    wep('calib', { allowSpoofedSourcePrefixes: ['10.99.0.0/16', 'fd00:99::/64', '10.98.0.5/24'] }),
    wep('calia', { allowSpoofedSourcePrefixes: ['192.168.5.0/24'] }),
    wep('calic'),
  ];
  const on = compiled(msgs, { workloadSourceSpoofing: 'Any' });
  assertChain(raw(on, 4), 'cali-rpf-skip', [
    '--in-interface calia --source 192.168.5.0/24 --jump ACCEPT',
    '--in-interface calib --source 10.99.0.0/16 --jump ACCEPT',
    // Felix's string keeps the host bits (libcalico-go IPNet.String()).
    '--in-interface calib --source 10.98.0.5/24 --jump ACCEPT',
  ]);
  assertChain(raw(on, 6), 'cali-rpf-skip', ['--in-interface calib --source fd00:99::/64 --jump ACCEPT']);
  // The rest of the table is unchanged by workloads.
  assertChain(raw(on, 4), 'cali-PREROUTING', PREROUTING);
  assert.deepEqual(
    [...on.workloadInterfaces!.entries()],
    [
      ['calia', { allowSpoofing: true }],
      ['calib', { allowSpoofing: true }],
      ['calic', { allowSpoofing: false }],
    ],
  );
  const off = compiled(msgs, { workloadSourceSpoofing: 'Disabled' });
  assertChain(raw(off, 4), 'cali-rpf-skip', []);
  assertChain(raw(off, 6), 'cali-rpf-skip', []);
  assert.ok([...off.workloadInterfaces!.values()].every((w) => !w.allowSpoofing));
});

test('a malformed spoofed prefix is skipped with a warning naming the interface; the others stay', () => {
  const st = new DataplaneState();
  st.applyAll([
    wep('calix', { allowSpoofedSourcePrefixes: ['10.1.0.0/16', '10.2.0.0/99', 'x -A INPUT -j ACCEPT'] }),
  ]);
  const { desired, warnings } = compileWithReport(
    st,
    defaultCompilerConfig({ workloadSourceSpoofing: 'Any', ipv6Support: false }),
  );
  assertChain(raw(desired, 4), 'cali-rpf-skip', ['--in-interface calix --source 10.1.0.0/16 --jump ACCEPT']);
  assert.deepEqual(
    warnings.filter((w) => w.includes('allowSpoofedSourcePrefixes')),
    [
      'workload calix: allowSpoofedSourcePrefixes entry "10.2.0.0/99" is not a CIDR; skipped',
      'workload calix: allowSpoofedSourcePrefixes entry "x -A INPUT -j ACCEPT" is not a CIDR; skipped',
    ],
  );
});

test('a duplicated interface: the first endpoint in key order gives the rpf-skip rules', () => {
  const d = compiled(
    [
      wep('calid', { allowSpoofedSourcePrefixes: ['10.7.0.0/16'] }, 'zzz'),
      wep('calid', { allowSpoofedSourcePrefixes: ['10.6.0.0/16'] }, 'aaa'),
    ],
    { workloadSourceSpoofing: 'Any', ipv6Support: false },
  );
  assertChain(raw(d, 4), 'cali-rpf-skip', ['--in-interface calid --source 10.6.0.0/16 --jump ACCEPT']);
});

test('raw failsafe chains: own ports by destination, the other direction by source port, CIDRs per family (static_test.go)', () => {
  // Felix's static_test.go configuration.
  const cfg = defaultCompilerConfig({
    failsafeInboundHostPorts: [
      { net: '0.0.0.0/0', protocol: 'tcp', port: 22 },
      { net: '10.0.0.0/24', protocol: 'tcp', port: 1022 },
      { net: '::/0', protocol: 'tcp', port: 1022 },
    ],
    failsafeOutboundHostPorts: [
      { net: '0.0.0.0/0', protocol: 'tcp', port: 23 },
      { net: '0.0.0.0/0', protocol: 'tcp', port: 1023 },
    ],
  });
  const chains = (family: 4 | 6) =>
    new Map(rawFailsafeChains({ cfg, family } as TableInput).map((c) => [c.name, c.rules.length]));
  const render = (family: 4 | 6, name: string): string[] => {
    const c = rawFailsafeChains({ cfg, family } as TableInput).find((x) => x.name === name)!;
    return c.rules.map((r) => [...r.match, r.action!.frag].join(' '));
  };
  assert.deepEqual(render(4, 'cali-failsafe-in'), [
    '-p tcp -m multiport --destination-ports 22 --source 0.0.0.0/0 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 1022 --source 10.0.0.0/24 --jump ACCEPT',
    '-p tcp -m multiport --source-ports 23 --source 0.0.0.0/0 --jump ACCEPT',
    '-p tcp -m multiport --source-ports 1023 --source 0.0.0.0/0 --jump ACCEPT',
  ]);
  assert.deepEqual(render(4, 'cali-failsafe-out'), [
    '-p tcp -m multiport --destination-ports 23 --destination 0.0.0.0/0 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 1023 --destination 0.0.0.0/0 --jump ACCEPT',
    '-p tcp -m multiport --source-ports 22 --destination 0.0.0.0/0 --jump ACCEPT',
    '-p tcp -m multiport --source-ports 1022 --destination 10.0.0.0/24 --jump ACCEPT',
  ]);
  assert.deepEqual(render(6, 'cali-failsafe-in'), [
    '-p tcp -m multiport --destination-ports 1022 --source ::/0 --jump ACCEPT',
  ]);
  assert.deepEqual(render(6, 'cali-failsafe-out'), [
    '-p tcp -m multiport --source-ports 1022 --destination ::/0 --jump ACCEPT',
  ]);
  assert.deepEqual([...chains(4).keys()], ['cali-failsafe-in', 'cali-failsafe-out']);
  // Not referenced while no untracked host-endpoint policy uses them: not programmed.
  assert.equal(raw(compiled([], {}), 4).chains.has('cali-failsafe-in'), false);
});

test('ChainInsertMode=append appends both hooks; another mark mask moves the bits; REJECT still DROPs in raw', () => {
  const d = compiled([], {
    ipv6Support: false,
    chainInsertMode: 'append',
    iptablesMarkMask: 0x1f00,
    iptablesFilterDenyAction: 'REJECT',
    interfacePrefixes: ['cali', 'tap'],
  });
  const t = raw(d, 4);
  assert.equal(t.inserts.size, 0);
  assert.deepEqual(
    [...t.appends.entries()].map(([k, rs]) => [k, rs.map((r) => [r.hash, r.body])]),
    [
      ['PREROUTING', [['6gwbT8clXdHdC1b1', '--jump cali-PREROUTING']]],
      ['OUTPUT', [['tVnHkvAo15HuiPy0', '--jump cali-OUTPUT']]],
    ],
  );
  // accept 0x100, pass 0x200, drop 0x400, scratch0 0x800, scratch1 0x1000.
  assertChain(t, 'cali-PREROUTING', [
    '--jump MARK --set-mark 0/0x1b00',
    '--in-interface cali+ --jump MARK --set-mark 0x800/0x800',
    '--in-interface tap+ --jump MARK --set-mark 0x800/0x800',
    '-m mark --mark 0x800/0x800 --jump cali-rpf-skip',
    // The kernel refuses REJECT outside the filter table (calico#7914, calico#12036).
    '-m mark --mark 0x800/0x800 -m rpfilter --invert --validmark --jump DROP',
    '-m mark --mark 0/0x800 --jump cali-from-host-endpoint',
    '-m mark --mark 0x100/0x100 --jump ACCEPT',
  ]);
});
