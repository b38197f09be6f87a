import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRecording,
  decodeToDataplane,
  encodeRecording,
  encodeToDataplane,
  IPSetType,
  type ToDataplane,
} from '../../../rules/dataplane-api/index.js';

const policyUpdate: ToDataplane = {
  kind: 'activePolicyUpdate',
  id: { kind: 'gnp', name: 'allow-http', namespace: '' },
  policy: {
    inboundRules: [
      {
        action: 'allow',
        protocol: { name: 'tcp' },
        srcIpSetIds: ['s:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q'],
        dstPorts: [{ first: 80, last: 80 }],
      },
    ],
    outboundRules: [],
    tier: 'default',
  },
};

test('ToDataplane round-trips through protobuf', () => {
  const bytes = encodeToDataplane(policyUpdate, 7);
  const { msg, sequenceNumber } = decodeToDataplane(bytes);
  assert.equal(sequenceNumber, 7);
  assert.equal(msg.kind, 'activePolicyUpdate');
  if (msg.kind !== 'activePolicyUpdate') return;
  assert.deepEqual(msg.id, policyUpdate.id);
  assert.equal(msg.policy.tier, 'default');
  assert.equal(msg.policy.inboundRules.length, 1);
  assert.deepEqual(msg.policy.inboundRules[0]?.protocol, { name: 'tcp' });
  assert.deepEqual(msg.policy.inboundRules[0]?.dstPorts, [{ first: 80, last: 80 }]);
  assert.deepEqual(msg.policy.outboundRules, []);
});

test('a recording of several messages decodes in order', () => {
  const msgs: ToDataplane[] = [
    { kind: 'ipsetUpdate', id: 's:abc', members: ['10.0.0.1/32'], type: IPSetType.NET },
    policyUpdate,
    { kind: 'inSync' },
  ];
  const back = decodeRecording(encodeRecording(msgs));
  assert.deepEqual(
    back.map((m) => m.kind),
    ['ipsetUpdate', 'activePolicyUpdate', 'inSync'],
  );
  const first = back[0];
  assert.ok(first?.kind === 'ipsetUpdate');
  assert.deepEqual(first.members, ['10.0.0.1/32']);
  assert.equal(first.type, IPSetType.NET);
});
