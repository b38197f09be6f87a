// Endpoint chains, tiers, host endpoints, failsafes, hooks and config knobs
// (felix/rules/static.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  HostEndpoint,
  PolicyID,
  TierInfo,
  ToDataplane,
  WorkloadEndpoint,
} from '../../../../rules/dataplane-api/types.js';
import type { TableState } from '../../../../rules/model.js';
import {
  DataplaneState,
  compile,
  compileWithReport,
  defaultCompilerConfig,
  type CompilerConfig,
} from '../../../../rules/compiler/index.js';

const gnp = (name: string): PolicyID => ({ kind: 'gnp', namespace: '', name });
// Each policy gets its own selector unless told otherwise, so policies are not grouped (felix/rules/endpoints.go).
const policy = (id: PolicyID, tier = 'default', selector = `name == '${id.name}'`): ToDataplane => ({
  kind: 'activePolicyUpdate',
  id,
  policy: {
    tier,
    inboundRules: [{ action: 'allow' }],
    outboundRules: [{ action: 'deny' }],
    originalSelector: selector,
  },
});
const profile = (name: string): ToDataplane => ({
  kind: 'activeProfileUpdate',
  id: { name },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
});
const tier = (
  name: string,
  ingress: PolicyID[],
  egress: PolicyID[] = [],
  defaultAction?: string,
): TierInfo =>
  defaultAction === undefined
    ? { name, ingressPolicies: ingress, egressPolicies: egress }
    : { name, ingressPolicies: ingress, egressPolicies: egress, defaultAction };
function wep(name: string, ep: Partial<WorkloadEndpoint> = {}): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: `ns/${name}`, endpointId: 'eth0' },
    endpoint: { state: 'active', name, profileIds: [], ipv4Nets: [], ipv6Nets: [], tiers: [], ...ep },
  };
}
function hep(id: string, ep: Partial<HostEndpoint>): ToDataplane {
  return {
    kind: 'hostEndpointUpdate',
    id: { endpointId: id },
    endpoint: {
      name: '',
      profileIds: [],
      tiers: [],
      untrackedTiers: [],
      preDnatTiers: [],
      forwardTiers: [],
      expectedIpv4Addrs: [],
      expectedIpv6Addrs: [],
      ...ep,
    },
  };
}
/** The filter tables, v4 first (the raw, mangle and nat tables have their own tests). */
function build(msgs: ToDataplane[], over: Partial<CompilerConfig> = {}): readonly TableState[] {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  return compile(st, defaultCompilerConfig(over)).tables.filter((t) => t.table === 'filter');
}
const bodies = (t: TableState, chain: string): string[] => {
  const c = t.chains.get(chain);
  assert.ok(c, `chain ${chain} present`);
  return c.rules.map((r) => r.body);
};

const HEAD_TW = [
  '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
  '-m conntrack --ctstate INVALID --jump DROP',
  '--jump MARK --set-mark 0/0x30000',
];
const polJump = (chain: string): string[] => [
  `-m mark --mark 0/0x20000 --jump ${chain}`,
  '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
];
const endOfTier = (t: string): string =>
  `-m comment --comment "End of tier ${t}. Drop if no policies passed packet" -m mark --mark 0/0x20000 --jump DROP`;
const NO_PROFILE = '-m comment --comment "Drop if no profiles matched" --jump DROP';

test('tiers: order, pass default action (no end-of-tier drop), staged policies never rendered', () => {
  const [t] = build(
    [
      policy(gnp('a'), 'security'),
      policy(gnp('b')),
      policy({ kind: 'sgnp', namespace: '', name: 'staged' }),
      policy({ kind: 'knp', namespace: 'default', name: 'allow-http' }),
      wep('cali1', {
        tiers: [
          tier('security', [gnp('a')], [], 'Pass'),
          tier('staged-only', [{ kind: 'sgnp', namespace: '', name: 'staged' }]),
          tier('default', [
            { kind: 'sgnp', namespace: '', name: 'staged' },
            gnp('b'),
            { kind: 'knp', namespace: 'default', name: 'allow-http' },
          ]),
        ],
      }),
    ],
    { ipv6Support: false },
  );
  assert.deepEqual(bodies(t!, 'cali-tw-cali1'), [
    ...HEAD_TW,
    '-m comment --comment "Start of tier security" --jump MARK --set-mark 0/0x20000',
    ...polJump('cali-pi-gnp/a'),
    // A tier with only staged policies: start of tier, no jumps, no end-of-tier drop.
    '-m comment --comment "Start of tier staged-only" --jump MARK --set-mark 0/0x20000',
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    ...polJump('cali-pi-gnp/b'),
    ...polJump('cali-pi-_Z-cbTnGxrHawBepOQtv'),
    endOfTier('default'),
    NO_PROFILE,
  ]);
  assert.ok(!t!.chains.has('cali-pi-sgnp/staged'));
  // The knp chain is hashed and carries the namespaced comment.
  assert.equal(
    bodies(t!, 'cali-pi-_Z-cbTnGxrHawBepOQtv')[0],
    '-m comment --comment "KubernetesNetworkPolicy default/allow-http ingress" --jump MARK --set-mark 0x10000/0x10000',
  );
  // Egress: no tier has egress policies, so straight to the no-profile drop (after the encap drops).
  assert.deepEqual(bodies(t!, 'cali-fw-cali1'), [
    ...HEAD_TW,
    '-m comment --comment "Drop VXLAN encapped packets originating in workloads" -p 17 -m multiport --destination-ports 4789 --jump DROP',
    '-m comment --comment "Drop IPinIP encapped packets originating in workloads" -p 4 --jump DROP',
    NO_PROFILE,
  ]);
});

test('admin-down endpoint: only "Endpoint admin disabled" DROP, its profiles are not programmed', () => {
  const [t] = build([profile('kns.x'), wep('cali2', { state: 'inactive', profileIds: ['kns.x'] })], {
    ipv6Support: false,
  });
  for (const c of ['cali-tw-cali2', 'cali-fw-cali2']) {
    assert.deepEqual(bodies(t!, c), ['-m comment --comment "Endpoint admin disabled" --jump DROP']);
  }
  assert.ok(!t!.chains.has('cali-pri-kns.x'));
});

test('REJECT deny action, RETURN allow action, no conntrack INVALID check, encap allowed', () => {
  const [t] = build([profile('p'), wep('cali3', { profileIds: ['p'] })], {
    ipv6Support: false,
    iptablesFilterDenyAction: 'REJECT',
    iptablesFilterAllowAction: 'RETURN',
    disableConntrackInvalidCheck: true,
    allowVXLANPacketsFromWorkloads: true,
    allowIPIPPacketsFromWorkloads: true,
  });
  assert.deepEqual(bodies(t!, 'cali-fw-cali3'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump MARK --set-mark 0x10000/0x10000',
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump RETURN',
    '--jump MARK --set-mark 0/0x30000',
    '--jump cali-pro-p',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
    '-m comment --comment "Reject if no profiles matched" --jump REJECT',
  ]);
  assert.deepEqual(
    bodies(t!, 'cali-from-wl-dispatch').at(-1),
    '-m comment --comment "Unknown interface" --jump REJECT',
  );
  assert.equal(bodies(t!, 'cali-INPUT')[1], '-m mark --mark 0x10000/0x10000 --jump RETURN');
});

test('DefaultEndpointToHostAction DROP / RETURN / ACCEPT (a plain ACCEPT also with a RETURN allow action)', () => {
  const last = (over: Partial<CompilerConfig>): string[] =>
    bodies(build([], { ipv6Support: false, ...over })[0]!, 'cali-wl-to-host').slice(1);
  const c = '-m comment --comment "Configured DefaultEndpointToHostAction"';
  assert.deepEqual(last({}), [`${c} --jump DROP`]);
  assert.deepEqual(last({ defaultEndpointToHostAction: 'RETURN' }), [`${c} --jump RETURN`]);
  assert.deepEqual(last({ defaultEndpointToHostAction: 'ACCEPT' }), [`${c} --jump ACCEPT`]);
  // felix/rules/rule_defs.go: inputAcceptActions = [AcceptAction{}] for ACCEPT, not the filter allow action.
  assert.deepEqual(last({ defaultEndpointToHostAction: 'ACCEPT', iptablesFilterAllowAction: 'RETURN' }), [
    `${c} --jump ACCEPT`,
  ]);
});

test('insert mode: hooks are inserts; append mode: hooks lead the appends with the same hashes', () => {
  const [ins] = build([], { ipv6Support: false });
  assert.deepEqual([...ins!.inserts.keys()], ['INPUT', 'FORWARD', 'OUTPUT']);
  assert.deepEqual(ins!.inserts.get('FORWARD'), [{ hash: 'wUHhoiAYhphO9Mso', body: '--jump cali-FORWARD' }]);
  assert.deepEqual(
    ins!.appends.get('FORWARD')!.map((r) => r.hash),
    ['S93hcgKJrXEqnTfs', 'mp77cMpurHhyjLrM'],
  );
  assert.equal(ins!.appends.size, 1);
  const [app] = build([], { ipv6Support: false, chainInsertMode: 'append' });
  assert.equal(app!.inserts.size, 0);
  assert.deepEqual(app!.appends.get('INPUT'), [{ hash: 'Cz_u1IQiXIMmKD4c', body: '--jump cali-INPUT' }]);
  assert.deepEqual(app!.appends.get('OUTPUT'), [{ hash: 'tVnHkvAo15HuiPy0', body: '--jump cali-OUTPUT' }]);
  assert.deepEqual(
    app!.appends.get('FORWARD')!.map((r) => r.hash),
    ['wUHhoiAYhphO9Mso', 'S93hcgKJrXEqnTfs', 'mp77cMpurHhyjLrM'],
  );
});

test('no host endpoints: HEP dispatch chains exist and are empty, failsafe chains are not programmed', () => {
  const [t] = build([], { ipv6Support: false });
  for (const c of [
    'cali-from-host-endpoint',
    'cali-to-host-endpoint',
    'cali-from-hep-forward',
    'cali-to-hep-forward',
  ]) {
    assert.deepEqual(bodies(t!, c), []);
  }
  assert.ok(!t!.chains.has('cali-failsafe-in'));
  assert.ok(!t!.chains.has('cali-failsafe-out'));
});

test('host endpoint: th/fh with failsafes and profiles, forward chains allow by default, dispatch', () => {
  const [t] = build(
    [
      profile('hp'),
      policy(gnp('hpol')),
      hep('h1', { name: 'eth0', profileIds: ['hp'], tiers: [tier('default', [gnp('hpol')], [gnp('hpol')])] }),
    ],
    {
      ipv6Support: false,
    },
  );
  assert.deepEqual(bodies(t!, 'cali-fh-eth0'), [
    ...HEAD_TW.slice(0, 2),
    '--jump cali-failsafe-in',
    HEAD_TW[2]!,
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    ...polJump('cali-pi-gnp/hpol'),
    endOfTier('default'),
    '--jump cali-pri-hp',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
    NO_PROFILE,
  ]);
  assert.equal(bodies(t!, 'cali-th-eth0')[2], '--jump cali-failsafe-out');
  assert.ok(bodies(t!, 'cali-th-eth0').includes('-m mark --mark 0/0x20000 --jump cali-po-gnp/hpol'));
  for (const c of ['cali-fhfw-eth0', 'cali-thfw-eth0']) {
    assert.deepEqual(bodies(t!, c), [
      ...HEAD_TW,
      '-m comment --comment "Allow forwarded traffic by default" --jump MARK --set-mark 0x10000/0x10000',
      '-m comment --comment "Return for accepted forward traffic" --jump RETURN',
    ]);
  }
  assert.deepEqual(bodies(t!, 'cali-from-host-endpoint'), ['--in-interface eth0 --goto cali-fh-eth0']);
  assert.deepEqual(bodies(t!, 'cali-to-host-endpoint'), ['--out-interface eth0 --goto cali-th-eth0']);
  assert.deepEqual(bodies(t!, 'cali-from-hep-forward'), ['--in-interface eth0 --goto cali-fhfw-eth0']);
  assert.deepEqual(bodies(t!, 'cali-to-hep-forward'), ['--out-interface eth0 --goto cali-thfw-eth0']);
  // Felix's default failsafe ports (felix/rules/static.go).
  assert.deepEqual(bodies(t!, 'cali-failsafe-in'), [
    '-p tcp -m multiport --destination-ports 22 --jump ACCEPT',
    '-p udp -m multiport --destination-ports 68 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 179 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 2379 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 2380 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 5473 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 6443 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 6666 --jump ACCEPT',
    '-p tcp -m multiport --destination-ports 6667 --jump ACCEPT',
  ]);
  assert.deepEqual(bodies(t!, 'cali-failsafe-out').slice(0, 2), [
    '-p udp -m multiport --destination-ports 53 --jump ACCEPT',
    '-p udp -m multiport --destination-ports 67 --jump ACCEPT',
  ]);
});

test('forward tiers on a host endpoint: applyOnForward policies, end-of-tier drop, no default allow', () => {
  const [t] = build(
    [policy(gnp('fwd')), hep('h1', { name: 'eth1', forwardTiers: [tier('default', [gnp('fwd')])] })],
    {
      ipv6Support: false,
    },
  );
  assert.deepEqual(bodies(t!, 'cali-fhfw-eth1'), [
    ...HEAD_TW,
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    ...polJump('cali-pi-gnp/fwd'),
    endOfTier('default'),
  ]);
  // Egress direction of the same forward tier has no policies: no tier rules, and no default allow
  // because the endpoint does have forward tiers.
  assert.deepEqual(bodies(t!, 'cali-thfw-eth1'), HEAD_TW);
});

test('wildcard host endpoint: unmatched interfaces go to the any-interface-at-all chains', () => {
  const [t] = build([hep('all', { name: '*' }), hep('h1', { name: 'eth0' })], { ipv6Support: false });
  assert.deepEqual(bodies(t!, 'cali-from-host-endpoint'), [
    '--in-interface eth0 --goto cali-fh-eth0',
    '--goto cali-fh-any-interface-at-all',
  ]);
  // Felix renders the filter dispatch with applyOnForward=true (endpoint_mgr.go), so there is no "Skip
  // egress WHEP" rule here (dispatch_test.go "apply on forward, with default interface name"); the mangle
  // table's to-dispatch has it (mangle-table.test.ts).
  assert.deepEqual(bodies(t!, 'cali-to-host-endpoint'), [
    '--out-interface eth0 --goto cali-th-eth0',
    '--goto cali-th-any-interface-at-all',
  ]);
  assert.deepEqual(bodies(t!, 'cali-from-hep-forward'), [
    '--in-interface eth0 --goto cali-fhfw-eth0',
    '--goto cali-fhfw-_Nqh4HyA73udmyanQI',
  ]);
  // The forward variant has no skip rule. "cali-thfw-" and "cali-fhfw-" have the same length, so the
  // hashed wildcard name has the same suffix: prefix + "_" + base64url(sha256("any-interface-at-all"))[:17].
  assert.deepEqual(bodies(t!, 'cali-to-hep-forward'), [
    '--out-interface eth0 --goto cali-thfw-eth0',
    '--goto cali-thfw-_Nqh4HyA73udmyanQI',
  ]);
  for (const c of [
    'cali-fh-any-interface-at-all',
    'cali-th-any-interface-at-all',
    'cali-fhfw-_Nqh4HyA73udmyanQI',
    'cali-thfw-_Nqh4HyA73udmyanQI',
  ]) {
    assert.ok(t!.chains.has(c), c);
  }
  assert.ok([...t!.chains.keys()].every((n) => n.length <= 28));
});

test('wildcard host endpoint: the skip rules are in the mangle to-dispatch (root and child chains), not in filter', () => {
  const skip = (p: string): string =>
    `-m comment --comment "Skip egress WHEP policy for traffic to local workload" --out-interface ${p}+ --jump RETURN`;
  const st = new DataplaneState();
  assert.deepEqual(
    st.applyAll([
      hep('all', { name: '*' }),
      hep('h1', { name: 'eth0' }),
      hep('h2', { name: 'eth1' }),
      hep('h3', { name: 'lo' }),
    ]),
    [],
  );
  const tables = compile(
    st,
    defaultCompilerConfig({ ipv6Support: false, interfacePrefixes: ['cali', 'tap'] }),
  ).tables;
  const f = tables.find((t) => t.table === 'filter')!;
  const mg = tables.find((t) => t.table === 'mangle')!;
  // No common prefix: eth0 and eth1 share the bin "e" and get a child chain that ends with the same
  // end rules as the root; lo is alone in bin "l" and gets a direct rule.
  assert.deepEqual(bodies(mg, 'cali-to-host-endpoint'), [
    '--out-interface e+ --goto cali-to-host-endpoint-e',
    '--out-interface lo --goto cali-th-lo',
    skip('cali'),
    skip('tap'),
    '--goto cali-th-any-interface-at-all',
  ]);
  assert.deepEqual(bodies(mg, 'cali-to-host-endpoint-e'), [
    '--out-interface eth0 --goto cali-th-eth0',
    '--out-interface eth1 --goto cali-th-eth1',
    skip('cali'),
    skip('tap'),
    '--goto cali-th-any-interface-at-all',
  ]);
  assert.deepEqual(bodies(f, 'cali-to-host-endpoint'), [
    '--out-interface e+ --goto cali-to-host-endpoint-e',
    '--out-interface lo --goto cali-th-lo',
    '--goto cali-th-any-interface-at-all',
  ]);
  assert.deepEqual(bodies(f, 'cali-to-host-endpoint-e'), [
    '--out-interface eth0 --goto cali-th-eth0',
    '--out-interface eth1 --goto cali-th-eth1',
    '--goto cali-th-any-interface-at-all',
  ]);
  assert.deepEqual(bodies(f, 'cali-to-hep-forward'), [
    '--out-interface e+ --goto cali-to-hep-forward-e',
    '--out-interface lo --goto cali-thfw-lo',
    '--goto cali-thfw-_Nqh4HyA73udmyanQI',
  ]);
});

test('failsafe ports with a CIDR go only into the table of that family', () => {
  const [v4, v6] = build([hep('h1', { name: 'eth0' })], {
    failsafeInboundHostPorts: [
      { protocol: 'tcp', port: 22, net: '10.0.0.0/8' },
      { protocol: 'udp', port: 68 },
    ],
    failsafeOutboundHostPorts: [{ protocol: 'udp', port: 53, net: 'fd00::/8' }],
  });
  assert.deepEqual(bodies(v4!, 'cali-failsafe-in'), [
    '-p tcp -m multiport --destination-ports 22 --source 10.0.0.0/8 --jump ACCEPT',
    '-p udp -m multiport --destination-ports 68 --jump ACCEPT',
  ]);
  assert.deepEqual(bodies(v6!, 'cali-failsafe-in'), [
    '-p udp -m multiport --destination-ports 68 --jump ACCEPT',
  ]);
  assert.deepEqual(bodies(v4!, 'cali-failsafe-out'), []);
  assert.deepEqual(bodies(v6!, 'cali-failsafe-out'), [
    '-p udp -m multiport --destination-ports 53 --destination fd00::/8 --jump ACCEPT',
  ]);
});

test('several interface prefixes: one FORWARD/INPUT/OUTPUT rule per prefix', () => {
  const [t] = build([], { ipv6Support: false, interfacePrefixes: ['cali', 'tap'] });
  assert.deepEqual(bodies(t!, 'cali-FORWARD').slice(2, 6), [
    '--in-interface cali+ --jump cali-from-wl-dispatch',
    '--out-interface cali+ --jump cali-to-wl-dispatch',
    '--in-interface tap+ --jump cali-from-wl-dispatch',
    '--out-interface tap+ --jump cali-to-wl-dispatch',
  ]);
  assert.deepEqual(bodies(t!, 'cali-INPUT').slice(0, 2), [
    '--in-interface cali+ --goto cali-wl-to-host',
    '--in-interface tap+ --goto cali-wl-to-host',
  ]);
});

test('a referenced policy or profile that has not arrived is programmed empty, with a warning', () => {
  const st = new DataplaneState();
  st.applyAll([wep('cali9', { profileIds: ['missing'], tiers: [tier('default', [gnp('later')])] })]);
  const { desired, warnings } = compileWithReport(st, defaultCompilerConfig({ ipv6Support: false }));
  const t = desired.tables[0]!;
  assert.deepEqual(t.chains.get('cali-pi-gnp/later')!.rules, []);
  assert.deepEqual(t.chains.get('cali-pri-missing')!.rules, []);
  // cali-pi-gnp/later, cali-pri-missing and cali-pro-missing.
  assert.equal(warnings.length, 3);
  // Fail closed: nothing sets the accept bit, so the endpoint chain ends in its drops.
  assert.equal(t.chains.get('cali-tw-cali9')!.rules.at(-1)!.body, NO_PROFILE);
});

test('two endpoints with the same interface: one wins deterministically, with a warning', () => {
  const st = new DataplaneState();
  st.apply(wep('cali5', { profileIds: ['a'] }));
  st.apply({
    ...(wep('cali5', { profileIds: ['b'] }) as Extract<ToDataplane, { kind: 'workloadEndpointUpdate' }>),
    id: { orchestratorId: 'k8s', workloadId: 'ns/other', endpointId: 'eth0' },
  });
  const { desired, warnings } = compileWithReport(st, defaultCompilerConfig({ ipv6Support: false }));
  assert.equal(warnings.length >= 1, true);
  assert.ok(
    desired.tables[0]!.chains.get('cali-tw-cali5')!.rules.some((r) => r.body === '--jump cali-pri-a'),
  );
});

test('policy groups: consecutive policies with one selector share a cali-gi-/cali-go- chain (felix/rules/endpoints.go)', () => {
  const sel = "app == 'web'";
  const ids = Array.from({ length: 7 }, (_, i) => gnp(`g${i}`));
  const staged: PolicyID = { kind: 'sgnp', namespace: '', name: 'st' };
  const msgs: ToDataplane[] = [
    ...ids.map((id) => policy(id, 'default', sel)),
    policy(staged, 'default', sel),
    policy(gnp('other'), 'default', 'x == "y"'),
    wep('cali7', { tiers: [tier('default', [...ids, gnp('other')], ids.slice(0, 2))] }),
    wep('cali8', { tiers: [tier('default', [...ids, gnp('other')])] }),
    // A group of one non-staged + one staged policy is inlined, without the staged one.
    wep('cali9', { tiers: [tier('default', [staged, gnp('g0')])] }),
  ];
  const [t] = build(msgs, { ipv6Support: false });
  const gi = [...t!.chains.keys()].filter((n) => n.startsWith('cali-gi-'));
  const go = [...t!.chains.keys()].filter((n) => n.startsWith('cali-go-'));
  assert.equal(gi.length, 1, 'cali7 and cali8 share one ingress group chain');
  assert.equal(go.length, 1);
  assert.match(gi[0]!, /^cali-gi-[A-Za-z0-9_-]{20}$/);
  const guard = '-m mark --mark 0/0x30000';
  assert.deepEqual(bodies(t!, gi[0]!), [
    '--jump cali-pi-gnp/g0',
    `${guard} --jump cali-pi-gnp/g1`,
    `${guard} --jump cali-pi-gnp/g2`,
    `${guard} --jump cali-pi-gnp/g3`,
    `${guard} --jump cali-pi-gnp/g4`,
    '-m comment --comment "Return on verdict" -m mark ! --mark 0/0x30000 --jump RETURN',
    '--jump cali-pi-gnp/g5',
    `${guard} --jump cali-pi-gnp/g6`,
  ]);
  assert.deepEqual(bodies(t!, go[0]!), ['--jump cali-po-gnp/g0', `${guard} --jump cali-po-gnp/g1`]);
  assert.deepEqual(bodies(t!, 'cali-tw-cali7').slice(3), [
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    ...polJump(gi[0]!),
    ...polJump('cali-pi-gnp/other'),
    endOfTier('default'),
    NO_PROFILE,
  ]);
  assert.deepEqual(bodies(t!, 'cali-tw-cali9').slice(3), [
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    ...polJump('cali-pi-gnp/g0'),
    endOfTier('default'),
    NO_PROFILE,
  ]);
});

test('policy group UID: deterministic, depends on selector, direction and members', async () => {
  const { groupUid, groupChainName } = await import('../../../../rules/compiler/policy-groups.js');
  const g = { direction: 'inbound' as const, selector: 's', policies: [gnp('a'), gnp('b')] };
  assert.equal(groupUid(g), groupUid({ ...g, policies: [gnp('a'), gnp('b')] }));
  assert.equal(groupUid(g).length, 20);
  assert.notEqual(groupUid(g), groupUid({ ...g, selector: 't' }));
  assert.notEqual(groupUid(g), groupUid({ ...g, direction: 'outbound' }));
  assert.notEqual(groupUid(g), groupUid({ ...g, policies: [gnp('b'), gnp('a')] }));
  assert.equal(groupChainName({ ...g, direction: 'outbound' }).slice(0, 8), 'cali-go-');
  // Short and long kind spellings are the same policy.
  assert.equal(
    groupUid(g),
    groupUid({ ...g, policies: [{ ...gnp('a'), kind: 'GlobalNetworkPolicy' }, gnp('b')] }),
  );
});

test('IPIP, VXLAN and WireGuard on: overlay auto-allow rules in cali-INPUT and cali-OUTPUT (felix/rules/static.go)', () => {
  const [v4, v6] = build([], {
    ipipEnabled: true,
    vxlanEnabled: true,
    vxlanEnabledV6: true,
    wireguardEnabled: true,
  });
  assert.deepEqual(bodies(v4!, 'cali-INPUT').slice(0, 6), [
    '-m comment --comment "Allow IPIP packets from Calico hosts" -p 4 -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Drop IPIP packets from non-Calico hosts" -p 4 --jump DROP',
    '-m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -p 17 -m multiport --destination-ports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -p 17 -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump DROP',
    '-m comment --comment "Allow incoming IPv4 Wireguard packets" -p 17 -m multiport --destination-ports 51820 -m addrtype --dst-type LOCAL --jump ACCEPT',
    '--in-interface cali+ --goto cali-wl-to-host',
  ]);
  assert.deepEqual(bodies(v4!, 'cali-OUTPUT').slice(2, 5), [
    '-m comment --comment "Allow IPIP packets to other Calico hosts" -p 4 -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL --jump ACCEPT',
    '-m comment --comment "Allow IPv4 VXLAN packets to other allowed hosts" -p 17 -m multiport --destination-ports 4789 -m addrtype --src-type LOCAL -m set --match-set cali40all-vxlan-net dst --jump ACCEPT',
    '-m comment --comment "Allow outgoing IPv4 Wireguard packets" -p 17 -m multiport --destination-ports 51820 -m addrtype --src-type LOCAL --jump ACCEPT',
  ]);
  // IPv6: only the v6 VXLAN pair (IPIP and v4 WireGuard are IPv4-only).
  assert.deepEqual(bodies(v6!, 'cali-INPUT').slice(0, 3), [
    '-m comment --comment "Allow IPv6 VXLAN packets from allowed hosts" -p 17 -m multiport --destination-ports 4789 -m set --match-set cali60all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Drop IPv6 VXLAN packets from non-allowed hosts" -p 17 -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump DROP',
    '--in-interface cali+ --goto cali-wl-to-host',
  ]);
  // Default (all off): cali-INPUT starts with the workload goto, as in the worked example.
  assert.equal(
    bodies(build([], { ipv6Support: false })[0]!, 'cali-INPUT')[0],
    '--in-interface cali+ --goto cali-wl-to-host',
  );
});
