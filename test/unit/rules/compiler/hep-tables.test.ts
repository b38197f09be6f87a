// Untracked host-endpoint policy for the raw table (rules/compiler/hep-tables.ts rawHostEndpointChains)
// against Felix v3.32.1: felix/rules/endpoints.go HostEndpointToRawChains (chainTypeUntracked: no conntrack
// rules, failsafe jump, NOTRACK before each "Return if policy accepted", no end-of-tier drop, no profiles;
// endpoints_test.go "should render host endpoint raw chains with untracked policies"),
// felix/rules/dispatch.go HostDispatchChains(untracked, "", false) (dispatch_test.go "host endpoint
// rendering tests untracked") and felix/dataplane/linux/endpoint_mgr.go (only endpoints with untracked
// tiers; none for the wildcard endpoint). Rule hashes are Felix's chained hashes of these bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCompilerConfig, type CompilerConfig } from '../../../../rules/compiler/index.js';
import { rawHostEndpointChains } from '../../../../rules/compiler/hep-tables.js';
import { ruleHashes } from '../../../../rules/compiler/hash.js';
import { allocateMarks } from '../../../../rules/compiler/marks.js';
import { renderBody, type IChain } from '../../../../rules/compiler/rule.js';
import { tierPlanner } from '../../../../rules/compiler/tier-planner.js';
import type { TableInput } from '../../../../rules/compiler/table.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { bodies, compiled, gnp, hashes, hep, policy, profile, stateOf, table, tier } from './hep-fixtures.js';

function raw(
  msgs: readonly ToDataplane[],
  family: 4 | 6 = 4,
  over: Partial<CompilerConfig> = {},
): { chains: Map<string, IChain>; warnings: string[] } {
  const state = stateOf(msgs);
  const cfg = defaultCompilerConfig({ ipv6Support: true, ...over });
  const sink = { ipsets: new Map(), warnings: [] as string[] };
  const input: TableInput = {
    state,
    cfg,
    marks: allocateMarks(cfg.iptablesMarkMask)!,
    family,
    sink,
    planned: tierPlanner(state),
    cfgKey: JSON.stringify(cfg),
  };
  const chains = new Map(rawHostEndpointChains(input).map((c) => [c.name, c]));
  return { chains, warnings: sink.warnings };
}

const bodiesOf = (chains: Map<string, IChain>, name: string): string[] => {
  const c = chains.get(name);
  assert.ok(c, `chain ${name}`);
  return c.rules.map(renderBody);
};
const hashesOf = (chains: Map<string, IChain>, name: string): string[] =>
  ruleHashes(name, bodiesOf(chains, name));

const ACCEPTED = '-m mark --mark 0x10000/0x10000';
const untracked = (name: string): ToDataplane => policy(gnp(name), { untracked: true });

test('no host endpoint with untracked tiers: the two raw dispatch chains, empty', () => {
  const { chains } = raw([hep('h1', { name: 'eth0', profileIds: ['p'] }), profile('p')]);
  assert.deepEqual([...chains.keys()], ['cali-from-host-endpoint', 'cali-to-host-endpoint']);
  assert.deepEqual(bodiesOf(chains, 'cali-from-host-endpoint'), []);
  assert.deepEqual(bodiesOf(chains, 'cali-to-host-endpoint'), []);
});

test('untracked chains: failsafe, cleared marks, NOTRACK before each return; no conntrack, drop or profiles', () => {
  const { chains, warnings } = raw([
    untracked('c'),
    profile('p'),
    hep('h1', { name: 'eth0', profileIds: ['p'], untrackedTiers: [tier([gnp('c')], [gnp('c')])] }),
  ]);
  const tail = (pol: string): string[] => [
    '--jump MARK --set-mark 0/0x30000',
    '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
    `-m mark --mark 0/0x20000 --jump ${pol}`,
    `${ACCEPTED} --jump NOTRACK`,
    `-m comment --comment "Return if policy accepted" ${ACCEPTED} --jump RETURN`,
  ];
  assert.deepEqual(bodiesOf(chains, 'cali-fh-eth0'), ['--jump cali-failsafe-in', ...tail('cali-pi-gnp/c')]);
  assert.deepEqual(bodiesOf(chains, 'cali-th-eth0'), ['--jump cali-failsafe-out', ...tail('cali-po-gnp/c')]);
  assert.deepEqual(hashesOf(chains, 'cali-fh-eth0'), [
    'RKoAO6cNXCcLf1Xr',
    'zbGoxMKW8MKgvwEc',
    'zFUmpODhAPQmf2Qf',
    'evNqxPq7mWkbA1XL',
    'FOyBD9VTR_vrTmcB',
    'DLpzt2yd3HixnHgJ',
  ]);
  assert.deepEqual(bodiesOf(chains, 'cali-from-host-endpoint'), ['--in-interface eth0 --goto cali-fh-eth0']);
  assert.deepEqual(bodiesOf(chains, 'cali-to-host-endpoint'), ['--out-interface eth0 --goto cali-th-eth0']);
  // The same rule as the filter and mangle tables' dispatch to cali-fh-eth0, so the same hash.
  assert.deepEqual(hashesOf(chains, 'cali-from-host-endpoint'), ['HIN_eur26mTLJ97D']);
  // The policy chains they jump to, rendered as in the filter table; profiles are not rendered into raw.
  assert.deepEqual(bodiesOf(chains, 'cali-pi-gnp/c'), [
    '-m comment --comment "GlobalNetworkPolicy c ingress" -p tcp -m multiport --destination-ports 80 --jump MARK --set-mark 0x10000/0x10000',
  ]);
  assert.ok(chains.has('cali-po-gnp/c'));
  assert.ok(![...chains.keys()].some((n) => n.startsWith('cali-pr')));
  assert.deepEqual(warnings, []);
});

test('only interfaces whose endpoint has untracked tiers are dispatched, with the prefix tree', () => {
  const tiers = [tier([gnp('c')])];
  const { chains } = raw([
    untracked('c'),
    hep('a', { name: 'eth1234', untrackedTiers: tiers }),
    hep('b', { name: 'eth2333', untrackedTiers: tiers }),
    hep('c', { name: 'eth2444', untrackedTiers: tiers }),
    hep('d', { name: 'eth9' }),
  ]);
  // dispatch_test.go "interfaces sharing prefix" for untracked.
  assert.deepEqual(bodiesOf(chains, 'cali-from-host-endpoint-2'), [
    '--in-interface eth2333 --goto cali-fh-eth2333',
    '--in-interface eth2444 --goto cali-fh-eth2444',
  ]);
  assert.deepEqual(bodiesOf(chains, 'cali-from-host-endpoint'), [
    '--in-interface eth1234 --goto cali-fh-eth1234',
    '--in-interface eth2+ --goto cali-from-host-endpoint-2',
  ]);
  assert.deepEqual(bodiesOf(chains, 'cali-to-host-endpoint'), [
    '--out-interface eth1234 --goto cali-th-eth1234',
    '--out-interface eth2+ --goto cali-to-host-endpoint-2',
  ]);
  assert.ok(!chains.has('cali-fh-eth9') && !chains.has('cali-th-eth9'));
  // An ingress-only untracked tier still gets its (policy-free) egress chain, as Felix renders both.
  assert.deepEqual(bodiesOf(chains, 'cali-th-eth1234'), [
    '--jump cali-failsafe-out',
    '--jump MARK --set-mark 0/0x30000',
  ]);
});

test('untracked policy on the wildcard host endpoint is ignored with a warning (endpoint_mgr.go)', () => {
  const v4 = raw([untracked('c'), hep('all', { name: '*', untrackedTiers: [tier([gnp('c')])] })]);
  assert.deepEqual([...v4.chains.keys()], ['cali-from-host-endpoint', 'cali-to-host-endpoint']);
  assert.equal(v4.warnings.length, 1);
  assert.match(v4.warnings[0]!, /wildcard host endpoint is ignored/);
  // Warned once per compile: the IPv6 table says nothing more.
  assert.deepEqual(
    raw([untracked('c'), hep('all', { name: '*', untrackedTiers: [tier([gnp('c')])] })], 6).warnings,
    [],
  );
});

test('untracked policies sharing a selector: one cali-gi- chain, NOTRACK after the group jump', () => {
  const sel = "role == 'edge'";
  const { chains } = raw([
    policy(gnp('a'), { untracked: true, selector: sel }),
    policy(gnp('b'), { untracked: true, selector: sel }),
    hep('h1', { name: 'eth0', untrackedTiers: [tier([gnp('a'), gnp('b')])] }),
  ]);
  const fh = bodiesOf(chains, 'cali-fh-eth0');
  const group = /--jump (cali-gi-\S+)/.exec(fh[3]!)![1]!;
  assert.deepEqual(fh.slice(3), [
    `-m mark --mark 0/0x20000 --jump ${group}`,
    `${ACCEPTED} --jump NOTRACK`,
    `-m comment --comment "Return if policy accepted" ${ACCEPTED} --jump RETURN`,
  ]);
  assert.deepEqual(bodiesOf(chains, group), [
    '--jump cali-pi-gnp/a',
    '-m mark --mark 0/0x30000 --jump cali-pi-gnp/b',
  ]);
});

test('through compile(): the raw table of each family carries the untracked chains, their hashes and the raw failsafes', () => {
  const msgs = [untracked('c'), hep('h1', { name: 'eth0', untrackedTiers: [tier([gnp('c')], [gnp('c')])] })];
  const r = compiled(msgs);
  for (const fam of [4, 6] as const) {
    const t = table(r, 'raw', fam);
    assert.deepEqual(hashes(t, 'cali-fh-eth0'), hashesOf(raw(msgs, fam).chains, 'cali-fh-eth0'));
    assert.deepEqual(bodies(t, 'cali-from-host-endpoint'), ['--in-interface eth0 --goto cali-fh-eth0']);
    // Referenced by the untracked chains, so programmed (felix/rules/static.go failsafeInChain("raw")).
    assert.ok(t.chains.has('cali-failsafe-in') && t.chains.has('cali-failsafe-out'));
    assert.ok(t.chains.has('cali-pi-gnp/c') && t.chains.has('cali-po-gnp/c'));
  }
  assert.deepEqual(hashes(table(r, 'raw'), 'cali-fh-eth0')[0], 'RKoAO6cNXCcLf1Xr');
  // The untracked policy is in raw only: neither the filter nor the mangle table references it.
  assert.ok(!table(r, 'filter').chains.has('cali-pi-gnp/c'));
  assert.ok(!table(r, 'mangle').chains.has('cali-pi-gnp/c'));
});
