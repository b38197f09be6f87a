// rules/compiler/tier-planner.ts: endpoints whose tiers have the same content share one plan; a
// selector change plans again; the grouping is what planTiers gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tierPlanner } from '../../../../rules/compiler/tier-planner.js';
import { planTiers } from '../../../../rules/compiler/policy-groups.js';
import { DataplaneState } from '../../../../rules/compiler/index.js';
import { gnp, policy, tier } from './hep-fixtures.js';

function state(selB = "app == 'x'"): DataplaneState {
  const st = new DataplaneState();
  st.applyAll([
    policy(gnp('a'), { selector: "app == 'x'" }),
    policy(gnp('b'), { selector: selB }),
    policy(gnp('c'), { selector: "app == 'y'" }),
  ]);
  return st;
}

test('tiers of the same content (different arrays) share one plan, within and across compiles', () => {
  const st = state();
  const one = [tier([gnp('a'), gnp('b'), gnp('c')])];
  const two = [tier([gnp('a'), gnp('b'), gnp('c')])];
  const other = [tier([gnp('c'), gnp('a')])];
  const p1 = tierPlanner(st);
  const a = p1(one);
  assert.equal(p1(two), a, 'same content, same plan');
  assert.notEqual(p1(other), a);
  // a and b share a selector: one group of two (its own chain), then c inlined.
  assert.deepEqual(
    a.plans,
    planTiers(one, (id) => (id.name === 'c' ? "app == 'y'" : "app == 'x'")),
  );
  assert.equal(a.groups.length, 1);
  const three = [tier([gnp('a'), gnp('b'), gnp('c')])];
  assert.equal(tierPlanner(st)(three), a, 'the next compile reuses it');
});

test('a selector change plans again, and the new grouping shows', () => {
  const st = state();
  const tiers = [tier([gnp('a'), gnp('b'), gnp('c')])];
  const before = tierPlanner(st)(tiers);
  st.applyAll([policy(gnp('b'), { selector: "app == 'z'" })]);
  const after = tierPlanner(st)([tier([gnp('a'), gnp('b'), gnp('c')])]);
  assert.notEqual(after, before);
  assert.equal(after.groups.length, 0, 'no two neighbours share a selector any more: all inlined');
  assert.equal(tierPlanner(st)(tiers), after, 'the old array is planned again too');
});
