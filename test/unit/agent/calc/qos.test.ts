// Workloads' qosControls through the model and the calc (issue 16 item 6): the JSON of
// libcalico-go/lib/apis/internalapi QoSControls, the limits of
// libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go (packet rate and burst 1..10000, burst
// defaulted to 5, connections 1..4294967295), a bad limit logged with the key and skipped (the endpoint stays),
// bandwidth (tc) reported as not applied, and the controls in the endpoint message (and through protobuf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import { decodeValue, parseKey, qosControlsOf } from '../../../../agent/model/index.js';
import type { ToDataplane, WorkloadEndpoint } from '../../../../rules/dataplane-api/types.js';
import { decodeToDataplane, encodeToDataplane } from '../../../../rules/dataplane-api/codec.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import { kv } from './fake-dataplane.js';
import { HOST, nsProfile, wepKey } from './fixtures.js';
import { RecordingLogger } from './scenario.js';

function qosWep(qosControls: unknown): KVUpdate {
  return kv(wepKey('prod', 'q'), {
    state: 'active',
    name: 'caliqos',
    profile_ids: ['kns.prod'],
    ipv4_nets: ['10.65.0.9/32'],
    labels: { 'projectcalico.org/namespace': 'prod' },
    ...(qosControls === undefined ? {} : { qosControls }),
  });
}

function run(update: KVUpdate): { endpoints: WorkloadEndpoint[]; log: RecordingLogger } {
  const log = new RecordingLogger();
  const g = new CalcGraph({ hostname: HOST, logger: log });
  g.onUpdates([...nsProfile('prod'), update]);
  const out: ToDataplane[] = [...g.flush()];
  g.onStatus('in-sync');
  out.push(...g.flush());
  return { endpoints: out.flatMap((m) => (m.kind === 'workloadEndpointUpdate' ? [m.endpoint] : [])), log };
}

test('good controls are sent as given, with the packet burst defaulted to 5', () => {
  const { endpoints, log } = run(
    qosWep({
      ingressPacketRate: 2000,
      ingressPacketBurst: 4000,
      egressPacketRate: 100,
      egressMaxConnections: 10,
    }),
  );
  assert.equal(endpoints.length, 1);
  const q = endpoints[0]!.qosControls;
  assert.ok(q);
  assert.deepEqual(
    [q.ingressPacketRate, q.ingressPacketBurst, q.egressPacketRate, q.egressPacketBurst],
    [2000, 4000, 100, 5],
  );
  assert.deepEqual([q.ingressMaxConnections, q.egressMaxConnections], [0, 10]);
  assert.deepEqual(
    log.lines.filter((l) => l.level === 'warn'),
    [],
  );
});

test('no qosControls: none in the message', () => {
  assert.equal(run(qosWep(undefined)).endpoints[0]!.qosControls, undefined);
});

test('an out-of-range limit is logged with the key and skipped; the endpoint and its other limits stay', () => {
  const u = qosWep({
    ingressPacketRate: 20000,
    egressPacketRate: 10,
    egressPacketBurst: 0,
    ingressMaxConnections: 4294967296,
    egressMaxConnections: 3,
  });
  const { endpoints, log } = run(u);
  assert.equal(endpoints.length, 1);
  const q = endpoints[0]!.qosControls!;
  assert.deepEqual(
    [q.ingressPacketRate, q.ingressPacketBurst, q.egressPacketRate, q.egressPacketBurst],
    [0, 0, 10, 5],
  );
  assert.deepEqual([q.ingressMaxConnections, q.egressMaxConnections], [0, 3]);
  const warned = log.lines
    .filter((l) => l.msg === 'calc: bad qosControls value skipped')
    .map((l) => l.fields);
  assert.deepEqual(warned, [
    { key: u.key, field: 'qosControls.ingressPacketRate', reason: '20000 is not 1..10000' },
    { key: u.key, field: 'qosControls.ingressMaxConnections', reason: '4294967296 is not 1..4294967295' },
  ]);
});

test('a burst without a rate, a bad burst and a negative limit are skipped too', () => {
  const r = qosControlsOf({
    ingressPacketBurst: 7,
    egressPacketRate: 5,
    egressPacketBurst: 10001,
    egressMaxConnections: -1,
  });
  assert.deepEqual(
    r.problems.map((p) => p.path),
    ['qosControls.ingressPacketBurst', 'qosControls.egressPacketBurst', 'qosControls.egressMaxConnections'],
  );
  assert.deepEqual(
    [r.controls?.ingressPacketBurst, r.controls?.egressPacketRate, r.controls?.egressMaxConnections],
    [0, 0, 0],
  );
  assert.equal(r.bandwidth, false);
});

test('bandwidth controls are carried but reported as not applied (tc)', () => {
  const u = qosWep({ ingressBandwidth: 1000000, ingressBurst: 4294967296 });
  const { endpoints, log } = run(u);
  assert.equal(endpoints[0]!.qosControls!.ingressBandwidth, 1000000);
  const warned = log.lines.filter((l) => /bandwidth QoS controls/.test(l.msg));
  assert.deepEqual(
    warned.map((l) => l.fields),
    [{ feature: 'qos-bandwidth', key: u.key }],
  );
});

test('a non-integer field fails the value as Go decoding int64 does', () => {
  const key = wepKey('prod', 'q');
  const parsed = parseKey(key);
  assert.ok(parsed);
  const bad = JSON.stringify({ name: 'caliqos', qosControls: { ingressPacketRate: '10' } });
  assert.equal(decodeValue(parsed, key, bad).ok, false);
  const frac = JSON.stringify({ name: 'caliqos', qosControls: { egressMaxConnections: 1.5 } });
  assert.equal(decodeValue(parsed, key, frac).ok, false);
  const fine = JSON.stringify({ name: 'caliqos', qosControls: { egressMaxConnections: 2, dscp: 'AF11' } });
  assert.equal(decodeValue(parsed, key, fine).ok, true);
});

test('qosControls survive the protobuf encoding of the endpoint message', () => {
  const { endpoints } = run(qosWep({ ingressPacketRate: 2000, egressMaxConnections: 4294967295 }));
  const msg: ToDataplane = {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: 'prod/q', endpointId: 'eth0' },
    endpoint: endpoints[0]!,
  };
  const back = decodeToDataplane(encodeToDataplane(msg)).msg;
  assert.equal(back.kind, 'workloadEndpointUpdate');
  if (back.kind !== 'workloadEndpointUpdate') return;
  assert.deepEqual(back.endpoint.qosControls, endpoints[0]!.qosControls);
});
