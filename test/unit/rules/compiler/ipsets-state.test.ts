// DataplaneState: IP set updates/deltas/removes with canonical members (felix/ipsets/ipsets.go), message
// validation with stable error codes, and config validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import {
  CompilerConfigError,
  CompilerInputError,
  DataplaneState,
  compile,
  compileWithReport,
  defaultCompilerConfig,
} from '../../../../rules/compiler/index.js';

const cfg = defaultCompilerConfig();
/** The sets Felix always creates (pool sets, the mangle DSCP rule's sets): present with no input. */
const alwaysSets = (c = cfg): string[] => [...compile(new DataplaneState(), c).ipsets.keys()].sort();
/** The set names beyond the always-present ones. */
const inputSets = (st: DataplaneState, c = cfg): string[] => {
  const always = new Set(alwaysSets(c));
  return [...compile(st, c).ipsets.keys()].filter((n) => !always.has(n)).sort();
};
const members = (st: DataplaneState, name: string): string[] =>
  [...(compile(st, cfg).ipsets.get(name)?.members ?? [])].sort();

test('ipsetUpdate: types, families and canonical members', () => {
  const st = new DataplaneState();
  st.apply({
    kind: 'ipsetUpdate',
    id: 's:net',
    type: 2,
    members: ['10.0.0.1', '10.0.0.0/8', '10.1.2.3/16', 'FD00:0:0::1', 'fd00::/64'],
  });
  st.apply({
    kind: 'ipsetUpdate',
    id: 'this-host',
    type: 0,
    members: ['192.168.1.1', '192.168.1.2/32', 'fe80::1'],
  });
  st.apply({ kind: 'ipsetUpdate', id: 'n:np', type: 1, members: ['10.65.0.7,TCP:8080', 'fd00::7,udp:53'] });
  const d = compile(st, cfg);
  const get = (n: string) => d.ipsets.get(n)!;
  assert.deepEqual([get('cali40s:net').type, get('cali40s:net').family], ['hash:net', 4]);
  assert.deepEqual(members(st, 'cali40s:net'), ['10.0.0.0/8', '10.0.0.1/32', '10.1.0.0/16']);
  assert.deepEqual(members(st, 'cali60s:net'), ['fd00::/64', 'fd00::1/128']);
  assert.equal(get('cali60s:net').family, 6);
  assert.equal(get('cali40this-host').type, 'hash:ip');
  assert.deepEqual(members(st, 'cali40this-host'), ['192.168.1.1', '192.168.1.2']);
  assert.deepEqual(members(st, 'cali60this-host'), ['fe80::1']);
  assert.equal(get('cali40n:np').type, 'hash:ip,port');
  assert.deepEqual(members(st, 'cali40n:np'), ['10.65.0.7,tcp:8080']);
  assert.deepEqual(members(st, 'cali60n:np'), ['fd00::7,udp:53']);
  // ipv6Support off: no cali6 sets.
  const v4 = defaultCompilerConfig({ ipv6Support: false });
  // this-host is one of the always-present sets: the calc graph's members replace the empty one.
  assert.deepEqual(inputSets(st, v4), ['cali40n:np', 'cali40s:net']);
  assert.deepEqual(alwaysSets(v4), [
    'cali40dscp-src-net',
    'cali40masq-ipam-pools',
    'cali40network-ip-pools',
    'cali40this-host',
  ]);
});

test('ipsetDeltaUpdate and ipsetRemove', () => {
  const st = new DataplaneState();
  st.apply({ kind: 'ipsetUpdate', id: 's:x', type: 2, members: ['10.0.0.1/32', '10.0.0.2/32'] });
  st.apply({
    kind: 'ipsetDeltaUpdate',
    id: 's:x',
    addedMembers: ['10.0.0.3', '2001:db8::1'],
    removedMembers: ['10.0.0.1'],
  });
  assert.deepEqual(members(st, 'cali40s:x'), ['10.0.0.2/32', '10.0.0.3/32']);
  assert.deepEqual(members(st, 'cali60s:x'), ['2001:db8::1/128']);
  st.apply({ kind: 'ipsetRemove', id: 's:x' });
  assert.deepEqual(inputSets(st), []);
});

test('bad messages are rejected with stable codes and leave the state unchanged', () => {
  const st = new DataplaneState();
  st.apply({ kind: 'ipsetUpdate', id: 's:x', type: 2, members: ['10.0.0.1/32'] });
  const cases: Array<[ToDataplane, string]> = [
    [
      { kind: 'ipsetUpdate', id: 's:x', type: 2, members: ['10.0.0.1/32', '10.0.0.1 -j ACCEPT'] },
      'ERR_BAD_IPSET_MEMBER',
    ],
    [{ kind: 'ipsetUpdate', id: 's:y', type: 9 as 0, members: [] }, 'ERR_BAD_MESSAGE'],
    [
      { kind: 'ipsetDeltaUpdate', id: 's:x', addedMembers: ['10.0.0.9/32', '300.0.0.1'], removedMembers: [] },
      'ERR_BAD_IPSET_MEMBER',
    ],
    [
      { kind: 'ipsetDeltaUpdate', id: 's:x', addedMembers: [], removedMembers: ['nope'] },
      'ERR_BAD_IPSET_MEMBER',
    ],
    [{ kind: 'ipsetDeltaUpdate', id: 's:unknown', addedMembers: [], removedMembers: [] }, 'ERR_BAD_MESSAGE'],
    [{ kind: 'ipsetUpdate', id: 'n:p', type: 1, members: ['10.0.0.1,icmp:8'] }, 'ERR_BAD_IPSET_MEMBER'],
    [{ kind: 'ipsetUpdate', id: 'n:p', type: 1, members: ['10.0.0.1,tcp:70000'] }, 'ERR_BAD_IPSET_MEMBER'],
    [{ kind: 'ipsetUpdate', id: 'h', type: 0, members: ['10.0.0.0/24'] }, 'ERR_BAD_IPSET_MEMBER'],
    [
      {
        kind: 'workloadEndpointUpdate',
        id: { orchestratorId: 'k8s', workloadId: 'a/b', endpointId: 'eth0' },
        endpoint: {
          state: 'active',
          name: 'cali1 -j ACCEPT',
          profileIds: [],
          ipv4Nets: [],
          ipv6Nets: [],
          tiers: [],
        },
      },
      'ERR_BAD_INTERFACE_NAME',
    ],
    [
      {
        kind: 'workloadEndpointUpdate',
        id: { orchestratorId: 'k8s', workloadId: 'a/b', endpointId: 'eth0' },
        endpoint: { state: 'active', name: 'cali+', profileIds: [], ipv4Nets: [], ipv6Nets: [], tiers: [] },
      },
      'ERR_BAD_INTERFACE_NAME',
    ],
    [
      {
        kind: 'hostEndpointUpdate',
        id: { endpointId: 'h' },
        endpoint: {
          name: 'eth0\n-A INPUT',
          profileIds: [],
          tiers: [],
          untrackedTiers: [],
          preDnatTiers: [],
          forwardTiers: [],
          expectedIpv4Addrs: [],
          expectedIpv6Addrs: [],
        },
      },
      'ERR_BAD_INTERFACE_NAME',
    ],
    [
      {
        kind: 'activePolicyUpdate',
        id: { kind: 'gnp', namespace: '', name: 'p' },
        policy: { inboundRules: [{ action: 'allow', srcNet: ['10.0.0.0/8 -j ACCEPT'] }], outboundRules: [] },
      },
      'ERR_BAD_RULE',
    ],
    [
      {
        kind: 'activePolicyUpdate',
        id: { kind: 'gnp', namespace: '', name: 'p' },
        policy: {
          inboundRules: [],
          outboundRules: [{ action: 'allow', protocol: { name: 'tcp -j ACCEPT' } }],
        },
      },
      'ERR_BAD_RULE',
    ],
    [
      {
        kind: 'activeProfileUpdate',
        id: { name: 'p' },
        profile: { inboundRules: [{ action: 'accept-everything' }], outboundRules: [] },
      },
      'ERR_BAD_RULE',
    ],
    [
      {
        kind: 'activeProfileUpdate',
        id: { name: 'p' },
        profile: {
          inboundRules: [{ action: 'allow', dstPorts: [{ first: 90, last: 80 }], icmpType: 256 }],
          outboundRules: [],
        },
      },
      'ERR_BAD_RULE',
    ],
  ];
  const before = JSON.stringify(compile(st, cfg), (_k, v: unknown) =>
    v instanceof Map || v instanceof Set ? [...v] : v,
  );
  for (const [msg, code] of cases) {
    assert.throws(
      () => st.apply(msg),
      (e: unknown) => e instanceof CompilerInputError && e.code === code,
      `${msg.kind} should fail with ${code}`,
    );
  }
  const after = JSON.stringify(compile(st, cfg), (_k, v: unknown) =>
    v instanceof Map || v instanceof Set ? [...v] : v,
  );
  assert.equal(after, before);
  // applyAll never throws: it applies the good ones and returns the errors.
  const errs = st.applyAll([cases[0]![0], { kind: 'ipsetRemove', id: 's:x' }, cases[8]![0]]);
  assert.deepEqual(
    errs.map((e) => e.code),
    ['ERR_BAD_IPSET_MEMBER', 'ERR_BAD_INTERFACE_NAME'],
  );
  assert.deepEqual(inputSets(st), []);
});

test('a rule that refers to an IP set the calc graph has not sent: set programmed empty, with a warning', () => {
  const st = new DataplaneState();
  st.applyAll([
    {
      kind: 'activeProfileUpdate',
      id: { name: 'p' },
      profile: {
        inboundRules: [{ action: 'allow', srcIpSetIds: ['s:late'], dstNamedPortIpSetIds: ['n:late'] }],
        outboundRules: [],
      },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'a/b', endpointId: 'eth0' },
      endpoint: { state: 'active', name: 'cali1', profileIds: ['p'], ipv4Nets: [], ipv6Nets: [], tiers: [] },
    },
  ]);
  const { desired, warnings } = compileWithReport(st, defaultCompilerConfig({ ipv6Support: false }));
  assert.deepEqual(desired.ipsets.get('cali40s:late'), {
    name: 'cali40s:late',
    type: 'hash:net',
    family: 4,
    members: new Set(),
  });
  assert.equal(desired.ipsets.get('cali40n:late')!.type, 'hash:ip,port');
  assert.equal(warnings.filter((w) => w.includes('IP set')).length, 2);
});

test('config: defaults as Felix, overrides validated with one error listing every problem', () => {
  const d = defaultCompilerConfig();
  assert.equal(d.iptablesMarkMask, 0xffff0000);
  assert.equal(d.chainInsertMode, 'insert');
  assert.equal(d.defaultEndpointToHostAction, 'DROP');
  assert.equal(d.maxIpsetSize, 1048576);
  assert.deepEqual(d.interfacePrefixes, ['cali']);
  assert.equal(d.failsafeInboundHostPorts.length, 9);
  assert.throws(
    () =>
      defaultCompilerConfig({
        iptablesMarkMask: 0x7,
        interfacePrefixes: ['cali "x'],
        failsafeInboundHostPorts: [{ protocol: 'icmp', port: 70000 }],
        logPrefix: 'a"b',
      }),
    (e: unknown) =>
      e instanceof CompilerConfigError &&
      e.code === 'ERR_COMPILER_CONFIG' &&
      /iptablesMarkMask/.test(e.message) &&
      /interface prefix/.test(e.message) &&
      /protocol/.test(e.message) &&
      /port/.test(e.message) &&
      /logPrefix/.test(e.message),
  );
});

test('deltas never change the members of a DesiredState already handed out (copy on write)', () => {
  const st = new DataplaneState();
  st.apply({ kind: 'ipsetUpdate', id: 's:w', type: 2, members: ['10.0.0.1'] });
  const d1 = compile(st, cfg);
  st.apply({ kind: 'ipsetDeltaUpdate', id: 's:w', addedMembers: ['10.0.0.2'], removedMembers: ['10.0.0.1'] });
  st.apply({ kind: 'ipsetDeltaUpdate', id: 's:w', addedMembers: ['10.0.0.3'], removedMembers: [] });
  assert.deepEqual([...d1.ipsets.get('cali40s:w')!.members], ['10.0.0.1/32']);
  const d2 = compile(st, cfg);
  assert.deepEqual([...d2.ipsets.get('cali40s:w')!.members].sort(), ['10.0.0.2/32', '10.0.0.3/32']);
  assert.throws(() =>
    st.apply({ kind: 'ipsetDeltaUpdate', id: 's:w', addedMembers: ['10.0.0.4', 'bad'], removedMembers: [] }),
  );
  st.apply({ kind: 'ipsetDeltaUpdate', id: 's:w', addedMembers: [], removedMembers: ['10.0.0.2'] });
  assert.deepEqual([...d2.ipsets.get('cali40s:w')!.members].sort(), ['10.0.0.2/32', '10.0.0.3/32']);
  assert.deepEqual([...compile(st, cfg).ipsets.get('cali40s:w')!.members], ['10.0.0.3/32']);
});
