// Conformance: felix/rules/static_test.go (Calico v3.32.1). The static chains of each table, rendered by the
// table compilers from an empty dataplane state with the test's marks (accept 0x10, pass 0x20, scratch0 0x40,
// scratch1 0x80, drop 0x200, endpoint 0xff000), for every Describe felix-ts's configuration can express. The
// "with default config" and "with IPIP enabled" Describes run twice in Felix, DROP with kubeIPVSEnabled=false and
// REJECT with kubeIPVSEnabled=true: the chains IPVS does not change are checked for both deny actions, the
// IPVS-only chains are listed in README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IpFamily, TableState } from '../../rules/model.js';
import {
  DataplaneState,
  defaultCompilerConfig,
  type CompilerConfig,
  type MarkBits,
} from '../../rules/compiler/index.js';
import { compileFilterTable } from '../../rules/compiler/filter-table.js';
import { compileRawTable } from '../../rules/compiler/raw-table.js';
import { compileMangleTable } from '../../rules/compiler/mangle-table.js';
import { compileNatTable } from '../../rules/compiler/nat-table.js';
import { tierPlanner } from '../../rules/compiler/tier-planner.js';
import type { TableCompiler } from '../../rules/compiler/table.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { comment, hep } from './helpers.js';

// The failsafe chains are programmed only once a host endpoint chain refers to them (felix-ts keeps only the
// reachable chains, as Felix's table does): one host endpoint, with an (empty) untracked tier for raw.
const EMPTY_TIER = { name: 'default', ingressPolicies: [], egressPolicies: [] };
const HEP = [hep('h', { name: 'eth0', tiers: [EMPTY_TIER], untrackedTiers: [EMPTY_TIER] })];

const MARKS: MarkBits = {
  accept: 0x10,
  pass: 0x20,
  scratch0: 0x40,
  scratch1: 0x80,
  drop: 0x200,
  wireguard: 0,
  endpoint: 0xff000,
  allCalico: 0xf0,
};

/** The default config's failsafe ports (static_test.go "with default config"). */
const DEFAULT_FAILSAFES: Partial<CompilerConfig> = {
  failsafeInboundHostPorts: [
    { net: '0.0.0.0/0', protocol: 'tcp', port: 22 },
    { net: '10.0.0.0/24', protocol: 'tcp', port: 1022 },
    { net: '::/0', protocol: 'tcp', port: 1022 },
  ],
  failsafeOutboundHostPorts: [
    { net: '0.0.0.0/0', protocol: 'tcp', port: 23 },
    { net: '0.0.0.0/0', protocol: 'tcp', port: 1023 },
  ],
};

const TABLES: Record<string, TableCompiler> = {
  filter: compileFilterTable,
  raw: compileRawTable,
  mangle: compileMangleTable,
  nat: compileNatTable,
};

/** One table of one family for an empty dataplane, with the test's marks. */
function table(
  name: string,
  family: IpFamily,
  over: Partial<CompilerConfig>,
  marks = MARKS,
  msgs: ToDataplane[] = [],
): TableState {
  // Felix's test Config leaves EndpointToHostAction unset, which renders RETURN; no MASQUERADE --random-fully.
  const cfg = defaultCompilerConfig({
    defaultEndpointToHostAction: 'RETURN',
    masqFullyRandom: false,
    tunnelMasqInterfaces: { v4: [], v6: [] },
    ...over,
  });
  const state = new DataplaneState();
  assert.deepEqual(state.applyAll(msgs), []);
  const input = {
    state,
    cfg,
    marks,
    family,
    sink: { ipsets: new Map(), warnings: [] as string[] },
    planned: tierPlanner(state),
    cfgKey: JSON.stringify(cfg),
  };
  return (TABLES[name] as TableCompiler)(input);
}

function chain(t: TableState, name: string): string[] | undefined {
  return t.chains.get(name)?.rules.map((r) => r.body);
}

const DENY = ['DROP', 'REJECT'] as const;
type Deny = (typeof DENY)[number];
const FAMILIES: readonly IpFamily[] = [4, 6];

const ACCEPT_MARK = '-m mark --mark 0x10/0x10';
const HEP_ACCEPTED = (allow = 'ACCEPT'): string =>
  `${comment('Host endpoint policy accepted packet.')} ${ACCEPT_MARK} --jump ${allow}`;

/** checkManglePostrouting (kubeIPVSEnabled=false). */
const manglePostrouting = (v: IpFamily): string[] => [
  `${comment('set dscp for traffic leaving cluster.')} -m set --match-set cali${v}0dscp-src-net src -m set ! --match-set cali${v}0network-ip-pools dst -m set ! --match-set cali${v}0this-host dst --jump cali-egress-dscp`,
  `${ACCEPT_MARK} --jump RETURN`,
  '--jump MARK --set-mark 0/0xf0',
  '-m conntrack --ctstate DNAT --jump cali-to-host-endpoint',
  `${comment('Host endpoint policy accepted packet.')} ${ACCEPT_MARK} --jump RETURN`,
];

const forwardChain = [
  '--jump MARK --set-mark 0/0xe0',
  '-m mark --mark 0/0x10 --jump cali-from-hep-forward',
  '--in-interface cali+ --jump cali-from-wl-dispatch',
  '--out-interface cali+ --jump cali-to-wl-dispatch',
  '--jump cali-to-hep-forward',
  '--jump cali-cidr-block',
];
const inputChain = (allow = 'ACCEPT', head: string[] = []): string[] => [
  ...head,
  '--in-interface cali+ --goto cali-wl-to-host',
  `${ACCEPT_MARK} --jump ${allow}`,
  '--jump MARK --set-mark 0/0xf0',
  '--jump cali-from-host-endpoint',
  HEP_ACCEPTED(allow),
];
const outputChain = (allow = 'ACCEPT', encap: string[] = []): string[] => [
  `${ACCEPT_MARK} --jump ${allow}`,
  '--out-interface cali+ --jump RETURN',
  ...encap,
  '--jump MARK --set-mark 0/0xf0',
  '-m conntrack ! --ctstate DNAT --jump cali-to-host-endpoint',
  HEP_ACCEPTED(allow),
];

const failsafeIn = (v: IpFamily): string[] =>
  v === 4
    ? [
        '-p tcp -m multiport --destination-ports 22 --source 0.0.0.0/0 --jump ACCEPT',
        '-p tcp -m multiport --destination-ports 1022 --source 10.0.0.0/24 --jump ACCEPT',
      ]
    : ['-p tcp -m multiport --destination-ports 1022 --source ::/0 --jump ACCEPT'];
const failsafeOut = (v: IpFamily): string[] =>
  v === 4
    ? [
        '-p tcp -m multiport --destination-ports 23 --destination 0.0.0.0/0 --jump ACCEPT',
        '-p tcp -m multiport --destination-ports 1023 --destination 0.0.0.0/0 --jump ACCEPT',
      ]
    : [];
const rawFailsafeIn = (v: IpFamily): string[] =>
  v === 4
    ? [
        ...failsafeIn(4),
        '-p tcp -m multiport --source-ports 23 --source 0.0.0.0/0 --jump ACCEPT',
        '-p tcp -m multiport --source-ports 1023 --source 0.0.0.0/0 --jump ACCEPT',
      ]
    : failsafeIn(6);
const rawFailsafeOut = (v: IpFamily): string[] =>
  v === 4
    ? [
        ...failsafeOut(4),
        '-p tcp -m multiport --source-ports 22 --destination 0.0.0.0/0 --jump ACCEPT',
        '-p tcp -m multiport --source-ports 1022 --destination 10.0.0.0/24 --jump ACCEPT',
      ]
    : ['-p tcp -m multiport --source-ports 1022 --destination ::/0 --jump ACCEPT'];

/** StaticRawPreroutingChain; `rpfDeny` is the action Felix renders (see the REJECT note below). */
const rawPrerouting = (rpfDeny: string, extra: { wireguard?: boolean; vxlan?: boolean } = {}): string[] => [
  '--jump MARK --set-mark 0/0xf0',
  ...(extra.wireguard ? ['--jump cali-wireguard-incoming-mark'] : []),
  ...(extra.vxlan ? ['-p udp --dport 4789 --jump NOTRACK'] : []),
  '--in-interface cali+ --jump MARK --set-mark 0x40/0x40',
  '-m mark --mark 0x40/0x40 --jump cali-rpf-skip',
  `-m mark --mark 0x40/0x40 -m rpfilter --invert --validmark --jump ${rpfDeny}`,
  '-m mark --mark 0/0x40 --jump cali-from-host-endpoint',
  `${ACCEPT_MARK} --jump ACCEPT`,
];
const rawOutput = (vxlan = false): string[] => [
  '--jump MARK --set-mark 0/0xf0',
  '--jump cali-to-host-endpoint',
  ...(vxlan ? ['-p udp --dport 4789 --jump NOTRACK'] : []),
  `${ACCEPT_MARK} --jump ACCEPT`,
];
const manglePrerouting = [
  '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
  `${ACCEPT_MARK} --jump ACCEPT`,
  '--jump cali-from-host-endpoint',
  HEP_ACCEPTED(),
];
const wlToHost = (v: IpFamily): string[] => [
  ...(v === 6
    ? [130, 131, 132, 133, 135, 136].map((t) => `-p 58 -m icmp6 --icmpv6-type ${t} --jump ACCEPT`)
    : []),
  '--jump cali-from-wl-dispatch',
  `${comment('Configured DefaultEndpointToHostAction')} --jump RETURN`,
];
const natPostrouting = (masq: string[] = []): string[] => [
  '--jump cali-fip-snat',
  '--jump cali-nat-outgoing',
  ...masq.map(
    (i) =>
      `--out-interface ${i} -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL --jump MASQUERADE`,
  ),
];

const cfgFor = (deny: Deny, over: Partial<CompilerConfig> = {}): Partial<CompilerConfig> => ({
  ...DEFAULT_FAILSAFES,
  iptablesFilterDenyAction: deny,
  ...over,
});

// ---- Describe("with default config and IPVS=false|true") ----
for (const deny of DENY) {
  const ipvs = deny === 'REJECT';
  const at = `default config, IPVS=${ipvs} (${deny})`;
  for (const v of FAMILIES) {
    const filter = (): TableState => table('filter', v, cfgFor(deny));
    if (!ipvs)
      test(`static_test.go ${at} IPv${v}: cali-POSTROUTING in the mangle table`, () => {
        assert.deepEqual(chain(table('mangle', v, cfgFor(deny)), 'cali-POSTROUTING'), manglePostrouting(v));
      });
    test(`static_test.go ${at} IPv${v}: forward chain`, () => {
      assert.deepEqual(chain(filter(), 'cali-FORWARD'), forwardChain);
    });
    if (!ipvs) {
      test(`static_test.go ${at} IPv${v}: input chain`, () => {
        assert.deepEqual(chain(filter(), 'cali-INPUT'), inputChain());
      });
      test(`static_test.go ${at} IPv${v}: output chain`, () => {
        assert.deepEqual(chain(filter(), 'cali-OUTPUT'), outputChain());
      });
      test(`static_test.go ${at} IPv${v}: no forward-check and forward-endpoint-mark chains`, () => {
        assert.equal(chain(filter(), 'cali-forward-check'), undefined);
        assert.equal(chain(filter(), 'cali-forward-endpoint-mark'), undefined);
      });
    }
    test(`static_test.go ${at} IPv${v}: failsafe-in and failsafe-out chains`, () => {
      const t = table('filter', v, cfgFor(deny), MARKS, HEP);
      assert.deepEqual(chain(t, 'cali-failsafe-in'), failsafeIn(v));
      assert.deepEqual(chain(t, 'cali-failsafe-out'), failsafeOut(v));
    });
    test(`static_test.go ${at} IPv${v}: raw OUTPUT, failsafe in and failsafe out chains`, () => {
      assert.deepEqual(chain(table('raw', v, cfgFor(deny)), 'cali-OUTPUT'), rawOutput());
      const raw = table('raw', v, cfgFor(deny), MARKS, HEP);
      assert.deepEqual(chain(raw, 'cali-failsafe-in'), rawFailsafeIn(v));
      assert.deepEqual(chain(raw, 'cali-failsafe-out'), rawFailsafeOut(v));
    });
    test(`static_test.go ${at} IPv${v}: raw PREROUTING chain`, () => {
      // Felix renders the RPF drop with IptablesFilterDenyAction; the kernel refuses REJECT in the raw table,
      // so felix-ts keeps DROP there (a known difference, README.md).
      assert.deepEqual(chain(table('raw', v, cfgFor(deny)), 'cali-PREROUTING'), rawPrerouting('DROP'));
    });
    test(`static_test.go ${at} IPv${v}: mangle PREROUTING chain`, () => {
      assert.deepEqual(chain(table('mangle', v, cfgFor(deny)), 'cali-PREROUTING'), manglePrerouting);
    });
    test(`static_test.go ${at} IPv${v}: workload-to-host chain`, () => {
      assert.deepEqual(chain(filter(), 'cali-wl-to-host'), wlToHost(v));
    });
  }
  test(`static_test.go ${at} IPv4: NAT PREROUTING, POSTROUTING and OUTPUT chains`, () => {
    const nat = table('nat', 4, cfgFor(deny));
    assert.deepEqual(chain(nat, 'cali-PREROUTING'), ['--jump cali-fip-dnat']);
    assert.deepEqual(chain(nat, 'cali-POSTROUTING'), natPostrouting());
    assert.deepEqual(chain(nat, 'cali-OUTPUT'), ['--jump cali-fip-dnat']);
  });
}

// ---- Describe("with IPIP enabled and IPVS=false|true") ----
const IPIP_INPUT = (deny: Deny): string[] => [
  `${comment('Allow IPIP packets from Calico hosts')} -p 4 -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL --jump ACCEPT`,
  `${comment(`${deny === 'DROP' ? 'Drop' : 'Reject'} IPIP packets from non-Calico hosts`)} -p 4 --jump ${deny}`,
];
const IPIP_OUTPUT = [
  `${comment('Allow IPIP packets to other Calico hosts')} -p 4 -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL --jump ACCEPT`,
];
for (const deny of DENY) {
  const ipvs = deny === 'REJECT';
  const at = `IPIP enabled, IPVS=${ipvs} (${deny})`;
  // IPIPTunnelAddress 10.0.0.1: MASQUERADE out of tunl0 (felix-ts: TunnelMasqInterfaces, computed by the agent).
  const ipip = (over: Partial<CompilerConfig> = {}): Partial<CompilerConfig> =>
    cfgFor(deny, { ipipEnabled: true, failsafeInboundHostPorts: [], failsafeOutboundHostPorts: [], ...over });
  if (!ipvs) {
    test(`static_test.go ${at}: cali-POSTROUTING in the mangle table (IPv4)`, () => {
      assert.deepEqual(chain(table('mangle', 4, ipip()), 'cali-POSTROUTING'), manglePostrouting(4));
    });
    test(`static_test.go ${at}: input chains`, () => {
      assert.deepEqual(
        chain(table('filter', 4, ipip()), 'cali-INPUT'),
        inputChain('ACCEPT', IPIP_INPUT(deny)),
      );
      assert.deepEqual(chain(table('filter', 6, ipip()), 'cali-INPUT'), inputChain());
    });
    test(`static_test.go ${at}: output chains`, () => {
      assert.deepEqual(chain(table('filter', 4, ipip()), 'cali-OUTPUT'), outputChain('ACCEPT', IPIP_OUTPUT));
      assert.deepEqual(chain(table('filter', 6, ipip()), 'cali-OUTPUT'), outputChain());
    });
  }
  const tunl = { tunnelMasqInterfaces: { v4: ['tunl0'], v6: [] } };
  test(`static_test.go ${at} IPv4: NAT postrouting chain`, () => {
    assert.deepEqual(chain(table('nat', 4, ipip(tunl)), 'cali-POSTROUTING'), natPostrouting(['tunl0']));
  });
  test(`static_test.go ${at} IPv6: NAT postrouting chain`, () => {
    assert.deepEqual(chain(table('nat', 6, ipip(tunl)), 'cali-POSTROUTING'), natPostrouting());
  });
  const vx4 = ipip({ ...tunl, vxlanEnabled: true });
  if (!ipvs)
    test(`static_test.go ${at} with IPv4 VXLAN: cali-POSTROUTING in the mangle table`, () => {
      assert.deepEqual(chain(table('mangle', 4, vx4), 'cali-POSTROUTING'), manglePostrouting(4));
    });
  test(`static_test.go ${at} with IPv4 VXLAN: NAT postrouting, raw PREROUTING and OUTPUT with NOTRACK`, () => {
    assert.deepEqual(chain(table('nat', 4, vx4), 'cali-POSTROUTING'), natPostrouting(['tunl0']));
    assert.deepEqual(chain(table('raw', 4, vx4), 'cali-PREROUTING'), rawPrerouting('DROP', { vxlan: true }));
    assert.deepEqual(chain(table('raw', 4, vx4), 'cali-OUTPUT'), rawOutput(true));
  });
  test(`static_test.go ${at} with IPv4 VXLAN and tunnel IP: NAT postrouting chain`, () => {
    const c = ipip({ vxlanEnabled: true, tunnelMasqInterfaces: { v4: ['tunl0', 'vxlan.calico'], v6: [] } });
    assert.deepEqual(
      chain(table('nat', 4, c), 'cali-POSTROUTING'),
      natPostrouting(['tunl0', 'vxlan.calico']),
    );
  });
  const vx6 = ipip({ ...tunl, vxlanEnabledV6: true });
  if (!ipvs)
    test(`static_test.go ${at} with IPv6 VXLAN: cali-POSTROUTING in the mangle table`, () => {
      assert.deepEqual(chain(table('mangle', 6, vx6), 'cali-POSTROUTING'), manglePostrouting(6));
    });
  test(`static_test.go ${at} with IPv6 VXLAN: NAT postrouting and raw PREROUTING with NOTRACK`, () => {
    assert.deepEqual(chain(table('nat', 6, vx6), 'cali-POSTROUTING'), natPostrouting());
    assert.deepEqual(chain(table('raw', 6, vx6), 'cali-PREROUTING'), rawPrerouting('DROP', { vxlan: true }));
  });
  test(`static_test.go ${at} with IPv6 VXLAN and tunnel IP: NAT postrouting chain`, () => {
    const c = ipip({
      vxlanEnabledV6: true,
      tunnelMasqInterfaces: { v4: ['tunl0'], v6: ['vxlan-v6.calico'] },
    });
    assert.deepEqual(chain(table('nat', 6, c), 'cali-POSTROUTING'), natPostrouting(['vxlan-v6.calico']));
  });
}

// ---- Describe("with RETURN accept action") ----
for (const v of FAMILIES) {
  test(`static_test.go with RETURN accept action IPv${v}: forward, input and output chains`, () => {
    const over = {
      iptablesFilterAllowAction: 'RETURN',
      iptablesMangleAllowAction: 'RETURN',
      failsafeInboundHostPorts: [],
      failsafeOutboundHostPorts: [],
    } as const;
    const filter = table('filter', v, over);
    assert.deepEqual(chain(filter, 'cali-FORWARD'), forwardChain);
    assert.deepEqual(chain(filter, 'cali-INPUT'), inputChain('RETURN'));
    assert.deepEqual(chain(filter, 'cali-OUTPUT'), outputChain('RETURN'));
  });
}

// ---- Describe("with WireGuard enabled"): [IPVersion, EnableIPv4, EnableIPv6] ----
for (const [v, en4, en6] of [
  [4, true, false],
  [6, true, false],
  [4, false, true],
  [6, false, true],
  [4, true, true],
  [6, true, true],
] as const) {
  const at = `with WireGuard enabled (IPv4 ${en4}, IPv6 ${en6}) IPv${v}`;
  const over: Partial<CompilerConfig> = {
    wireguardEnabled: en4,
    wireguardEnabledV6: en6,
    wireguardInterfaceName: 'wireguard.cali',
    wireguardInterfaceNameV6: 'wg-v6.cali',
    wireguardListeningPort: 51820,
    wireguardListeningPortV6: 51821,
    wireguardHostEncryption: true,
    failsafeInboundHostPorts: [],
    failsafeOutboundHostPorts: [],
  };
  const marks = { ...MARKS, wireguard: 0x100000 };
  test(`static_test.go ${at}: input chain`, () => {
    const head: string[] = [];
    if (v === 4 && en4)
      head.push(
        `${comment('Allow incoming IPv4 Wireguard packets')} -p 17 -m multiport --destination-ports 51820 -m addrtype --dst-type LOCAL --jump ACCEPT`,
      );
    if (v === 6 && en6)
      head.push(
        `${comment('Allow incoming IPv6 Wireguard packets')} -p 17 -m multiport --destination-ports 51821 -m addrtype --dst-type LOCAL --jump ACCEPT`,
      );
    assert.deepEqual(chain(table('filter', v, over, marks), 'cali-INPUT'), inputChain('ACCEPT', head));
  });
  test(`static_test.go ${at}: WireGuard PREROUTING and incoming-mark chains in raw`, () => {
    const raw = table('raw', v, over, marks);
    assert.deepEqual(chain(raw, 'cali-PREROUTING'), rawPrerouting('DROP', { wireguard: true }));
    assert.deepEqual(chain(raw, 'cali-wireguard-incoming-mark'), [
      '--in-interface lo --jump RETURN',
      '--in-interface wireguard.cali --jump RETURN',
      '--in-interface wg-v6.cali --jump RETURN',
      '--in-interface cali+ --jump RETURN',
      '--jump MARK --set-mark 0x100000/0x100000',
    ]);
  });
}
