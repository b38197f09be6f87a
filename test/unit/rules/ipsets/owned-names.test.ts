// Which IP sets felix-ts owns (and so may remove once unreferenced), against Felix v3.32.1:
// felix/ipsets/ipset_defs.go NewIPVersionConfig builds "^(cali4|felix-4|cali4|felix-masq-ipam-pools|felix-all-ipam-pools)"
// for IPv4 and "^(cali6|felix-6|cali6)" for IPv6 from rules.AllHistoricIPSetNamePrefixes ("felix-", "cali")
// and rules.LegacyV4IPSetNames (felix/rules/rule_defs.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOwnedSet, ownedFamily } from '../../../../rules/ipsets/names.js';

test('owned: current and historic prefixes per family, and the two legacy IPv4 pool sets', () => {
  for (const n of [
    'cali40s:abc',
    'cali4t3',
    'felix-4-all-pools',
    'felix-masq-ipam-pools',
    'felix-all-ipam-pools',
  ])
    assert.equal(isOwnedSet(n, 4), true, n);
  for (const n of ['cali60s:abc', 'felix-6-all-pools']) assert.equal(isOwnedSet(n, 6), true, n);
  // The legacy names are IPv4 only, and a family's prefix never claims the other family's sets.
  assert.equal(isOwnedSet('felix-masq-ipam-pools', 6), false);
  assert.equal(isOwnedSet('cali60x', 4), false);
  assert.equal(ownedFamily('felix-all-ipam-pools'), 4);
  assert.equal(ownedFamily('felix-6x'), 6);
});

test('never owned: foreign sets, including look-alikes that only contain our prefixes', () => {
  for (const n of [
    'KUBE-CLUSTER-IP',
    'calico',
    'cali',
    'cali5x',
    'felix-masq',
    'xcali40s:a',
    'felix-5x',
    'my-felix-4',
  ])
    assert.equal(ownedFamily(n), undefined, n);
});
