// The event sequencer (agent/calc/event-sequencer.ts) alone: coalescing, sent-state and the order
// messages leave in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSequencer } from '../../../../agent/calc/event-sequencer.js';
import {
  IPSetType,
  type ToDataplane,
  type WorkloadEndpointID,
} from '../../../../rules/dataplane-api/types.js';

const wepId = (n: string): WorkloadEndpointID => ({
  orchestratorId: 'k8s',
  workloadId: n,
  endpointId: 'eth0',
});
const wepUpdate = (n: string, state = 'active'): ToDataplane =>
  ({
    kind: 'workloadEndpointUpdate',
    id: wepId(n),
    endpoint: { state, name: n, profileIds: [], ipv4Nets: [], ipv6Nets: [], tiers: [] },
  }) as unknown as ToDataplane;

function sequencer(): { seq: EventSequencer; eps: Map<string, ToDataplane>; resolved: string[] } {
  const eps = new Map<string, ToDataplane>();
  const resolved: string[] = [];
  const seq = new EventSequencer((k) => {
    resolved.push(k);
    return eps.get(k);
  });
  return { seq, eps, resolved };
}

test('event sequencer: flush order is config, sets, deltas, policies, profiles, endpoints, removals reversed, InSync', () => {
  const { seq, eps } = sequencer();
  const pol = (n: string): ToDataplane =>
    ({
      kind: 'activePolicyUpdate',
      id: { kind: 'gnp', namespace: '', name: n },
      policy: {},
    }) as unknown as ToDataplane;
  const prof = (n: string): ToDataplane =>
    ({ kind: 'activeProfileUpdate', id: { name: n }, profile: {} }) as unknown as ToDataplane;
  // A first round that the dataplane "has": one of everything.
  seq.onIPSetAdded('old-set', IPSetType.NET);
  seq.onIPSetAdded('kept', IPSetType.NET);
  seq.onPolicyActive('gnp/old', pol('old'));
  seq.onProfileActive('old-prof', prof('old-prof'));
  eps.set('ep-old', wepUpdate('old'));
  seq.onEndpointUpdated('ep-old');
  seq.onInSync([]);
  assert.deepEqual(
    seq.flush().map((m) => m.kind),
    [
      'ipsetUpdate',
      'ipsetUpdate',
      'activePolicyUpdate',
      'activeProfileUpdate',
      'workloadEndpointUpdate',
      'inSync',
    ],
  );
  // Second round: everything at once, reported in "wrong" order.
  seq.onEndpointRemoved('ep-old', { kind: 'workloadEndpointRemove', id: wepId('old') });
  seq.onPolicyInactive('gnp/old', { kind: 'gnp', namespace: '', name: 'old' });
  seq.onProfileInactive('old-prof');
  seq.onIPSetRemoved('old-set');
  eps.set('ep-new', wepUpdate('new'));
  seq.onEndpointUpdated('ep-new');
  seq.onProfileActive('new-prof', prof('new-prof'));
  seq.onPolicyActive('gnp/new', pol('new'));
  seq.onIPSetMemberAdded('kept', '10.0.0.1/32');
  seq.onIPSetAdded('new-set', IPSetType.IP_AND_PORT);
  seq.onIPSetMemberAdded('new-set', '10.0.0.2,tcp:80');
  seq.onConfigUpdate({ A: '1' });
  assert.deepEqual(seq.flush(), [
    { kind: 'configUpdate', config: { A: '1' } },
    { kind: 'ipsetUpdate', id: 'new-set', members: ['10.0.0.2,tcp:80'], type: IPSetType.IP_AND_PORT },
    { kind: 'ipsetDeltaUpdate', id: 'kept', addedMembers: ['10.0.0.1/32'], removedMembers: [] },
    pol('new'),
    prof('new-prof'),
    wepUpdate('new'),
    { kind: 'workloadEndpointRemove', id: wepId('old') },
    { kind: 'activeProfileRemove', id: { name: 'old-prof' } },
    { kind: 'activePolicyRemove', id: { kind: 'gnp', namespace: '', name: 'old' } },
    { kind: 'ipsetRemove', id: 'old-set' },
  ]);
  assert.deepEqual(seq.flush(), [], 'nothing pending, no second InSync');
});

test('event sequencer: never-sent things are not removed; re-added before a flush is an update, not a remove', () => {
  const { seq } = sequencer();
  seq.onIPSetAdded('s', IPSetType.NET);
  seq.onIPSetMemberAdded('s', 'a');
  seq.onIPSetRemoved('s');
  seq.onPolicyActive('gnp/p', { kind: 'inSync' });
  seq.onPolicyInactive('gnp/p', { kind: 'gnp', namespace: '', name: 'p' });
  seq.onProfileActive('x', { kind: 'inSync' });
  seq.onProfileInactive('x');
  assert.deepEqual(seq.flush(), [], 'added and withdrawn in one batch: nothing at all');
  seq.onIPSetAdded('s', IPSetType.NET);
  seq.onIPSetMemberAdded('s', 'a');
  seq.onIPSetMemberAdded('s', 'b');
  seq.onIPSetMemberRemoved('s', 'a');
  seq.flush();
  seq.onIPSetRemoved('s');
  seq.onIPSetAdded('s', IPSetType.NET);
  seq.onIPSetMemberAdded('s', 'c');
  assert.deepEqual(seq.flush(), [{ kind: 'ipsetUpdate', id: 's', members: ['c'], type: IPSetType.NET }]);
  // Deltas: an add and a remove of the same member cancel; an empty delta is not sent.
  seq.onIPSetMemberAdded('s', 'd');
  seq.onIPSetMemberRemoved('s', 'd');
  seq.onIPSetMemberRemoved('s', 'c');
  seq.onIPSetMemberAdded('s', 'c');
  assert.deepEqual(seq.flush(), []);
  seq.onIPSetMemberRemoved('s', 'c');
  seq.onIPSetMemberAdded('s', 'e');
  assert.deepEqual(seq.flush(), [
    { kind: 'ipsetDeltaUpdate', id: 's', addedMembers: ['e'], removedMembers: ['c'] },
  ]);
});

test('event sequencer: endpoints wait for InSync, resolve once per flush, unchanged ones are dropped', () => {
  const { seq, eps, resolved } = sequencer();
  eps.set('a', wepUpdate('a'));
  eps.set('b', wepUpdate('b'));
  seq.onEndpointUpdated('a');
  seq.onEndpointDirty('a');
  assert.deepEqual(seq.flush(), [], 'before InSync nothing about endpoints');
  assert.deepEqual(resolved, []);
  seq.onInSync(['a', 'b']);
  assert.deepEqual(seq.flush(), [wepUpdate('a'), wepUpdate('b'), { kind: 'inSync' }]);
  assert.deepEqual(resolved, ['a', 'b']);
  assert.equal(seq.sentEndpointCount, 2);
  seq.onEndpointDirty('a');
  assert.deepEqual(seq.flush(), [], 'same message: not re-sent');
  eps.set('a', wepUpdate('a', 'down'));
  seq.onEndpointDirty('a');
  seq.onEndpointDirty('a');
  assert.deepEqual(seq.flush(), [wepUpdate('a', 'down')]);
  // Removed then re-added before the flush: the remove is cancelled and the unchanged update dropped.
  seq.onEndpointRemoved('b', { kind: 'workloadEndpointRemove', id: wepId('b') });
  seq.onEndpointUpdated('b');
  assert.deepEqual(seq.flush(), []);
  // A dirty endpoint that is gone (no message) is skipped; a removal of a never-sent one is silent.
  eps.delete('b');
  seq.onEndpointDirty('b');
  seq.onEndpointRemoved('zzz', { kind: 'workloadEndpointRemove', id: wepId('zzz') });
  assert.deepEqual(seq.flush(), []);
  seq.onEndpointRemoved('b', { kind: 'workloadEndpointRemove', id: wepId('b') });
  assert.deepEqual(seq.flush(), [{ kind: 'workloadEndpointRemove', id: wepId('b') }]);
  assert.equal(seq.sentEndpointCount, 1);
});

test('event sequencer: an unchanged config is not re-sent', () => {
  const { seq } = sequencer();
  seq.onConfigUpdate({ B: '2', A: '1' });
  assert.equal(seq.flush().length, 1);
  seq.onConfigUpdate({ A: '1', B: '2' });
  assert.deepEqual(seq.flush(), [], 'same entries in another order');
  seq.onConfigUpdate({ A: '1' });
  assert.deepEqual(seq.flush(), [{ kind: 'configUpdate', config: { A: '1' } }]);
});
