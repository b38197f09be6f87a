// The mangle table (rules/compiler/mangle-table.ts, hep-tables.ts) against Felix v3.32.1's rendering:
// felix/rules/static.go StaticManglePreroutingChain/StaticManglePostroutingChain (and static_test.go's
// expectations), felix/rules/endpoints.go HostEndpointToMangleEgressChains/HostEndpointToMangleIngressChains,
// felix/rules/dispatch.go From/ToHostDispatchChains, felix/dataplane/linux/int_dataplane.go hooks.
// Hashes: the four cali-PREROUTING rules and both hooks carry the hashes seen in iptables-save output of
// real Felix nodes (6BJqBjBC7crtA-7-, KX7AGNd6rMcDUai6, Cg96MgVuoPm7UMRo for the chain; 6gwbT8clXdHdC1b1
// and O3lYWMrLQYEMJtB5 for the PREROUTING/POSTROUTING hooks); the fixture pins every other hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRestoreText } from '../../../../rules/compiler/index.js';
import { loadConfig } from '../../../../agent/config/index.js';
import { compilerConfigFrom } from '../../../../agent/daemon/compiler-config.js';
import { fixture } from './worked-example.js';
import { bodies, compiled, gnp, hashes, hep, policy, pool, profile, table, tier } from './hep-fixtures.js';

const ACCEPTED = '-m mark --mark 0x10000/0x10000';

test('without pools or host endpoints the mangle table is still programmed, with its static chains and sets', () => {
  // Felix programs all four tables in iptables mode (int_dataplane.go setUpIptablesNormal).
  const r = compiled([{ kind: 'inSync' }]);
  assert.deepEqual(
    r.desired.tables.map((t) => t.table),
    ['filter', 'raw', 'mangle', 'nat', 'filter', 'raw', 'mangle', 'nat'],
  );
  const t = table(r, 'mangle');
  assert.deepEqual(hashes(t, 'cali-PREROUTING'), [
    '6BJqBjBC7crtA-7-',
    'KX7AGNd6rMcDUai6',
    'wNH7KsA3ILKJBsY9',
    'Cg96MgVuoPm7UMRo',
  ]);
  assert.deepEqual(t.chains.get('cali-egress-dscp')!.rules, []);
  assert.deepEqual([...r.desired.ipsets.keys()].sort(), [
    'cali40dscp-src-net',
    'cali40masq-ipam-pools',
    'cali40network-ip-pools',
    'cali40this-host',
    'cali60dscp-src-net',
    'cali60masq-ipam-pools',
    'cali60network-ip-pools',
    'cali60this-host',
  ]);
  for (const s of r.desired.ipsets.values()) assert.equal(s.members.size, 0, s.name);
});

test('static chains: cali-PREROUTING with the hashes of real Felix nodes, cali-POSTROUTING as static_test.go, hooks inserted', () => {
  const r = compiled([pool]);
  const t = table(r, 'mangle');
  assert.deepEqual(bodies(t, 'cali-PREROUTING'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
    `${ACCEPTED} --jump ACCEPT`,
    '--jump cali-from-host-endpoint',
    `-m comment --comment "Host endpoint policy accepted packet." ${ACCEPTED} --jump ACCEPT`,
  ]);
  assert.deepEqual(hashes(t, 'cali-PREROUTING'), [
    '6BJqBjBC7crtA-7-',
    'KX7AGNd6rMcDUai6',
    'wNH7KsA3ILKJBsY9',
    'Cg96MgVuoPm7UMRo',
  ]);
  assert.deepEqual(bodies(t, 'cali-POSTROUTING'), [
    '-m comment --comment "set dscp for traffic leaving cluster." -m set --match-set cali40dscp-src-net src ' +
      '-m set ! --match-set cali40network-ip-pools dst -m set ! --match-set cali40this-host dst --jump cali-egress-dscp',
    `${ACCEPTED} --jump RETURN`,
    '--jump MARK --set-mark 0/0x1b0000',
    '-m conntrack --ctstate DNAT --jump cali-to-host-endpoint',
    `-m comment --comment "Host endpoint policy accepted packet." ${ACCEPTED} --jump RETURN`,
  ]);
  assert.deepEqual(bodies(t, 'cali-egress-dscp'), []);
  // Without host endpoints both dispatch chains are empty, and nothing refers to the failsafe chains.
  assert.deepEqual(bodies(t, 'cali-from-host-endpoint'), []);
  assert.deepEqual(bodies(t, 'cali-to-host-endpoint'), []);
  assert.ok(!t.chains.has('cali-failsafe-in'));
  assert.deepEqual(
    t.inserts.get('PREROUTING')!.map((x) => [x.hash, x.body]),
    [['6gwbT8clXdHdC1b1', '--jump cali-PREROUTING']],
  );
  assert.deepEqual(
    t.inserts.get('POSTROUTING')!.map((x) => [x.hash, x.body]),
    [['O3lYWMrLQYEMJtB5', '--jump cali-POSTROUTING']],
  );
  assert.equal(t.appends.size, 0);
  // The DSCP rule's sets exist: dscp-src-net and this-host empty (no DSCP, no interface monitor).
  for (const fam of [4, 6] as const) {
    assert.equal(r.desired.ipsets.get(`cali${fam}0dscp-src-net`)!.type, 'hash:net');
    assert.equal(r.desired.ipsets.get(`cali${fam}0dscp-src-net`)!.members.size, 0);
    assert.equal(r.desired.ipsets.get(`cali${fam}0this-host`)!.type, 'hash:ip');
    assert.equal(r.desired.ipsets.get(`cali${fam}0this-host`)!.members.size, 0);
  }
  assert.deepEqual([...r.desired.ipsets.get('cali40network-ip-pools')!.members], ['10.65.0.0/16']);
  assert.match(
    bodies(table(r, 'mangle', 6), 'cali-POSTROUTING')[0]!,
    /cali60dscp-src-net src .*cali60this-host dst/,
  );
});

test('a host endpoint with normal, profile and pre-DNAT policy: the whole mangle table, byte for byte', () => {
  const r = compiled(
    [
      policy(gnp('pd'), { preDnat: true }),
      policy(gnp('n')),
      profile('prof'),
      hep('h1', {
        name: 'eth0',
        profileIds: ['prof'],
        tiers: [{ name: 'default', ingressPolicies: [gnp('n')], egressPolicies: [gnp('n')] }],
        preDnatTiers: [tier([gnp('pd')])],
      }),
    ],
    { ipv6Support: false },
  );
  assert.equal(renderRestoreText(table(r, 'mangle')), fixture('mangle-hep-eth0.txt'));
  assert.deepEqual(r.warnings, []);
});

test('pre-DNAT chain: conntrack and failsafe-in, no end-of-tier drop, no profiles; egress chain: RETURN on allow', () => {
  const r = compiled(
    [
      policy(gnp('pd'), { preDnat: true }),
      hep('h1', { name: 'eth0', profileIds: ['p'], preDnatTiers: [tier([gnp('pd')])] }),
      profile('p'),
    ],
    { ipv6Support: false },
  );
  const t = table(r, 'mangle');
  assert.deepEqual(bodies(t, 'cali-fh-eth0'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
    '-m conntrack --ctstate INVALID --jump DROP',
    '--jump cali-failsafe-in',
    '--jump MARK --set-mark 0/0x30000',
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    '-m mark --mark 0/0x20000 --jump cali-pi-gnp/pd',
    `-m comment --comment "Return if policy accepted" ${ACCEPTED} --jump RETURN`,
  ]);
  assert.deepEqual(bodies(t, 'cali-th-eth0'), [
    `-m conntrack --ctstate RELATED,ESTABLISHED --jump MARK --set-mark 0x10000/0x10000`,
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump RETURN',
    '-m conntrack --ctstate INVALID --jump DROP',
    '--jump cali-failsafe-out',
    '--jump MARK --set-mark 0/0x30000',
    '--jump cali-pro-p',
    `-m comment --comment "Return if profile accepted" ${ACCEPTED} --jump RETURN`,
    '-m comment --comment "Drop if no profiles matched" --jump DROP',
  ]);
  // Felix offers only the outbound profile chain to mangle; the inbound one is never referenced there.
  assert.ok(t.chains.has('cali-pro-p') && !t.chains.has('cali-pri-p'));
  // The pre-DNAT policy chain is the filter table's rendering, same hashes.
  const f = table(r, 'filter');
  assert.ok(!f.chains.has('cali-pi-gnp/pd'), 'pre-DNAT policy is not in the filter table');
  assert.equal(t.chains.get('cali-pi-gnp/pd')!.rules.length, 1);
});

test('IptablesMangleAllowAction=RETURN: cali-PREROUTING and pre-DNAT conntrack rules return, setting the accept bit first', () => {
  const r = compiled(
    [policy(gnp('pd'), { preDnat: true }), hep('h1', { name: 'eth0', preDnatTiers: [tier([gnp('pd')])] })],
    { ipv6Support: false, iptablesMangleAllowAction: 'RETURN' },
  );
  const t = table(r, 'mangle');
  assert.deepEqual(bodies(t, 'cali-PREROUTING'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump RETURN',
    `${ACCEPTED} --jump RETURN`,
    '--jump cali-from-host-endpoint',
    `-m comment --comment "Host endpoint policy accepted packet." ${ACCEPTED} --jump RETURN`,
  ]);
  assert.deepEqual(bodies(t, 'cali-fh-eth0').slice(0, 3), [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump MARK --set-mark 0x10000/0x10000',
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump RETURN',
    '-m conntrack --ctstate INVALID --jump DROP',
  ]);
  // The filter table does not depend on it.
  const def = compiled(
    [policy(gnp('pd'), { preDnat: true }), hep('h1', { name: 'eth0', preDnatTiers: [tier([gnp('pd')])] })],
    { ipv6Support: false },
  );
  assert.equal(renderRestoreText(table(r, 'filter')), renderRestoreText(table(def, 'filter')));
});

test('dispatch: pre-DNAT dispatch lists only endpoints with pre-DNAT tiers; to-dispatch lists every endpoint', () => {
  const r = compiled(
    [
      policy(gnp('pd'), { preDnat: true }),
      hep('a', { name: 'eth1', preDnatTiers: [tier([gnp('pd')])] }),
      hep('b', { name: 'eth2' }),
      hep('c', { name: 'eth3', preDnatTiers: [tier([gnp('pd')])] }),
    ],
    { ipv6Support: false },
  );
  const t = table(r, 'mangle');
  assert.deepEqual(bodies(t, 'cali-from-host-endpoint'), [
    '--in-interface eth1 --goto cali-fh-eth1',
    '--in-interface eth3 --goto cali-fh-eth3',
  ]);
  assert.deepEqual(bodies(t, 'cali-to-host-endpoint'), [
    '--out-interface eth1 --goto cali-th-eth1',
    '--out-interface eth2 --goto cali-th-eth2',
    '--out-interface eth3 --goto cali-th-eth3',
  ]);
  assert.ok(!t.chains.has('cali-fh-eth2'));
});

test('wildcard host endpoint: to-dispatch skips local workloads then goes to it; from-dispatch only with pre-DNAT tiers', () => {
  const msgs = [hep('all', { name: '*' }), hep('h1', { name: 'eth0' })];
  const t = table(compiled(msgs, { ipv6Support: false, interfacePrefixes: ['cali', 'tap'] }), 'mangle');
  const skip = (p: string): string =>
    `-m comment --comment "Skip egress WHEP policy for traffic to local workload" --out-interface ${p}+ --jump RETURN`;
  assert.deepEqual(bodies(t, 'cali-to-host-endpoint'), [
    '--out-interface eth0 --goto cali-th-eth0',
    skip('cali'),
    skip('tap'),
    '--goto cali-th-any-interface-at-all',
  ]);
  assert.deepEqual(bodies(t, 'cali-from-host-endpoint'), []);
  const withPd = table(
    compiled(
      [
        policy(gnp('pd'), { preDnat: true }),
        hep('all', { name: '*', preDnatTiers: [tier([gnp('pd')])] }),
        hep('h1', { name: 'eth0' }),
      ],
      { ipv6Support: false },
    ),
    'mangle',
  );
  assert.deepEqual(bodies(withPd, 'cali-from-host-endpoint'), ['--goto cali-fh-any-interface-at-all']);
  assert.ok(withPd.chains.has('cali-fh-any-interface-at-all'));
});

test('two pre-DNAT policies with one selector share a cali-gi- group chain in mangle', () => {
  const sel = "role == 'edge'";
  const r = compiled(
    [
      policy(gnp('a'), { preDnat: true, selector: sel }),
      policy(gnp('b'), { preDnat: true, selector: sel }),
      hep('h1', { name: 'eth0', preDnatTiers: [tier([gnp('a'), gnp('b')])] }),
    ],
    { ipv6Support: false },
  );
  const t = table(r, 'mangle');
  const jump = bodies(t, 'cali-fh-eth0').find((b) => b.includes('--jump cali-gi-'))!;
  const group = /--jump (cali-gi-\S+)/.exec(jump)![1]!;
  assert.deepEqual(bodies(t, group), [
    '--jump cali-pi-gnp/a',
    '-m mark --mark 0/0x30000 --jump cali-pi-gnp/b',
  ]);
  assert.ok(t.chains.has('cali-pi-gnp/a') && t.chains.has('cali-pi-gnp/b'));
});

test('the filter table honours the accept bit set in raw and mangle, and untracked/pre-DNAT tiers leave it unchanged', () => {
  const base = [policy(gnp('n')), profile('p')];
  const plain = compiled(
    [...base, hep('h1', { name: 'eth0', profileIds: ['p'], tiers: [tier([gnp('n')])] })],
    { ipv6Support: false },
  );
  const both = compiled(
    [
      ...base,
      policy(gnp('u'), { untracked: true }),
      policy(gnp('pd'), { preDnat: true }),
      hep('h1', {
        name: 'eth0',
        profileIds: ['p'],
        tiers: [tier([gnp('n')])],
        untrackedTiers: [tier([gnp('u')], [gnp('u')])],
        preDnatTiers: [tier([gnp('pd')])],
      }),
    ],
    { ipv6Support: false },
  );
  const f = table(both, 'filter');
  assert.equal(renderRestoreText(f), renderRestoreText(table(plain, 'filter')));
  // felix/rules/static.go acceptAlreadyAccepted: cali-INPUT accepts before it clears the bits for the
  // host-endpoint dispatch; cali-OUTPUT accepts first; cali-FORWARD keeps the bit and skips the
  // from-host-endpoint forward policy when it is set.
  const input = bodies(f, 'cali-INPUT');
  const accepted = input.indexOf(`${ACCEPTED} --jump ACCEPT`);
  assert.ok(accepted >= 0 && accepted < input.indexOf('--jump MARK --set-mark 0/0x1b0000'));
  assert.ok(accepted < input.indexOf('--jump cali-from-host-endpoint'));
  assert.equal(bodies(f, 'cali-OUTPUT')[0], `${ACCEPTED} --jump ACCEPT`);
  assert.deepEqual(bodies(f, 'cali-FORWARD').slice(0, 2), [
    '--jump MARK --set-mark 0/0x1a0000',
    '-m mark --mark 0/0x10000 --jump cali-from-hep-forward',
  ]);
  // The untracked and pre-DNAT policies are programmed only where they apply.
  assert.ok(!f.chains.has('cali-pi-gnp/u') && !f.chains.has('cali-pi-gnp/pd'));
  assert.ok(table(both, 'mangle').chains.has('cali-pi-gnp/pd'));
  assert.ok(!table(both, 'mangle').chains.has('cali-pi-gnp/u'));
});

test('IptablesMangleAllowAction reaches the compiler from FELIX_ env, and a bad value is refused by name', () => {
  const noFile = (): string => {
    throw Object.assign(new Error('absent'), { code: 'ENOENT' });
  };
  const dflt = loadConfig({ env: {}, readFile: noFile });
  assert.equal(compilerConfigFrom(dflt.config).iptablesMangleAllowAction, 'ACCEPT');
  const ret = loadConfig({ env: { FELIX_IPTABLESMANGLEALLOWACTION: 'RETURN' }, readFile: noFile });
  assert.equal(compilerConfigFrom(ret.config).iptablesMangleAllowAction, 'RETURN');
  assert.throws(
    () => loadConfig({ env: { FELIX_IPTABLESMANGLEALLOWACTION: 'DROP' }, readFile: noFile }),
    /IptablesMangleAllowAction/,
  );
});

test('a host endpoint with a profile that has not arrived: both tables program it empty, one warning', () => {
  const r = compiled([hep('h1', { name: 'eth0', profileIds: ['late'] })], { ipv6Support: false });
  assert.deepEqual(bodies(table(r, 'mangle'), 'cali-pro-late'), []);
  assert.deepEqual(bodies(table(r, 'filter'), 'cali-pro-late'), []);
  assert.equal(r.warnings.filter((w) => w.includes('cali-pro-late')).length, 1);
});
