// Encapsulation resolver (agent/calc/encapsulation.ts): the cases of Felix v3.32.1
// felix/calc/encapsulation_resolver_test.go (model and API pool spellings), the config overrides, the
// restart rule of felix/daemon/daemon.go, and bad input skipped per pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EncapsulationCalculator,
  encapChanged,
  ENCAP_CHANGED_EXIT_CODE,
} from '../../../../agent/calc/encapsulation.js';

type P = [cidr: string, ipip: string, vxlan: string];
interface Case {
  name: string;
  init?: P[];
  add?: P[];
  remove?: string[];
  want: [boolean, boolean, boolean];
}

const A = 'Always';
const N = 'Never';
const X = 'CrossSubnet';
const CASES: Case[] = [
  { name: 'uninitialized', want: [false, false, false] },
  { name: 'API pool with no encap', add: [['192.168.1.0/24', N, N]], want: [false, false, false] },
  { name: "API pool with IPIP 'Always'", add: [['192.168.1.0/24', A, N]], want: [true, false, false] },
  { name: "API pool with VXLAN 'Always'", add: [['192.168.1.0/24', N, A]], want: [false, true, false] },
  {
    name: 'API pool with IPIP/VXLAN CrossSubnet',
    add: [['192.168.1.0/24', X, X]],
    want: [true, true, false],
  },
  {
    name: '2 API pools with mixed encaps',
    add: [
      ['192.168.1.0/24', N, A],
      ['192.168.2.0/24', X, N],
    ],
    want: [true, true, false],
  },
  {
    name: '2 API pools with mixed encaps, then remove one pool',
    add: [
      ['192.168.1.0/24', N, A],
      ['192.168.2.0/24', X, N],
    ],
    remove: ['192.168.2.0/24'],
    want: [false, true, false],
  },
  {
    name: 'initPools with mixed encaps',
    init: [
      ['192.168.1.0/24', N, A],
      ['192.168.2.0/24', X, N],
    ],
    want: [true, true, false],
  },
  {
    name: 'initPools, update one pool and remove another',
    init: [
      ['192.168.1.0/24', N, A],
      ['192.168.2.0/24', X, A],
    ],
    add: [['192.168.1.0/24', A, N]],
    remove: ['192.168.2.0/24'],
    want: [true, false, false],
  },
  { name: 'model pool with no encap', add: [['192.168.1.0/24', '', '']], want: [false, false, false] },
  {
    name: "model pool with IPIP 'always'",
    add: [['192.168.1.0/24', 'always', '']],
    want: [true, false, false],
  },
  {
    name: "model pool with 'cross-subnet' both",
    add: [['192.168.1.0/24', 'cross-subnet', 'cross-subnet']],
    want: [true, true, false],
  },
  { name: 'IPv6 VXLAN pool', add: [['fd00:10::/64', '', 'always']], want: [false, false, true] },
  {
    name: 'IPv4 and IPv6 VXLAN pools',
    add: [
      ['192.168.1.0/24', N, A],
      ['fd00:10::/64', N, A],
    ],
    want: [false, true, true],
  },
];

for (const c of CASES) {
  test(`EncapsulationCalculator (FelixConfig not set): ${c.name}`, () => {
    const calc = new EncapsulationCalculator();
    for (const [cidr, ipipMode, vxlanMode] of [...(c.init ?? []), ...(c.add ?? [])])
      assert.equal(calc.onPoolUpdate(cidr, { ipipMode, vxlanMode }), true);
    for (const cidr of c.remove ?? []) calc.onPoolUpdate(cidr, undefined);
    assert.deepEqual([calc.ipipEnabled, calc.vxlanEnabled, calc.vxlanEnabledV6], c.want);
  });
}

test('EncapsulationCalculator: IpInIpEnabled / VXLANEnabled set in config win over the pools', () => {
  const on = new EncapsulationCalculator({ IpInIpEnabled: true, VXLANEnabled: true });
  assert.deepEqual(on.encapsulation, { ipipEnabled: true, vxlanEnabled: true, vxlanEnabledV6: false });
  const off = new EncapsulationCalculator({ IpInIpEnabled: false, VXLANEnabled: false });
  off.onPoolUpdate('192.168.1.0/24', { ipipMode: A, vxlanMode: A });
  off.onPoolUpdate('fd00:10::/64', { ipipMode: N, vxlanMode: A });
  // VXLANEnabledV6 has no override in Felix: it follows the pools.
  assert.deepEqual(off.encapsulation, { ipipEnabled: false, vxlanEnabled: false, vxlanEnabledV6: true });
});

test('EncapsulationCalculator: a bad mode is logged with its key and skipped; other pools stay', () => {
  const warnings: object[] = [];
  const log = { debug() {}, info() {}, warn: (_m: string, f?: object) => warnings.push(f ?? {}), error() {} };
  const calc = new EncapsulationCalculator({}, log);
  calc.onPoolUpdate('192.168.1.0/24', { ipipMode: A, vxlanMode: N });
  assert.equal(calc.onPoolUpdate('192.168.2.0/24', { ipipMode: 'Sometimes', vxlanMode: N }), false);
  // The same pool readdressed with a bad value keeps its old state.
  assert.equal(calc.onPoolUpdate('192.168.1.0/24', { ipipMode: N, vxlanMode: 'bogus' }), false);
  assert.deepEqual(calc.encapsulation, { ipipEnabled: true, vxlanEnabled: false, vxlanEnabledV6: false });
  assert.equal(warnings.length, 2);
  assert.equal((warnings[0] as { key: string }).key, '192.168.2.0/24');
  assert.equal((warnings[1] as { key: string }).key, '192.168.1.0/24');
});

test('encapChanged: the restart rule compares all three flags to the config at start', () => {
  const start = { ipipEnabled: true, vxlanEnabled: false, vxlanEnabledV6: false };
  assert.equal(encapChanged(start, { ...start }), false);
  assert.equal(encapChanged(start, { ...start, ipipEnabled: false }), true);
  assert.equal(encapChanged(start, { ...start, vxlanEnabled: true }), true);
  assert.equal(encapChanged(start, { ...start, vxlanEnabledV6: true }), true);
  assert.equal(ENCAP_CHANGED_EXIT_CODE, 129);
});
