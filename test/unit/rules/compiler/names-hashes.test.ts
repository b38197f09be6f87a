// Names (felix/rules/rule_defs.go, felix/ipsets/ipsets.go), rule hashes (felix/iptables/renderer.go) and mark allocation (felix/dataplane/driver.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocateMarks,
  chainNameFor,
  DataplaneState,
  compile,
  defaultCompilerConfig,
  escapeComment,
  ipSetName,
  ruleHashes,
} from '../../../../rules/compiler/index.js';
import { workedExampleMessages } from './worked-example.js';

test('chainNameFor: repo test vectors and the 28-character rules (felix/rules/rule_defs.go)', () => {
  assert.equal(
    chainNameFor('cali-pi-', 'gnp/long-policy-name-that-gets-hashed'),
    'cali-pi-_PymyFHQQg3808jiz1OJ',
  );
  assert.equal(chainNameFor('cali-pi-', 'knp/default/allow-http'), 'cali-pi-_Z-cbTnGxrHawBepOQtv');
  assert.equal(chainNameFor('cali-pi-', 'gnp/allow-http'), 'cali-pi-gnp/allow-http');
  // Exactly 28 characters is fine...
  assert.equal(chainNameFor('cali-th-', 'any-interface-at-all'), 'cali-th-any-interface-at-all');
  // ...unless the suffix starts with "_", which is reserved for hashed names.
  const n = chainNameFor('cali-pi-', '_' + 'x'.repeat(19));
  assert.equal(n.length, 28);
  assert.notEqual(n, 'cali-pi-_' + 'x'.repeat(19));
  assert.equal(chainNameFor('cali-fhfw-', 'any-interface-at-all'), 'cali-fhfw-_Nqh4HyA73udmyanQI');
  assert.equal(chainNameFor('cali-pri-', ''), 'cali-pri-_');
  for (const s of ['a'.repeat(40), 'gnp/' + 'y'.repeat(100)])
    assert.equal(chainNameFor('cali-po-', s).length, 28);
});

test('ruleHashes: hook and append hashes seen on real clusters (felix/iptables/renderer.go, felix/rules/static.go)', () => {
  assert.deepEqual(ruleHashes('INPUT', ['--jump cali-INPUT']), ['Cz_u1IQiXIMmKD4c']);
  assert.deepEqual(ruleHashes('FORWARD', ['--jump cali-FORWARD']), ['wUHhoiAYhphO9Mso']);
  assert.deepEqual(ruleHashes('OUTPUT', ['--jump cali-OUTPUT']), ['tVnHkvAo15HuiPy0']);
  assert.deepEqual(
    ruleHashes('FORWARD*appends*', [
      '-m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 --jump ACCEPT',
      '--jump MARK --set-mark 0x10000/0x10000',
    ]),
    ['S93hcgKJrXEqnTfs', 'mp77cMpurHhyjLrM'],
  );
  // Chained: the same rule at another position, or in another chain, hashes differently.
  const [a, b] = ruleHashes('cali-x', ['--jump DROP', '--jump DROP']);
  assert.notEqual(a, b);
  assert.notEqual(ruleHashes('cali-y', ['--jump DROP'])[0], a);
  assert.match(a!, /^[A-Za-z0-9_-]{16}$/);
});

test('incremental updates: the recorded new hashes after one change', () => {
  // (a) the policy allows 80 and 443: one rule hash changes.
  const st = new DataplaneState();
  st.applyAll(workedExampleMessages());
  const cfg = defaultCompilerConfig({ ipv6Support: false });
  st.apply({
    kind: 'activePolicyUpdate',
    id: { kind: 'gnp', namespace: '', name: 'allow-http' },
    policy: {
      tier: 'default',
      inboundRules: [
        {
          action: 'allow',
          protocol: { name: 'tcp' },
          srcIpSetIds: ['s:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q'],
          dstPorts: [
            { first: 80, last: 80 },
            { first: 443, last: 443 },
          ],
        },
      ],
      outboundRules: [],
    },
  });
  let t = compile(st, cfg).tables[0]!;
  assert.equal(t.chains.get('cali-pi-gnp/allow-http')!.rules[0]!.hash, 'RD7rZVCbSUiiy0o7');

  // (b) a second pod appears: the dispatch chains become three direct rules.
  st.apply({
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: 'default/web-1', endpointId: 'eth0' },
    endpoint: {
      state: 'active',
      name: 'cali9f8e7d6c5b4',
      profileIds: ['kns.default', 'ksa.default.default'],
      ipv4Nets: [],
      ipv6Nets: [],
      tiers: [],
    },
  });
  t = compile(st, cfg).tables[0]!;
  const from = t.chains.get('cali-from-wl-dispatch')!.rules.map((r) => r.hash);
  const to = t.chains.get('cali-to-wl-dispatch')!.rules.map((r) => r.hash);
  assert.deepEqual(from, ['3BqlArqTDeU0ru4s', 'V2cskJTxFB0O8i73', '_jeWqw1PEp_k_VV4']);
  assert.deepEqual(to, ['AXk6QScv5PasSc3s', 'ucIX1woxwA6hQl-8', 'IJufyfAgUGM-j0JJ']);

  // (c) no pods: the dispatch chains hold only the "Unknown interface" drop, and the endpoint, policy
  // and profile chains are no longer referenced.
  st.apply({
    kind: 'workloadEndpointRemove',
    id: { orchestratorId: 'k8s', workloadId: 'default/web-0', endpointId: 'eth0' },
  });
  st.apply({
    kind: 'workloadEndpointRemove',
    id: { orchestratorId: 'k8s', workloadId: 'default/web-1', endpointId: 'eth0' },
  });
  t = compile(st, cfg).tables[0]!;
  assert.deepEqual(
    t.chains.get('cali-from-wl-dispatch')!.rules.map((r) => r.hash),
    ['zTj6P0TIgYvgz-md'],
  );
  assert.deepEqual(
    t.chains.get('cali-to-wl-dispatch')!.rules.map((r) => r.hash),
    ['7KNphB1nNHw80nIO'],
  );
  for (const gone of ['cali-pi-gnp/allow-http', 'cali-pri-kns.default', 'cali-tw-cali1a2b3c4d5e6']) {
    assert.ok(!t.chains.has(gone), gone);
  }
});

test('ipSetName: cali40/cali60 + id, cut to 31; unsafe ids are hashed (felix/ipsets/ipsets.go)', () => {
  assert.equal(ipSetName('s:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q', 4), 'cali40s:lJVGDaqTNzSq4oOWKtH8pYj');
  assert.equal(ipSetName('s:8e8v9b88qXpwDYA2DUkLaK6xxxx', 4), 'cali40s:8e8v9b88qXpwDYA2DUkLaK6');
  assert.equal(ipSetName('all-hosts-net', 6), 'cali60all-hosts-net');
  const evil = ipSetName('x src -j ACCEPT\nCOMMIT', 4);
  assert.match(evil, /^cali40h:[A-Za-z0-9_-]+$/);
  assert.equal(evil.length, 31);
  assert.equal(ipSetName('x src -j ACCEPT\nCOMMIT', 4), evil, 'deterministic');
});

test('escapeComment: unsafe characters become "_", cut to 256 (felix/iptables/renderer.go)', () => {
  assert.equal(
    escapeComment('GlobalNetworkPolicy allow-http ingress'),
    'GlobalNetworkPolicy allow-http ingress',
  );
  assert.equal(escapeComment('a"b\nc\'d;e$f`g\\h'), 'a_b_c_d_e_f_g_h');
  assert.equal(escapeComment('ünï'), '_n_');
  assert.equal(escapeComment('x'.repeat(300)).length, 256);
});

test('allocateMarks: Felix order from the lowest mask bit (felix/dataplane/driver.go)', () => {
  const d = allocateMarks(0xffff0000)!;
  assert.deepEqual(
    [d.accept, d.pass, d.drop, d.scratch0, d.scratch1, d.endpoint, d.allCalico],
    [0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0xffe00000, 0x1b0000],
  );
  const small = allocateMarks(0x1f00)!;
  assert.deepEqual(
    [small.accept, small.pass, small.drop, small.scratch0, small.scratch1],
    [0x100, 0x200, 0x400, 0x800, 0x1000],
  );
  assert.equal(small.endpoint, 0);
  // Non-contiguous masks take bits as they come.
  const odd = allocateMarks(0x80000000 | 0x5500)!;
  assert.deepEqual(
    [odd.accept, odd.pass, odd.drop, odd.scratch0, odd.scratch1],
    [0x100, 0x400, 0x1000, 0x4000, 0x80000000],
  );
  assert.equal(allocateMarks(0xf), undefined);
});

test('a different IptablesMarkMask changes every mark in the output', () => {
  const st = new DataplaneState();
  st.applyAll(workedExampleMessages());
  const t = compile(st, defaultCompilerConfig({ ipv6Support: false, iptablesMarkMask: 0x1f00 })).tables[0]!;
  const fwd = t.chains.get('cali-FORWARD')!.rules.map((r) => r.body);
  assert.equal(fwd[0], '--jump MARK --set-mark 0/0x1a00');
  assert.equal(fwd[1], '-m mark --mark 0/0x100 --jump cali-from-hep-forward');
  const pi = t.chains.get('cali-pi-gnp/allow-http')!.rules[0]!.body;
  assert.match(pi, /--jump MARK --set-mark 0x100\/0x100$/);
  const ap = t.appends.get('FORWARD')!.map((r) => r.body);
  assert.deepEqual(ap, [
    '-m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x100/0x100 --jump ACCEPT',
    '--jump MARK --set-mark 0x100/0x100',
  ]);
});
